"""Lesson 02's call inspector: the predicted rows are what a real module does, call by call."""

import dataclasses
import io
import random

import numpy as np
import pytest
import torch
from PIL import Image

import rope_course as rc
from rope_course.explorers import REGISTRY
from rope_course.explorers.call_inspector import (
    COLUMNS,
    DTYPES,
    CallInspector,
    CallTrace,
    observe_rows,
    predict_rows,
    table_cells,
)


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def formula_base(seq_len, s=2.0, L=2048, dim=64, b=10000.0):
    """b' written out from the formula (unchanged up to L)."""
    return b if seq_len <= L else b * (s * seq_len / L - (s - 1)) ** (dim / (dim - 2))


def test_registered():
    assert REGISTRY["call_inspector"] is CallInspector


def test_the_seeds_example_call_by_call():
    """The seed's module, its short and long call with seq_len passed, then the short one again,
    and a bfloat16 caller: every cell written out by hand."""
    calls = [(1000, "float32"), (3000, "float32"), (1000, "float32"), (1000, "bfloat16")]
    rows = observe_rows(calls)
    assert [r.rebuilt for r in rows] == [True, True, False, False]
    assert [r.max_seq_len_cached for r in rows] == [1000, 3000, 3000, 3000]
    assert rows[0].base == 10000
    assert all(r.base == pytest.approx(formula_base(3000), rel=1e-12) for r in rows[1:])
    b3000 = rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0)
    assert rows[2].inv_freq_last == rc.inv_freq_for_base(b3000, 64)[-1].item()
    assert rows[0].inv_freq_last == rc.inv_freq_for_base(10000, 64)[-1].item()
    assert [(r.returned, r.returned_dtype, r.cache_dtype) for r in rows] == [
        ("view", "float32", "float32"), ("view", "float32", "float32"), ("view", "float32", "float32"),
        ("copy", "bfloat16", "float32")]


