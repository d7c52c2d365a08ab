"""The one widget pattern every explorer uses (DESIGN.md section 4, pattern (a)).

An explorer is a pure function of its parameters (`compute`) plus wiring:

* the figure is drawn once and shown with `display(..., display_id=True)` (as a PNG, which
  also leaves a picture in the saved notebook); each slider move updates the artists in place
  and calls `handle.update(...)` with the new PNG;
* a readout (`rc-readout`) shows the key numbers next to the picture, each in a
  `<span data-key=...>` so a test can read them back;
* callback errors are caught and shown in a visible `rc-error` box (widgets swallow them
  otherwise), then re-raised to the log.

Conventions the browser test relies on: the whole box has classes `rc-explorer` and
`rc-explorer-<name>`, each slider `rc-slider` and `rc-slider-<description>`; slider
descriptions are exactly the parameter names (`seq_len`, `scaling_factor`, ...). Every explorer
class is registered in `REGISTRY` under its name so tests can recompute a readout from slider
values without a browser.
"""

from __future__ import annotations

import html
import io
import math
import traceback
from typing import Any, ClassVar

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

REGISTRY: dict[str, type["Explorer"]] = {}


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


def scaling_factor_slider(value: float = 2.0, lo: float = 1.0, hi: float = 16.0, step: float = 0.25) -> widgets.FloatSlider:
    return widgets.FloatSlider(
        value=value, min=lo, max=hi, step=step, description="scaling_factor", readout_format=".2f",
        continuous_update=True, layout=widgets.Layout(width="520px"), style={"description_width": "110px"},
    )


def int_choice_slider(name: str, value: int, options) -> widgets.SelectionSlider:
    return widgets.SelectionSlider(
        options=list(options), value=value, description=name,
        layout=widgets.Layout(width="520px"), style={"description_width": "110px"},
    )


def format_number(value) -> str:
    """How readouts print numbers: ints exactly, floats to 6 significant digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


class Explorer:
    """Subclasses set `name`, build controls in `make_controls`, draw in `draw`, update in `redraw`."""

    name: ClassVar[str] = ""
    figsize: ClassVar[tuple[float, float]] = (8.0, 3.2)
    dpi: ClassVar[int] = 80

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
        self.box = widgets.VBox([*self.controls.values(), self.readout, self.error])
        self.box.add_class("rc-explorer")
        self.box.add_class(f"rc-explorer-{self.name}")
        # A bare Figure, not pyplot's: the inline backend then never shows it a second time.
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi)
        self._background = None
        self._animated = None
        self.result = self.compute(**self.params())
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
        self.redraw(self.result)
        self._show_readout(self.result)
        if self._handle is not None:
            self._handle.update(self.picture())

    def render_png(self) -> bytes:
        """The PNG the notebook shows, drawn as cheaply as matplotlib allows.

        Artists a subclass marks with `set_animated(True)` in `draw` are the ones `redraw`
        changes; everything else (axes, ticks, labels, static curves) is drawn once and kept
        as a background. An update then costs restoring that background, drawing the few
        animated artists and encoding the pixels, not a full figure draw (the part that
        dominates: text layout). A subclass whose `redraw` changes something static (axis
        limits, tick labels) calls `self.invalidate_background()`. With no animated artists
        every render is one full draw. No bbox_inches="tight": `draw` lays out with
        tight_layout once, and the tight pass would draw everything twice.
        """
        canvas = self._canvas()
        if self._background is None:
            canvas.draw()  # animated artists are skipped by a normal draw
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self._animated:
            artist.draw(renderer)
        width, height = canvas.get_width_height()
        buffer = io.BytesIO()
        # compress_level 1: the PNG is re-sent on every move; size matters less than latency
        PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def animate(self, *artists) -> None:
        """Mark the artists `redraw` changes (call at the end of `draw`); see `render_png`."""
        for artist in artists:
            artist.set_animated(True)
        self._animated = None

    def invalidate_background(self) -> None:
        """Call from `redraw` after changing a non-animated part of the figure."""
        self._background = None

    def _canvas(self) -> FigureCanvasAgg:
        if not isinstance(self.fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(self.fig)
        if self._animated is None:
            self._animated = sorted(self.fig.findobj(lambda a: a.get_animated()), key=lambda a: a.get_zorder())
        if not self._animated:
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
