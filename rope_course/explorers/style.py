"""The one style of every explorer's figure: sizes, fonts, colours, legends, readouts, axes.

`Explorer` (base.py) applies it for you: every figure is `style.figsize(...)` at `style.DPI`,
and `draw`, `redraw` and `render_png` run inside `style.context()`, which applies `RC` for
the duration of the call and restores matplotlib's global settings afterwards (pyplot and
other figures in the notebook are never touched). `tests/explorers/test_style.py` checks the
rules below for every explorer in `REGISTRY`; a new explorer is covered as soon as it exists.

The rules
---------
1. **Fill the notebook width.** JupyterLab's default notebook column is about 1,000 px wide
   (`COLUMN_PX`). Every figure is `FIG_WIDTH_IN` x height inches at `DPI` = 96, i.e. a PNG of
   `FIG_WIDTH_PX` = 960 px, shown at its natural size. Choose only the height:
   `figsize = style.figsize(3.6)` (the default), taller for square pictures (clocks).
2. **Text at least `MIN_FONT_PT` (10 pt) at display size.** At 96 dpi and natural size one
   matplotlib point is one CSS point, so the sizes in `RC` are what the learner sees (11 pt
   ticks and legends, 12 pt labels and titles). Never pass a smaller `fontsize=`.
3. **A colour-blind-safe palette**: the eight colours of Okabe and Ito's "Color Universal
   Design" (2008), named below, plus two neutral greys for references and backgrounds. Use
   the role names, so one method has one colour in every lesson: `PLAIN` (no scaling / the
   original, black), `DYNAMIC` (dynamic NTK, blue), `PI` (linear interpolation, orange),
   `NTK_AWARE` (fixed NTK-aware, bluish green), `YARN` (reddish purple), `BEYOND` (outside
   the trained range, a rebuild, a wrong value: vermillion), `REFERENCE` (grey: L, the line
   at 1, a fresh module), `BAND` (light grey: shading, trained arcs). Give lines distinct
   line styles or markers too, so a grey-scale print still tells them apart.
4. **Real legends**, never names folded into an axis label: label every artist that carries
   data (`label=...`) and call `style.legend(ax)`; it sits outside the data area (above the
   axes by default, `where="right"` beside it; `style.legend_below(fig, ax)` for one legend
   shared by several panels), so no slider position can hide data behind it. Every distinct
   line style on an axes must have a legend entry; an artist that carries no data (a
   separator, an outline) says so with `gid=style.DECORATION` and needs none.
5. **Readouts in the readout line or a title, never over data.** Numbers go in
   `readout_values` (the widget's readout line). A picture may repeat the key parameters in
   its title, `self.title = style.readout_title(fig, text)` (top left of the figure, above
   the legends), animated and updated in `redraw`. Keep it short (the values that move:
   every glyph is rendered again on every update, and text is the dearest thing to draw);
   static context goes in axis labels. No `ax.text` inside an axes.
6. **Axes that show the effect.** Linear where the difference is the point (a ratio against
   1, a base against another base, lengths that differ by 30%); logarithmic only where the
   values span decades and the spread itself is the point. A linear axis whose limits
   follow the data uses `LiveTicks`, which moves limits and tick labels without a full
   redraw. Fixed ticks use `plain_ticks` (the one tick helper: plain-text labels, no minor
   ticks; matplotlib's default log labels are mathtext, whose layout costs most of a redraw).
7. **Fast.** An update redraws only the artists marked with `self.animate(...)` on a kept
   background (see `Explorer.render_png`); artists that change only with an axis limit
   (`LiveTicks` labels, an `axhline` on such an axis) go in `animate(..., rarely=[...])` and
   are redrawn only when they changed. The budget is a median of 50 ms and a p95 of 100 ms
   per update (`benchmarks/run.py`). Anything whose pixels depend on a limit that moves
   must be animated, one way or the other.

A minimal explorer in this style::

    from . import style
    from .base import Explorer, seq_len_slider

    class MyExplorer(Explorer):
        name = "my"                                # registered; browser test class rc-explorer-my
        figsize = style.figsize(3.6)

        def make_controls(self):
            return {"seq_len": seq_len_slider(8192)}

        def draw(self, fig, result):
            ax = fig.add_subplot()
            (self.line,) = ax.plot(result["x"], result["y"], color=style.DYNAMIC, label="dynamic NTK")
            ax.axhline(1.0, color=style.REFERENCE, ls="--", lw=1, label="trained range")
            style.plain_ticks(ax.xaxis, [0, 8, 16, 24, 31])
            ax.set_xlabel("pair i (0 = highest frequency)")
            style.legend(ax)
            self.title = style.readout_title(fig, f"seq_len = {result['seq_len']}")
            fig.tight_layout()
            self.animate(self.line, self.title)

        def redraw(self, result):
            self.line.set_ydata(result["y"])
            self.title.set_text(f"seq_len = {result['seq_len']}")
"""

