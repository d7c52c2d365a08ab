"""The one widget pattern every explorer uses: the inline pattern, a PNG updated in place.

An explorer is a pure function of its parameters (`compute`) plus wiring:

* the figure is drawn once and shown with `display(..., display_id=True)` (as a PNG, which
  also leaves a picture in the saved notebook); each slider move updates the artists in place
  and calls `handle.update(...)` with the new PNG;
* a readout (`rc-readout`) shows the key numbers next to the picture, each in a
  `<span data-key=...>` so a test can read them back;
* callback errors are caught and shown in a visible `rc-error` box (widgets swallow them
  otherwise), then re-raised to the log.

Every figure follows `style.py` (read its docstring before drawing): full notebook width at
`style.DPI`, and `draw`, `redraw` and `render_png` run inside `style.context()`, so the
course's rc settings apply to explorer figures only and matplotlib's global state is unchanged.

Without a live kernel (an unrun lesson opened in JupyterLab, or widgets that are not enabled) a
notebook shows a widget's plain-text form. The explorer box (`ExplorerBox`) gives one sentence
that says what to do (`FALLBACK_TEXT`) instead of the widget's repr; the widget view is unchanged.

Conventions the browser test relies on: the whole box has classes `rc-explorer` and
`rc-explorer-<name>`, each slider `rc-slider` and `rc-slider-<description>`; slider
descriptions are exactly the parameter names (`seq_len`, `scaling_factor`, ...). Every explorer
class is registered in `REGISTRY` under its name so tests can recompute a readout from slider
values without a browser.
"""

from __future__ import annotations

import html
import math
import struct
import traceback
import zlib
from typing import Any, ClassVar

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from . import style

REGISTRY: dict[str, type[Explorer]] = {}

FALLBACK_TEXT = ("Interactive explorer: run this cell for live sliders (the picture below is the saved one; "
                 "if this line stays after running, see 00_start_here, section 2)")


class ExplorerBox(widgets.VBox):
    """The box that holds an explorer's controls, readout and error line.

    Its plain-text form (what a notebook shows where the widget cannot be drawn) is
    `FALLBACK_TEXT`, not the repr of every child; the widget view itself is VBox's.
    """

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            data["text/plain"] = FALLBACK_TEXT
        return data


