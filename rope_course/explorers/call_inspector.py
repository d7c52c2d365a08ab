"""Lesson 02's call inspector: forward calls on one dynamic module, one row per call.

The module is the seed lesson's own example, `DynamicNTKScalingRotaryEmbedding(dim=64,
max_position_embeddings=2048, scaling_factor=2.0)` (base 10000). A learner picks the next
call's `seq_len` and the dtype of its `x`, presses "call" (a real `forward(x, seq_len=...)` on
that module) or "new module" (a fresh one), and a table shows, after each call: whether it
rebuilt the cache, `max_seq_len_cached`, the base in force, `inv_freq[-1]`, the dtype of
`cos_cached`, and whether the returned cos is a view of the cache or a copy (and its dtype).

The rules behind every cell (SOURCES.md: `upstream-forward`, `upstream-dynamic-cache`):
a call rebuilds when the cache is empty (`None` after `__init__`) or `seq_len` is strictly
longer than the cached length, and then caches exactly `seq_len` rows in `x`'s dtype; past L
the dynamic builder installs the base of that length for good; the returned cos is the slice
`cos_cached[:seq_len]` cast to `x`'s dtype, which is the slice itself (a view) when the dtypes
agree and a new tensor (a copy) when they differ.

Pure part (no widgets): `predict_rows(calls)` derives the rows from those rules (the rebuild
rule is `rope_course.calls.simulate_calls`); `CallTrace` calls a real module and reads the row
back from it (`observe_rows(calls)` does it for a whole sequence): whether `cos_cached` was
replaced, `max_seq_len_cached`, `inv_freq[-1]`, the dtypes, whether the returned cos shares the
cache's memory. The module keeps no base; the trace names the base of its cached length and
checks that the module's `inv_freq` is exactly that base's. Tests check that the two agree. The
widget (`CallInspector`, registered as "call_inspector") shows the observed rows and stops with an
error if they ever differ from the prediction.

Usage in a lesson, as the last line of a cell::

    from rope_course.explorers.call_inspector import CallInspector
    CallInspector(calls=[(1000, "float32"), (3000, "float32")]).show()
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch

from .._validate import check_seq_len
from ..calls import simulate_calls
from ..functional import dynamic_ntk_base, inv_freq_for_base
from ..rotary import DynamicNTKScalingRotaryEmbedding
from . import style
from .base import Explorer, choice_buttons, format_number, seq_len_slider

__all__ = [
    "INSPECTOR_DIM",
    "INSPECTOR_BASE",
    "INSPECTOR_L",
    "INSPECTOR_SCALING",
    "DTYPES",
    "COLUMNS",
    "CallRow",
    "predict_rows",
    "CallTrace",
    "observe_rows",
    "table_cells",
    "CallInspector",
]

INSPECTOR_DIM = 64
INSPECTOR_BASE = 10000
INSPECTOR_L = 2048
INSPECTOR_SCALING = 2.0
DTYPES = ("float32", "bfloat16")
SLOTS = 12  # calls drawn in the picture: the last SLOTS - 1 and the next one
COLUMNS = ("call", "seq_len", "x dtype", "rebuilt?", "max_seq_len_cached", "base in force", "inv_freq[-1]",
           "cos_cached dtype", "returned cos")
BAR = 0.38  # half the width of a call's max_seq_len_cached bar, in calls


@dataclass(frozen=True)
class CallRow:
    """What one `forward(x, seq_len)` call did, read after the call."""

    call: int  # 1, 2, ... since the module was made
    seq_len: int
    x_dtype: str
    rebuilt: bool
    max_seq_len_cached: int
    base: float  # the base inv_freq was built from
    inv_freq_last: float  # inv_freq[-1] (float32), the slowest pair's frequency
    cache_dtype: str  # dtype of cos_cached
    returned: str  # "view" (of cos_cached) or "copy"
    returned_dtype: str


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _check_call(seq_len, dtype) -> tuple[int, str]:
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    return check_seq_len(seq_len), dtype


def _base_for_cache(max_seq_len_cached: int, dim: int, max_position_embeddings: int, scaling_factor: float,
                    base: float) -> float:
    """The base in force when the last rebuild was at `max_seq_len_cached` (a rebuild caches exactly
    the requested length, and only a rebuild past L changes the base)."""
    return float(dynamic_ntk_base(base, dim, max_seq_len_cached, max_position_embeddings, scaling_factor))


def predict_rows(calls, dim: int = INSPECTOR_DIM, max_position_embeddings: int = INSPECTOR_L,
                 scaling_factor: float = INSPECTOR_SCALING, base: float = INSPECTOR_BASE) -> list[CallRow]:
    """The rows a fresh module gives for `calls` [(seq_len, x dtype name), ...], from the rules
    alone: the rebuild rule and the base (`simulate_calls`), the cache keeps the dtype of the call
    that built it, and the returned slice is a view exactly when that dtype is x's."""
    calls = [_check_call(seq_len, dtype) for seq_len, dtype in calls]
    records = simulate_calls([seq_len for seq_len, _ in calls], max_position_embeddings=max_position_embeddings,
                             scaling_factor=scaling_factor, base=base, dim=dim)
    rows, cache_dtype, inv_last = [], None, {}
    for number, ((seq_len, dtype), record) in enumerate(zip(calls, records), start=1):
        if record.rebuilt:
            cache_dtype = dtype
        if record.base_in_force not in inv_last:
            inv_last[record.base_in_force] = inv_freq_for_base(record.base_in_force, dim)[-1].item()
        rows.append(CallRow(number, seq_len, dtype, record.rebuilt, record.cached_len, float(record.base_in_force),
                            inv_last[record.base_in_force], cache_dtype,
                            "view" if dtype == cache_dtype else "copy", dtype))
    return rows