@pytest.mark.parametrize("config", [
    dict(dim=8, max_position_embeddings=16, scaling_factor=1.0, base=10000),
    dict(dim=8, max_position_embeddings=16, scaling_factor=2.5, base=500),
    dict(dim=64, max_position_embeddings=2048, scaling_factor=2.0, base=10000),
])
def test_prediction_equals_the_real_module_on_random_sequences(config):
    rng = random.Random(f"{config}")
    L = config["max_position_embeddings"]
    lengths = [1, 2, L // 2, L - 1, L, L + 1, L + 2, 2 * L, 3 * L + 1]
    for _ in range(25):
        calls = [(rng.choice(lengths), rng.choice(DTYPES)) for _ in range(rng.randint(1, 8))]
        assert predict_rows(calls, **config) == observe_rows(calls, **config), calls


def test_trace_reads_the_module():
    trace = CallTrace()
    trace.call(3000, "bfloat16")
    trace.call(10, "float32")
    module = trace.module
    assert module.max_seq_len_cached == 3000 and module.cos_cached.dtype == torch.bfloat16
    assert trace.rows[-1].returned == "copy" and trace.rows[-1].returned_dtype == "float32"
    assert trace.calls == ((3000, "bfloat16"), (10, "float32"))
    trace.reset()
    assert trace.rows == [] and trace.module.max_seq_len_cached is None and trace.module is not module


@pytest.mark.parametrize("bad,error", [((0, "float32"), ValueError), ((10, "float16"), ValueError),
                                       ((10.5, "float32"), TypeError)])
def test_bad_calls_are_refused_before_anything_runs(bad, error):
    trace = CallTrace()
    with pytest.raises(error):
        trace.call(*bad)
    assert trace.rows == [] and trace.module.max_seq_len_cached is None
    with pytest.raises(error):
        predict_rows([bad])


def test_table_cells_and_back():
    rows = predict_rows([(3000, "float32"), (5, "bfloat16")])
    cells = table_cells(rows)
    assert list(cells[0]) == list(COLUMNS)
    assert cells[0]["rebuilt?"] == "yes" and cells[1]["rebuilt?"] == "no"
    assert cells[0]["returned cos"] == "view (float32)" and cells[1]["returned cos"] == "copy (bfloat16)"
    assert cells[1]["base in force"] == "19710.4"
    assert CallInspector.params_from_table(cells) == {"calls": ((3000, "float32"), (5, "bfloat16"))}
    result = CallInspector.compute(seq_len=7, dtype="float32", calls=((3000, "float32"), (5, "bfloat16")))
    assert CallInspector.table_values(result) == cells


def test_buttons_call_the_module_and_make_a_new_one():
    e = CallInspector()
    assert e.readout_values(e.result)["max_seq_len_cached"] == "None"
    first = e.render_png()
    e.controls["seq_len"].value = 3000
    e.buttons["call"].click()
    e.controls["dtype"].value = "bfloat16"
    e.controls["seq_len"].value = 1000
    e.buttons["call"].click()
    assert e.trace.calls == ((3000, "float32"), (1000, "bfloat16"))
    assert e.result["rows"] == e.trace.rows
    shown = e.readout_values(e.result)
    assert shown["calls made"] == 2 and shown["max_seq_len_cached"] == 3000 and shown["cos_cached dtype"] == "float32"
    assert 'data-col=\'returned cos\'' in e.table.value and "copy (bfloat16)" in e.table.value
    called = e.render_png()
    assert not np.array_equal(pixels(first), pixels(called))
    assert np.array_equal(pixels(called), pixels(CallInspector(calls=e.trace.calls, seq_len=1000,
                                                               dtype="bfloat16").render_png()))
    e.buttons["new_module"].click()
    assert e.trace.rows == [] and e.readout_values(e.result)["calls made"] == 0 and "no calls yet" in e.table.value


def test_window_of_calls_in_the_picture():
    e = CallInspector(calls=[(n, "float32") for n in range(1, 15)])
    xs, shown, next_x, labels = e._slots(e.result)
    assert [r.call for r in shown] == list(range(4, 15)) and next_x == 12 and labels[-1] == "next"
    e.press("call")  # the window moves: a full redraw must equal a fresh picture
    assert np.array_equal(pixels(e.render_png()), pixels(CallInspector(calls=e.trace.calls).render_png()))


def test_a_disagreement_with_the_rules_is_shown_not_hidden():
    e = CallInspector(calls=[(10, "float32")])
    e.trace.rows[-1] = dataclasses.replace(e.trace.rows[-1], base=12345.0)  # as if the module had drifted
    with pytest.raises(RuntimeError, match="differs from what upstream's rules predict"):
        e.press("call")
    assert "RuntimeError" in e.error.value


def test_base_panel_is_linear_from_zero_and_follows_the_calls():
    """The seed's example doubles the base (10000 -> 19710.4): on a linear axis from 0 that is a
    step of 40 % of the panel, where the former log axis over 10k .. 1M made it about 12 %."""
    seed = CallInspector(calls=[(1000, "float32"), (3000, "float32"), (1000, "float32")])
    seed.render_png()
    bases_ax = seed.fig.axes[1]
    bottom, top = bases_ax.get_ylim()
    assert bases_ax.get_yscale() == "linear" and bottom == 0.0
    shown = [row.base for row in seed.result["rows"]]
    assert list(seed.base_line.get_ydata()) == shown and round(shown[1], 1) == 19710.4
    assert max(shown) <= top <= 1.5 * max(shown)
    assert (shown[1] - shown[0]) / top > 0.35
    seed.controls["seq_len"].value = 131072   # the axis follows a long call ...
    seed.press("call")
    assert bases_ax.get_ylim()[1] >= seed.result["rows"][-1].base > 1e6
    seed.press("new_module")       # ... and comes back for a fresh module
    assert bases_ax.get_ylim()[1] == 12000.0
    fresh = CallInspector(seq_len=131072)   # the same slider position, no calls
    assert np.array_equal(pixels(seed.render_png()), pixels(fresh.render_png()))