def encode_png(rgba, width: int, height: int) -> bytes:
    """A PNG of 8-bit RGBA pixels (row-major, `height` rows of `width` pixels), as fast as zlib
    allows: every row unfiltered (filter type 0), deflate level 1.

    Why not Pillow: its encoder chooses a filter for every row, which is most of its time; on
    these figures (flat colours, a white page) it took 2.4x the CPU time of this function for a
    file 30% larger (960 x 518 px clock: 22 ms against 9 ms). The PNG is re-sent on every
    slider move, so latency counts more than bytes. Tests decode it with Pillow.
    """
    pixels = np.frombuffer(rgba, dtype=np.uint8).reshape(height, width * 4)
    rows = np.empty((height, width * 4 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "None"
    rows[:, 1:] = pixels

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA, deflate, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


def _appearance(artist) -> tuple:
    """What decides the pixels of a rarely changing artist (text, line data, axes limits)."""
    limits = (artist.axes.get_xlim(), artist.axes.get_ylim()) if artist.axes is not None else None
    if isinstance(artist, Text):
        return (artist.get_text(), artist.get_position(), artist.get_visible(), limits)
    if isinstance(artist, Line2D):
        return (artist.get_xydata().tobytes(), artist.get_visible(), limits)
    return (object(),)  # anything else: always redrawn


def log_spaced_ints(lo: int, hi: int, per_octave: int = 4, extra=()) -> list[int]:
    """Sorted distinct ints from lo to hi, about `per_octave` per doubling, plus `extra`."""
    values = {lo, hi, *extra}
    steps = max(1, round(math.log2(hi / lo) * per_octave))
    for k in range(steps + 1):
        values.add(round(lo * (hi / lo) ** (k / steps)))
    return sorted(v for v in values if lo <= v <= hi)


def seq_len_slider(value: int, options=None, lo: int = 1, hi: int = 131072, extra=()) -> widgets.SelectionSlider:
    """A log-spaced `seq_len` slider: ArrowRight moves one notch; the readout is the value."""
    options = list(options) if options is not None else log_spaced_ints(lo, hi, extra=(value, *extra))
    if value not in options:
        options = sorted({*options, value})
    return widgets.SelectionSlider(
        options=options, value=value, description="seq_len", continuous_update=True,
        layout=widgets.Layout(width="520px"), style={"description_width": "110px"},
    )


def scaling_factor_slider(value: float = 2.0, lo: float = 1.0, hi: float = 16.0,
                          step: float = 0.25) -> widgets.FloatSlider:
    return widgets.FloatSlider(
        value=value, min=lo, max=hi, step=step, description="scaling_factor", readout_format=".2f",
        continuous_update=True, layout=widgets.Layout(width="520px"), style={"description_width": "110px"},
    )


def int_choice_slider(name: str, value: int, options) -> widgets.SelectionSlider:
    return widgets.SelectionSlider(
        options=list(options), value=value, description=name,
        layout=widgets.Layout(width="520px"), style={"description_width": "110px"},
    )


def choice_buttons(name: str, value, options) -> widgets.ToggleButtons:
    """A row of buttons for a categorical parameter (a method, a rule), described by its name."""
    return widgets.ToggleButtons(
        options=list(options), value=value, description=name,
        style={"description_width": "110px", "button_width": "110px"},
    )


def format_number(value) -> str:
    """How readouts print numbers: ints exactly, floats to 6 significant digits (text as is)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


class Explorer:
    """Subclasses set `name`, build controls in `make_controls`, draw in `draw`, update in `redraw`."""

    name: ClassVar[str] = ""
    figsize: ClassVar[tuple[float, float]] = style.figsize()
    dpi: ClassVar[int] = style.DPI

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            REGISTRY[cls.name] = cls

    # --- to override ------------------------------------------------------------------
    def make_controls(self) -> dict[str, widgets.Widget]:
        raise NotImplementedError

    @staticmethod
    def compute(**params) -> dict[str, Any]:
        """Pure: parameters -> everything the picture and the readout need."""
        raise NotImplementedError

    @staticmethod
    def readout_values(result: dict[str, Any]) -> dict[str, Any]:
        """The key numbers shown next to the picture, {label: value}."""
        raise NotImplementedError

    def draw(self, fig, result) -> None:
        raise NotImplementedError

    def redraw(self, result) -> None:
        raise NotImplementedError

    # --- wiring -------------------------------------------------------------------------
    def __init__(self, **overrides):
        self.controls = self.make_controls()
        for key, value in overrides.items():
            self.controls[key].value = value
        for key, control in self.controls.items():
            control.add_class("rc-slider")
            control.add_class(f"rc-slider-{key}")
        self.readout = widgets.HTML()
        self.readout.add_class("rc-readout")
        self.error = widgets.HTML(layout=widgets.Layout(display="none"))
        self.error.add_class("rc-error")
        self.box = ExplorerBox([*self.controls.values(), self.readout, self.error])
        self.box.add_class("rc-explorer")
        self.box.add_class(f"rc-explorer-{self.name}")
        self._background = None
        self._animated = None
        self._rarely_ids: set[int] = set()
        self._layer_key = None
        self.result = self.compute(**self.params())
        with style.context():
            # A bare Figure, not pyplot's: the inline backend then never shows it a second time.
            self.fig = Figure(figsize=self.figsize, dpi=self.dpi)
            self.draw(self.fig, self.result)
        self._show_readout(self.result)
        self._handle = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def params(self) -> dict[str, Any]:
        return {key: control.value for key, control in self.controls.items()}

    def _show_readout(self, result) -> None:
        items = "".join(
            f'<span style="margin-right:1.5em"><b>{html.escape(label)}</b> = '
            f'<span data-key="{html.escape(label)}">{format_number(value)}</span></span>'
            for label, value in self.readout_values(result).items()
        )
        self.readout.value = f'<div style="font-family:monospace">{items}</div>'

    def update(self, **params) -> None:
        """Recompute and redraw for new parameter values (what a slider move does)."""
        self.result = self.compute(**{**self.params(), **params})
        with style.context():
            self.redraw(self.result)
        self._show_readout(self.result)
        if self._handle is not None:
            self._handle.update(self.picture())

    def render_png(self) -> bytes:
        """The PNG the notebook shows, drawn as cheaply as matplotlib allows.

        Artists a subclass marks with `self.animate(...)` in `draw` are the ones `redraw`
        changes; everything else (axes, ticks, labels, static curves) is drawn once and kept
        as a background. An update then costs restoring that background, drawing the few
        animated artists and encoding the pixels, not a full figure draw (the part that
        dominates: text layout). Animated artists that change only now and then (the labels
        of a `style.LiveTicks` axis) go in `animate(..., rarely=[...])`: they are drawn into a
        second kept layer over the background, redrawn only when their text, data or axes
        limits changed, and beneath the other animated artists. A subclass whose `redraw`
        changes something static (axis limits, tick labels) calls
        `self.invalidate_background()` (or `self.relayout()`). With no animated artists every
        render is one full draw. No bbox_inches="tight": `draw` lays out with tight_layout
        once, and the tight pass would draw everything twice.
        """
        with style.context():
            canvas = self._canvas()
            if self._background is None:
                canvas.draw()  # animated artists are skipped by a normal draw
                self._background = canvas.copy_from_bbox(self.fig.bbox)
                self._layer_key = None
            renderer = canvas.get_renderer()
            key = [_appearance(artist) for artist in self._rarely]
            if self._layer_key is None or key != self._layer_key:
                canvas.restore_region(self._background)
                for artist in self._rarely:
                    artist.draw(renderer)
                self._layer = canvas.copy_from_bbox(self.fig.bbox)
                self._layer_key = key
            else:
                canvas.restore_region(self._layer)
            for artist in self._animated:
                artist.draw(renderer)
        width, height = canvas.get_width_height()
        return encode_png(canvas.buffer_rgba(), width, height)

    def animate(self, *artists, rarely=()) -> None:
        """Mark the artists `redraw` changes (call at the end of `draw`); see `render_png`."""
        for artist in (*artists, *rarely):
            artist.set_animated(True)
        self._rarely_ids = {id(artist) for artist in rarely}
        self._animated = None

    def invalidate_background(self) -> None:
        """Call from `redraw` after changing a non-animated part of the figure."""
        self._background = None

    def relayout(self) -> None:
        """Lay the figure out again exactly as a fresh one is laid out (from the default subplot
        parameters; tight_layout's result depends on where it starts), for a `redraw` whose
        static content (tick labels, say) takes other room now. Invalidates the background."""
        self.fig.subplots_adjust(**{k: mpl.rcParams[f"figure.subplot.{k}"]
                                    for k in ("left", "right", "bottom", "top", "wspace", "hspace")})
        self.fig.tight_layout()
        self.invalidate_background()

    def _canvas(self) -> FigureCanvasAgg:
        if not isinstance(self.fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(self.fig)
        if self._animated is None:
            animated = sorted(self.fig.findobj(lambda a: a.get_animated()), key=lambda a: a.get_zorder())
            self._rarely = [a for a in animated if id(a) in self._rarely_ids]
            self._animated = [a for a in animated if id(a) not in self._rarely_ids]
        if not self._animated and not self._rarely:
            self._background = None  # nothing to keep: draw everything every time
        return self.fig.canvas

    def picture(self):
        """The figure as the notebook shows it: a PNG rendered here, so it never depends on
        which matplotlib backend the kernel happened to load."""
        from IPython.display import Image

        return Image(data=self.render_png(), format="png")

    def _on_change(self, _change) -> None:
        try:
            self.update()
            self.error.value = ""
            self.error.layout.display = "none"
        except Exception:
            self.error.value = "<pre>" + html.escape(traceback.format_exc()) + "</pre>"
            self.error.layout.display = None
            raise

    def show(self):
        """Display the controls, the readout and the figure (call once, as a cell's last act)."""
        from IPython.display import display

        display(self.box)
        self._handle = display(self.picture(), display_id=True)
        return None


WIDE_DESCRIPTION_PX = 190  # fits "max_position_embeddings" at JupyterLab's widget font (the sliders above give 110)


def widen_descriptions(controls: dict) -> dict:
    """Give every control of an explorer the room its longest description needs, all alike so the
    tracks still line up, and widen the sliders by as much so their tracks keep their length."""
    for control in controls.values():
        before = control.style.description_width
        extra = WIDE_DESCRIPTION_PX - int(before[:-2]) if before.endswith("px") else 0
        control.style.description_width = f"{WIDE_DESCRIPTION_PX}px"
        if control.layout.width and control.layout.width.endswith("px"):
            control.layout.width = f"{int(control.layout.width[:-2]) + extra}px"
    return controls
