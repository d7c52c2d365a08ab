import pytest

from rope_course import dynamic_ntk_base
from rope_course.explorers import REGISTRY
from rope_course.explorers.extrapolation import ExtrapolationExplorer, grid_index, stored_grid
from rope_course.toy.eval import EXPLORER_FACTORS, EXPLORER_LENGTHS, load_results


def test_registered_and_grid_covers_the_slider():
    assert REGISTRY["extrapolation"] is ExtrapolationExplorer
    grid = stored_grid()
    assert grid["lengths"] == list(EXPLORER_LENGTHS)
    assert grid["factors"] == list(EXPLORER_FACTORS)
    assert len(grid["acc"]) == len(grid["factors"]) and all(len(r) == len(grid["lengths"]) for r in grid["acc"])


@pytest.mark.parametrize("seq_len,s", [(128, 1.0), (1024, 1.0), (512, 2.25), (1024, 16.0)])
def test_compute_looks_up_the_grid_and_computes_the_base(seq_len, s):
    grid = stored_grid()
    r = ExtrapolationExplorer.compute(seq_len=seq_len, scaling_factor=s)
    i, j = grid["factors"].index(s), grid["lengths"].index(seq_len)
    assert r["acc_at"] == grid["acc"][i][j] and r["loss_at"] == grid["loss"][i][j]
    assert r["base"] == dynamic_ntk_base(100.0, 32, seq_len, 128, s)
    if seq_len <= 128:
        assert r["base"] == 100.0
    else:
        assert r["base"] == pytest.approx(100.0 * (s * seq_len / 128 - (s - 1)) ** (32 / 30))
    values = ExtrapolationExplorer.readout_values(r)
    assert values["dynamic NTK accuracy"] == r["acc_at"] and values["seq_len"] == seq_len


def test_grid_at_L_does_not_depend_on_the_factor_and_equals_no_scaling():
    grid = stored_grid()
    j = grid["lengths"].index(128)
    assert {row[j] for row in grid["acc"]} == {grid["none_acc"][j]}


def test_grid_index_and_bad_length():
    assert grid_index(2.25, EXPLORER_FACTORS) == 5
    assert grid_index(2.3, EXPLORER_FACTORS) == 5
    with pytest.raises(ValueError, match="seq_len"):
        ExtrapolationExplorer.compute(seq_len=1000, scaling_factor=1.0)


def test_every_slider_move_changes_the_picture_and_the_readout():
    ex = ExtrapolationExplorer()
    seen = [ex.render_png()]
    for name, value in [("scaling_factor", 1.25), ("seq_len", 768), ("scaling_factor", 16.0), ("seq_len", 128)]:
        ex.controls[name].value = value              # what a slider move does (observe -> update)
        new = ex.render_png()
        assert new not in seen, (name, value)
        seen.append(new)
        expected = ExtrapolationExplorer.readout_values(ExtrapolationExplorer.compute(**ex.params()))
        assert ExtrapolationExplorer.readout_values(ex.result) == expected
        assert f'data-key="base at seq_len">' in ex.readout.value
    assert ex.result["seq_len"] == 128 and ex.result["scaling_factor"] == 16.0