from __future__ import annotations

import contextlib
import math
from itertools import zip_longest

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.markers import TICKLEFT
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator
from matplotlib.transforms import offset_copy

__all__ = [
    "COLUMN_PX", "DPI", "FIG_WIDTH_PX", "FIG_WIDTH_IN", "HEIGHT_IN", "MIN_FONT_PT", "FONT_PT", "TITLE_PT",
    "BLACK", "ORANGE", "SKY_BLUE", "GREEN", "YELLOW", "BLUE", "VERMILLION", "PURPLE", "GREY", "LIGHT_GREY",
    "PALETTE", "NEUTRALS", "ALLOWED_COLORS",
    "PLAIN", "DYNAMIC", "PI", "NTK_AWARE", "YARN", "BEYOND", "REFERENCE", "BAND", "METHOD_COLORS",
    "DECORATION", "RC", "context", "figsize", "legend", "legend_below", "readout_title", "plain_ticks", "tick_label",
    "nice_top", "nice_ticks",
    "LiveTicks",
]

# --- sizes ------------------------------------------------------------------------------------
COLUMN_PX = 1000  # JupyterLab's default notebook column, about
DPI = 96  # at natural size 1 pt in matplotlib = 1 pt on the page
FIG_WIDTH_PX = 960
FIG_WIDTH_IN = FIG_WIDTH_PX / DPI
HEIGHT_IN = 3.6
MIN_FONT_PT = 10.0
FONT_PT = 11.0
TITLE_PT = 12.0

# --- colours: Okabe & Ito, "Color Universal Design" (2008) ------------------------------------
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"  # "bluish green"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"  # "reddish purple"
GREY = "#808080"
LIGHT_GREY = "#D9D9D9"
PALETTE = (BLACK, ORANGE, SKY_BLUE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE)
NEUTRALS = (GREY, LIGHT_GREY, "#FFFFFF")
ALLOWED_COLORS = PALETTE + NEUTRALS

# Roles: one meaning, one colour, in every lesson.
PLAIN = BLACK
DYNAMIC = BLUE
PI = ORANGE
NTK_AWARE = GREEN
YARN = PURPLE
BEYOND = VERMILLION
REFERENCE = GREY
BAND = LIGHT_GREY
METHOD_COLORS = {"plain": PLAIN, "dynamic NTK": DYNAMIC, "PI": PI, "NTK-aware": NTK_AWARE, "YaRN": YARN}

DECORATION = "rc-decoration"  # gid of an artist that carries no data (no legend entry needed)

RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "font.size": FONT_PT,
    "axes.titlesize": TITLE_PT,
    "axes.labelsize": TITLE_PT,
    "figure.titlesize": TITLE_PT,
    "xtick.labelsize": FONT_PT,
    "ytick.labelsize": FONT_PT,
    "legend.fontsize": FONT_PT,
    "legend.frameon": False,
    "legend.handlelength": 2.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=[BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY_BLUE, BLACK]),
    "lines.linewidth": 2.0,
    "lines.markersize": 6.0,
    "text.color": BLACK,
    "axes.labelcolor": BLACK,
    "xtick.color": BLACK,
    "ytick.color": BLACK,
    "axes.edgecolor": BLACK,
}


@contextlib.contextmanager
def context():
    """`with style.context(): ...` applies `RC` and restores the global settings afterwards.

    Like `matplotlib.rc_context(RC)`, but it saves and restores only the keys of `RC`:
    `rc_context` copies (and validates) every rc parameter on entry, which cost more than
    drawing a frame on a busy machine, and an explorer enters this on every update."""
    saved = {key: mpl.rcParams[key] for key in RC}
    try:
        mpl.rcParams.update(RC)
        yield
    finally:
        mpl.rcParams.update(saved)


def figsize(height_in: float = HEIGHT_IN) -> tuple[float, float]:
    """(width, height) in inches: always the full notebook width, only the height is yours."""
    return (FIG_WIDTH_IN, float(height_in))


def legend(ax, where: str = "above", ncols: int | None = None, **kwargs):
    """A real legend outside the data area: `where="above"` (rows above the axes, left
    aligned; `ncols` entries per row, default up to 3: check that the rows fit the figure)
    or `"right"` (a column beside the axes)."""
    handles, labels = ax.get_legend_handles_labels()
    if where == "above":
        ncols = ncols or min(3, max(1, len(labels)))
        return ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncols=ncols,
                         borderaxespad=0.0, columnspacing=1.2, **kwargs)
    if where == "right":
        return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncols=ncols or 1,
                         borderaxespad=0.0, **kwargs)
    raise ValueError(f"where must be 'above' or 'right', got {where!r}")


