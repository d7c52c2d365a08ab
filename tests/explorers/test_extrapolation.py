import numpy as np
import pytest

from rope_course import dynamic_ntk_base
from rope_course.explorers import REGISTRY
from rope_course.explorers.extrapolation import (
    METHOD_BUTTONS,
    ExtrapolationExplorer,
    bins_figure,
    grid_index,
    length_figure,
    sweep_figure,
)
from rope_course.toy.evaluate import EXPLORER_FACTORS, EXPLORER_METHODS, LENGTHS
from rope_course.toy.results import interval, load_results


def test_registered_and_the_grid_covers_every_control_value():
    assert REGISTRY["extrapolation"] is ExtrapolationExplorer
    meta = load_results()["meta"]
    assert meta["explorer_factors"] == list(EXPLORER_FACTORS) and meta["lengths"] == list(LENGTHS)
    assert [value for _, value in METHOD_BUTTONS] == list(EXPLORER_METHODS) == meta["explorer_methods"]
    ex = ExtrapolationExplorer()
    slider = ex.controls["scaling_factor"]
    assert (slider.min, slider.max, slider.step) == (1.0, 8.0, 1.0)
    assert list(ex.controls["seq_len"].options) == list(LENGTHS)
    for task in ("recall", "language"):
        summary = load_results()["tasks"][task]["explorer_summary"]
        for method in EXPLORER_METHODS:
            assert len(summary[method]) == len(EXPLORER_FACTORS)
            assert all(len(row) == len(LENGTHS) for row in summary[method])


@pytest.mark.parametrize("method", EXPLORER_METHODS)
@pytest.mark.parametrize("s", [1.0, 8.0])
def test_compute_looks_up_means_and_intervals_for_every_method(method, s):
    results = load_results()
    r = ExtrapolationExplorer.compute(method=method, scaling_factor=s, seq_len=512)
    i, j = EXPLORER_FACTORS.index(s), LENGTHS.index(512)
    for key, task in (("acc", "recall"), ("loss", "language")):
        row = results["tasks"][task]["explorer_summary"][method][i][j]
        assert r[key + "_at"] == tuple(row)
        assert r[key + "_lo"][j] <= r[key][j] <= r[key + "_hi"][j]          # an interval around the mean
    if method.endswith("dynamic"):
        assert r["factor_at"] == 1 + s * (512 / 128 - 1)
        # inside the window a dynamic method is plain RoPE whatever s is
        assert r["acc"][0] == r["none_acc"][0] and r["loss"][0] == r["none_loss"][0]
    else:
        assert r["factor_at"] == s
    if method == "ntk_dynamic":
        assert r["ntk_base_at"] == dynamic_ntk_base(100.0, 32, 512, 128, s)


def test_summary_matches_a_fresh_bootstrap_of_the_pooled_none_row():
    none_recall = load_results()["tasks"]["recall"]["explorer_summary"]["none"][0]
    r = ExtrapolationExplorer.compute(method="pi_fixed", scaling_factor=1.0, seq_len=128)
    assert r["none_acc"][0] == none_recall[0][0]
    # pi_fixed at s = 1 is plain RoPE: same sequences, same numbers, same interval
    assert tuple(r["acc_at"]) == tuple(none_recall[0])
    assert interval({"n": [4, 4], "correct": [4, 4], "loss": [0.0, 0.0]}) == (1.0, 1.0, 1.0)


def test_bad_inputs_name_the_parameter_and_grid_index_rounds():
    with pytest.raises(ValueError, match="seq_len"):
        ExtrapolationExplorer.compute(method="ntk_dynamic", scaling_factor=1.0, seq_len=1000)
    with pytest.raises(ValueError, match="method"):
        ExtrapolationExplorer.compute(method="linear", scaling_factor=1.0, seq_len=512)
    assert grid_index(2.4, EXPLORER_FACTORS) == 1 and grid_index(7.6, EXPLORER_FACTORS) == 7


def test_every_control_move_changes_the_picture_and_the_readout():
    ex = ExtrapolationExplorer()
    seen = [ex.render_png()]
    moves = [("scaling_factor", 2.0), ("method", "pi_fixed"), ("seq_len", 256), ("scaling_factor", 8.0),
             ("method", "yarn_dynamic"), ("seq_len", 128), ("seq_len", 1024)]
    for name, value in moves:
        ex.controls[name].value = value              # what a slider move does (observe -> update)
        new = ex.render_png()
        assert new not in seen, (name, value)
        seen.append(new)
        expected = ExtrapolationExplorer.readout_values(ExtrapolationExplorer.compute(**ex.params()))
        assert ExtrapolationExplorer.readout_values(ex.result) == expected
        assert 'data-key="accuracy 95% low">' in ex.readout.value
    assert ex.result["method"] == "yarn_dynamic" and ex.result["seq_len"] == 1024


def test_the_fast_redraw_matches_a_full_draw():
    ex = ExtrapolationExplorer(method="ntk_fixed", scaling_factor=3.0, seq_len=384)
    ex.controls["method"].value = "pi_dynamic"
    fast = ex.render_png()
    fresh = ExtrapolationExplorer(method="pi_dynamic", scaling_factor=3.0, seq_len=384).render_png()
    assert fast == fresh


def test_the_lesson_figures_draw_every_row_with_intervals():
    rows = {"none": [(0.9, 0.8, 1.0), (0.5, 0.4, 0.6)], "pi_dynamic": [(0.9, 0.8, 1.0), (0.7, 0.6, 0.8)]}
    labels = {"none": "no scaling", "pi_dynamic": "PI dynamic"}
    for fig in (length_figure([("a", rows)], [128, 256], 128, "acc", labels),
                bins_figure([("b", rows), ("c", rows)], ["1-64", "65-128"], "acc", labels)):
        # one legend below the panels (outside the data), each method once
        assert [t.get_text() for t in fig.legends[0].get_texts()] == ["no scaling", "PI dynamic"]
        for ax in fig.axes:
            assert ax.get_legend() is None and len(ax.collections) >= 2      # the error bars
    fig = sweep_figure([("d", [1.0, 2.0], rows["none"], [[0.9, 0.5]], 1.5, (1.0, 1.0, 2.0))], "acc")
    labels_ = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("s_min" in t for t in labels_) and any("interval" in t for t in labels_)
    assert np.isclose(fig.get_size_inches()[0], 10.0)
