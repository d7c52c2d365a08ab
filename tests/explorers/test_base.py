"""The shared explorer mechanics, for every registered explorer."""

import html
import io

import numpy as np
import pytest
from PIL import Image

from rope_course.explorers import REGISTRY, format_number, log_spaced_ints
from rope_course.explorers.base import encode_png


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def moved_params(explorer) -> dict:
    """Move every slider two notches from where it starts (or back, at the end of its range)."""
    params = {}
    for name, control in explorer.controls.items():
        if hasattr(control, "options"):
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            i = options.index(control.value)
            params[name] = options[i + 2] if i + 2 < len(options) else options[max(0, i - 2)]
        else:
            step = control.step * 2
            params[name] = control.value + step if control.value + step <= control.max else control.value - step
    return params


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_fast_update_draws_what_a_full_draw_draws(name):
    """render_png after update() (background kept, animated artists redrawn) must give the
    same pixels as a new explorer built at those values and drawn from scratch."""
    cls = REGISTRY[name]
    explorer = cls()
    before = explorer.render_png()
    params = moved_params(explorer)
    explorer.update(**params)
    for key, value in params.items():
        explorer.controls[key].value = value  # keep the widgets in step, as a slider move does
    after = explorer.render_png()
    fresh = cls(**params).render_png()
    assert not np.array_equal(pixels(before), pixels(after)), f"{name}: moving {params} changed nothing"
    assert np.array_equal(pixels(after), pixels(fresh)), f"{name}: the updated picture differs from a fresh one"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_controls_and_readout_conventions(name):
    explorer = REGISTRY[name]()
    assert explorer.box._dom_classes[:2] == ("rc-explorer", f"rc-explorer-{name}")
    for key, control in explorer.controls.items():
        assert control.description == key
        assert f"rc-slider-{key}" in control._dom_classes
    values = explorer.readout_values(explorer.compute(**explorer.params()))
    shown = explorer.readout.value
    assert values
    assert all(f'data-key="{html.escape(label)}">{format_number(v)}<' in shown for label, v in values.items())


def test_log_spaced_ints():
    values = log_spaced_ints(1, 131072)
    assert values[0] == 1 and values[-1] == 131072 and values == sorted(set(values))
    assert 60 <= len(values) <= 80  # about four notches per doubling


@pytest.mark.parametrize("name,far_value", [("preview", 8192), ("rotation", 16384)])
def test_slider_walk_through_the_widgets(name, far_value):
    """Move the sliders through their widgets (as the browser does), including scaling_factor
    moves while seq_len is below L, where it must still show; every PNG must differ."""
    e = REGISTRY[name]()
    assert set(e.controls) == {"seq_len", "scaling_factor"}
    seq, s = e.controls["seq_len"], e.controls["scaling_factor"]
    assert max(seq.options) >= 131072 and s.min == 1.0 and s.max >= 16.0
    options = list(seq.options)
    pngs = [e.render_png()]
    moves = [
        (seq, options[options.index(far_value) + 1]),
        (s, 1.25),
        (seq, options[options.index(1024)]),
        (s, 1.5),
        (seq, options[0]),
    ]
    for control, value in moves:
        control.value = value  # fires the observer: update + redraw
        pngs.append(e.render_png())
    assert all(a != b for a, b in zip(pngs, pngs[1:]))
    assert e.params() == {"seq_len": options[0], "scaling_factor": 1.5}
    assert e.readout_values(e.result) == e.readout_values(e.compute(**e.params()))


@pytest.mark.parametrize("width,height", [(1, 1), (7, 3), (960, 40)])
def test_encode_png_round_trips_through_pillow(width, height):
    rng = np.random.default_rng(width * height)
    rgba = rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8)
    png = encode_png(rgba.tobytes(), width, height)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGBA" and image.size == (width, height)
    assert np.array_equal(np.asarray(image), rgba)


def test_render_png_is_the_canvas():
    explorer = REGISTRY["preview"]()
    png = explorer.render_png()
    assert np.array_equal(pixels(png), np.asarray(explorer.fig.canvas.buffer_rgba()))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_unrendered_box_says_what_to_do(name):
    """Where the widget cannot be drawn (an unrun lesson, widgets off) the notebook shows the
    box's text/plain: one plain sentence, not the repr of every slider; the widget view stays."""
    from rope_course.explorers.base import FALLBACK_TEXT

    bundle = REGISTRY[name]().box._repr_mimebundle_()
    assert bundle["text/plain"] == FALLBACK_TEXT
    assert "run this cell" in FALLBACK_TEXT and "VBox" not in FALLBACK_TEXT
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