class CallTrace:
    """A real `DynamicNTKScalingRotaryEmbedding` and the rows read from it after each call."""

    def __init__(self, dim: int = INSPECTOR_DIM, max_position_embeddings: int = INSPECTOR_L,
                 scaling_factor: float = INSPECTOR_SCALING, base: float = INSPECTOR_BASE):
        self.dim, self.max_position_embeddings = dim, max_position_embeddings
        self.scaling_factor, self.base = scaling_factor, base
        self.reset()

    def reset(self) -> None:
        """A new module, as "new module" makes it: no calls yet."""
        self.module = DynamicNTKScalingRotaryEmbedding(self.dim, self.max_position_embeddings, self.base,
                                                       scaling_factor=self.scaling_factor)
        self.rows: list[CallRow] = []

    @property
    def calls(self) -> tuple[tuple[int, str], ...]:
        return tuple((row.seq_len, row.x_dtype) for row in self.rows)

    def call(self, seq_len, dtype: str) -> CallRow:
        """`module(x, seq_len=seq_len)` with a one-element x of `dtype`; the row read back from it."""
        seq_len, dtype = _check_call(seq_len, dtype)
        module = self.module
        before = module.cos_cached
        cos, _ = module(torch.zeros(1, dtype=getattr(torch, dtype)), seq_len=seq_len)
        rebuilt = module.cos_cached is not before  # a rebuild registers a new tensor
        cached = module.max_seq_len_cached
        base = _base_for_cache(cached, self.dim, self.max_position_embeddings, self.scaling_factor, self.base)
        if not torch.equal(module.inv_freq, inv_freq_for_base(base, self.dim)):
            raise RuntimeError(f"inv_freq is not that of base {base} after a call with seq_len={seq_len}")
        shares = cos.untyped_storage().data_ptr() == module.cos_cached.untyped_storage().data_ptr()
        row = CallRow(len(self.rows) + 1, seq_len, dtype, rebuilt, cached, base, module.inv_freq[-1].item(),
                      _dtype_name(module.cos_cached.dtype), "view" if shares else "copy", _dtype_name(cos.dtype))
        self.rows.append(row)
        return row


def observe_rows(calls, **config) -> list[CallRow]:
    """The rows a real fresh module gives for `calls` (see `CallTrace`)."""
    trace = CallTrace(**config)
    for seq_len, dtype in calls:
        trace.call(seq_len, dtype)
    return trace.rows


def table_cells(rows) -> list[dict[str, str]]:
    """The table as text, one {column: text} per row: what the widget shows and tests read back."""
    cells = []
    for row in rows:
        returned = f"{row.returned} ({row.returned_dtype})"
        cells.append(dict(zip(COLUMNS, (
            str(row.call), str(row.seq_len), row.x_dtype, "yes" if row.rebuilt else "no",
            str(row.max_seq_len_cached), format_number(row.base), format_number(row.inv_freq_last),
            row.cache_dtype, returned,
        ))))
    return cells