def legend_below(fig, ax, ncols: int = 2):
    """One legend for the whole figure, centred at its bottom edge, built from `ax`'s labelled
    artists (for panels that share one legend). `tight_layout` does not know about figure
    legends: leave room with `fig.subplots_adjust(bottom=...)` (about 25 px per legend row)."""
    handles, labels = ax.get_legend_handles_labels()
    return fig.legend(handles, labels, loc="lower center", ncols=ncols, bbox_to_anchor=(0.5, 0.0),
                      borderaxespad=0.3, columnspacing=2.0)


def readout_title(fig, text: str = ""):
    """The figure's title at its top left, above the legends: the place for the key parameters
    (animate it and update it in `redraw`)."""
    return fig.suptitle(text, x=0.008, ha="left", fontsize=TITLE_PT)


def tick_label(value: float) -> str:
    """Plain tick text, short and without mathtext: 0.5, 2, 4096, 2.5k, 20k, 1.5M, 100M."""
    for unit, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= unit and round(value / (unit / 10)) == value / (unit / 10):
            return f"{value / unit:g}{suffix}"
    return f"{value:g}"


def plain_ticks(axis, values, labels=None) -> None:
    """Fixed major ticks at `values` with plain-text labels (default `tick_label`), no minor
    ticks. `axis` is `ax.xaxis` or `ax.yaxis`; works on linear and log axes alike."""
    values = list(values)
    labels = [tick_label(v) for v in values] if labels is None else list(labels)
    axis.set_major_locator(FixedLocator(values))
    axis.set_major_formatter(FixedFormatter(labels))
    axis.set_minor_locator(NullLocator())


_NICE_TOPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_top(value: float, headroom: float = 1.08) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) >= value * headroom."""
    target = float(value) * headroom
    if not math.isfinite(target) or target <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(target))
    return next(t * scale for t in _NICE_TOPS if t * scale >= target * (1 - 1e-12))


def nice_ticks(top: float, max_ticks: int = 6) -> np.ndarray:
    """Round ticks 0, step, 2 step, ... <= top, at most `max_ticks` of them."""
    scale = 10.0 ** math.floor(math.log10(top / max(max_ticks - 1, 1)))
    step = next(s * scale for s in _NICE_STEPS if top / (s * scale) <= max_ticks - 1 + 1e-9)
    return np.arange(0.0, top * (1 + 1e-9), step)


class LiveTicks:
    """A linear y axis from 0 whose top follows the data, at the price of a few animated texts.

    Limits and tick labels normally belong to the static background, so changing them forces
    a full redraw. Here the axis draws no ticks of its own; the tick marks and labels are
    animated artists placed in the axes' y-axis transform (x in axes fraction, y in data), and
    `set_top` moves them with the limit. Reserve room for the labels with the y label's pad:
    `LiveTicks(ax, "base in force", label_chars=5)`. Animate `.artists` with
    `self.animate(..., rarely=ticks.artists)`: they are redrawn only when the top moves.
    Everything else drawn in data coordinates of y on this axes must be animated too.
    """

    def __init__(self, ax, ylabel: str, label_chars: int = 4, max_ticks: int = 6):
        self.ax = ax
        ax.yaxis.set_major_locator(NullLocator())
        ax.yaxis.set_minor_locator(NullLocator())
        transform = ax.get_yaxis_transform()
        size = mpl.rcParams["ytick.major.size"]
        pad = mpl.rcParams["ytick.major.pad"] + size
        (self.marks,) = ax.plot([], [], ls="none", marker=TICKLEFT, ms=size, mew=mpl.rcParams["ytick.major.width"],
                                color=BLACK, transform=transform, clip_on=False, label="_ticks")
        label_transform = offset_copy(transform, fig=ax.figure, x=-pad, y=0, units="points")
        self.labels = [ax.text(0, 0, "", transform=label_transform, ha="right", va="center", clip_on=False,
                               fontsize=mpl.rcParams["ytick.labelsize"]) for _ in range(max_ticks)]
        for artist in (self.marks, *self.labels):
            artist.set_in_layout(False)
        ax.set_ylabel(ylabel, labelpad=pad + 0.7 * FONT_PT * label_chars)
        self.max_ticks = max_ticks
        self.top = None

    @property
    def artists(self) -> list:
        return [self.marks, *self.labels]

    def set_top(self, value: float, minimum: float = 0.0) -> float:
        """Make the axis run from 0 to `max(nice_top(value), minimum)`; returns that top."""
        top = max(nice_top(value), float(minimum))
        self.top = top
        self.ax.set_ylim(0.0, top)
        ticks = nice_ticks(top, self.max_ticks)
        self.marks.set_data(np.zeros(len(ticks)), ticks)
        for text, tick in zip_longest(self.labels, ticks):
            if text is None:
                break
            text.set_text("" if tick is None else tick_label(float(tick)))
            text.set_y(0.0 if tick is None else float(tick))
        return top