def _table_html(rows) -> str:
    cell = "padding:1px 8px;text-align:right;white-space:nowrap"
    head = "".join(f"<th style='{cell}'>{html.escape(c)}</th>" for c in COLUMNS)
    body = []
    for row, cells in zip(rows, table_cells(rows)):
        colour = style.BEYOND if row.rebuilt else style.BLACK
        tds = "".join(f"<td data-col='{html.escape(c)}' style='{cell}'>"
                      f"{html.escape(cells[c])}</td>" for c in COLUMNS)
        body.append(f"<tr style='color:{colour}'>{tds}</tr>")
    if not body:
        body.append(f"<tr><td colspan='{len(COLUMNS)}' style='padding:2px 10px'>a new module: no calls yet "
                    "(max_seq_len_cached is None)</td></tr>")
    return ("<div style='max-height:18em;overflow:auto;font-family:monospace'><table style='border-collapse:"
            f"collapse'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _log2(values) -> np.ndarray:
    return np.log2(np.asarray(values, dtype=np.float64))


class CallInspector(Explorer):
    """Lesson 02: a sequence of forward calls on the seed's dynamic module (D = 64, L = 2048, s = 2)."""

    name = "call_inspector"
    figsize = style.figsize(5.0)
    BUTTONS = {"call": "call", "new_module": "new module"}

    def __init__(self, calls=(), **overrides):
        self.trace = CallTrace()
        for seq_len, dtype in calls:
            self.trace.call(seq_len, dtype)
        self._pending = None
        super().__init__(**overrides)
        self.buttons = {}
        for key, label in self.BUTTONS.items():
            button = widgets.Button(description=label, layout=widgets.Layout(width="140px"))
            button.add_class("rc-button")
            button.add_class(f"rc-button-{key}")
            button.on_click(lambda _button, key=key: self.press(key))
            self.buttons[key] = button
        self.table = widgets.HTML()
        self.table.add_class("rc-table")
        self.box.children = (*self.controls.values(), widgets.HBox(list(self.buttons.values())), self.readout,
                             self.error, self.table)
        self._show_table()

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(1000, extra=(INSPECTOR_L, INSPECTOR_L + 1, 3000, 3001)),
            "dtype": choice_buttons("dtype", "float32", DTYPES),
        }

    def params(self):
        return {**super().params(), "calls": self.trace.calls}

    # --- the buttons --------------------------------------------------------------------
    def press(self, key: str) -> None:
        """What a click on button `key` does ("call" or "new_module"), errors shown in the box."""
        if key not in self.BUTTONS:
            raise ValueError(f"no button {key!r}; the buttons are {tuple(self.BUTTONS)}")
        self._pending = key
        self._on_change(None)

    def update(self, **params) -> None:
        pending, self._pending = self._pending, None
        if pending == "call":
            current = {**self.params(), **params}
            self.trace.call(current["seq_len"], current["dtype"])
        elif pending == "new_module":
            self.trace.reset()
        super().update(**params)
        self._show_table()

    def _show_table(self) -> None:
        if list(self.result["rows"]) != self.trace.rows:
            raise RuntimeError("the module's state differs from what upstream's rules predict: "
                               f"{self.trace.rows[-1:]} against {self.result['rows'][-1:]}")
        self.table.value = _table_html(self.trace.rows)

    # --- compute ------------------------------------------------------------------------
    @staticmethod
    def compute(seq_len, dtype="float32", calls=()):
        rows = predict_rows(calls)
        seq_len, dtype = _check_call(seq_len, dtype)
        return {"seq_len": seq_len, "dtype": dtype, "calls": tuple(calls), "rows": rows}

    @staticmethod
    def readout_values(result):
        last = result["rows"][-1] if result["rows"] else None
        return {
            "next call: seq_len": result["seq_len"],
            "x dtype": result["dtype"],
            "calls made": len(result["rows"]),
            "max_seq_len_cached": last.max_seq_len_cached if last else "None",
            "base in force": last.base if last else float(INSPECTOR_BASE),
            "cos_cached dtype": last.cache_dtype if last else _dtype_name(torch.get_default_dtype()),
        }

    @staticmethod
    def table_values(result) -> list[dict[str, str]]:
        """The table `compute`'s result gives, as the page shows it (`table_cells`), for tests."""
        return table_cells(result["rows"])

    @staticmethod
    def params_from_table(cells) -> dict:
        """The `calls` parameter from the table a page shows (`table_cells` rows), for tests."""
        return {"calls": tuple((int(row["seq_len"]), row["x dtype"]) for row in cells)}

    # --- the picture ----------------------------------------------------------------------
    @staticmethod
    def _slots(result):
        """(x of each drawn call, the rows drawn, x of the next call, tick labels of the slots)."""
        rows = result["rows"]
        first = max(0, len(rows) - (SLOTS - 1))
        shown = rows[first:]
        xs = list(range(1, len(shown) + 1))
        labels = [str(row.call) for row in shown] + ["next"] + [""] * (SLOTS - len(shown) - 1)
        return xs, shown, len(shown) + 1, labels

    @staticmethod
    def _title(result):
        return (f"next call: seq_len = {result['seq_len']}, x dtype = {result['dtype']}   |   "
                f"calls made: {len(result['rows'])}")

    def draw(self, fig, result):
        lengths, bases = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.5, 1]})
        self.l_line = lengths.axhline(np.log2(INSPECTOR_L), color=style.REFERENCE, ls="--", lw=1.2,
                                      label=f"L = max_position_embeddings = {INSPECTOR_L}")
        (self.cached,) = lengths.plot([], [], color=style.DYNAMIC, lw=2.5, label="max_seq_len_cached after the call")
        (self.rebuilt,) = lengths.plot([], [], "o", ms=8, color=style.BEYOND, ls="none",
                                       label="seq_len asked: rebuilt")
        (self.reused,) = lengths.plot([], [], "o", ms=8, color=style.DYNAMIC, mfc="white", mew=2, ls="none",
                                      label="seq_len asked: served from the cache")
        (self.next,) = lengths.plot([], [], "D", ms=9, color=style.BLACK, mfc="white", mew=2, ls="none",
                                    label="the next call (seq_len slider)")
        style.plain_ticks(lengths.yaxis, [0, 4, 8, 11, 14, 17], ["1", "16", "256", "2048", "16384", "131072"])
        lengths.set_ylim(-0.8, 17.8)
        lengths.set_ylabel("tokens (log)")
        # Linear from 0, top following the calls shown: 10000 against 19710 (the seed's example) is
        # a doubling the learner should see, which a log axis over 10k .. 1M flattened.
        self.base_ticks = style.LiveTicks(bases, "base in force", label_chars=4)
        self.original = bases.axhline(INSPECTOR_BASE, color=style.REFERENCE, ls="--", lw=1.2,
                                      label=f"original base {INSPECTOR_BASE}")
        (self.base_line,) = bases.plot([], [], "o-", drawstyle="steps-mid", color=style.DYNAMIC, ms=6,
                                      label="base in force after the call")
        bases.set_xlim(0.4, SLOTS + 0.6)
        bases.set_xlabel("call")
        style.legend(lengths, where="right")
        style.legend(bases, where="right")
        self._labels = None
        self._set_slot_labels(result)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self._set_data(result)
        self.animate(self.cached, self.rebuilt, self.reused, self.next, self.base_line, self.title,
                     rarely=[self.original, *self.base_ticks.artists])

    def _set_slot_labels(self, result) -> bool:
        """Tick labels = call numbers (static: changed only when a call shifts the window)."""
        labels = self._slots(result)[3]
        if labels == self._labels:
            return False
        for ax in self.fig.axes:
            style.plain_ticks(ax.xaxis, list(range(1, SLOTS + 1)), labels)
        self._labels = labels
        return True

    def _set_data(self, result) -> None:
        xs, shown, next_x, _ = self._slots(result)
        bars_x = [v for x in xs for v in (x - BAR, x + BAR, np.nan)]  # one short bar per call
        bars_y = [v for row in shown for v in (row.max_seq_len_cached,) * 2 + (np.nan,)]
        self.cached.set_data(bars_x, _log2(bars_y))
        for line, rebuilt in ((self.rebuilt, True), (self.reused, False)):
            picked = [(x, row.seq_len) for x, row in zip(xs, shown) if row.rebuilt is rebuilt]
            line.set_data([x for x, _ in picked], _log2([l for _, l in picked]))
        self.next.set_data([next_x], _log2([result["seq_len"]]))
        shown_bases = [row.base for row in shown]
        self.base_ticks.set_top(max([float(INSPECTOR_BASE), *shown_bases]))
        self.base_line.set_data(xs, shown_bases)

    def redraw(self, result):
        if self._set_slot_labels(result):
            self.invalidate_background()
        self._set_data(result)
        self.title.set_text(self._title(result))
