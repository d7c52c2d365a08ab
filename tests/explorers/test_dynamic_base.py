import math

import numpy as np
import pytest

import rope_course as rc
from rope_course.explorers import REGISTRY
from rope_course.explorers.dynamic_base import DynamicBaseExplorer, pair_ratios


@pytest.mark.parametrize("dim", [4, 8, 64, 128])
@pytest.mark.parametrize("bracket", [1.0, 2.0, 13.0, 497.0])
def test_pair_ratios_ends(dim, bracket):
    r = pair_ratios(bracket, dim)
    assert r.shape == (dim // 2,)
    assert r[0] == 1.0
    assert math.isclose(r[-1], 1 / bracket, rel_tol=1e-12)


def test_pair_ratios_match_inv_freq_tables():
    a, dim = 3.0, 64
    new = rc.inv_freq_for_base(10000 * a ** (dim / (dim - 2)), dim).double()
    old = rc.inv_freq_for_base(10000, dim).double()
    np.testing.assert_allclose((new / old).numpy(), pair_ratios(a, dim), rtol=1e-6)


def test_compute_worked_numbers():
    r = DynamicBaseExplorer.compute(seq_len=8192, scaling_factor=1.0)
    assert round(r["new_base"], 1) == 20452.2 and r["bracket"] == 2.0
    assert math.isclose(r["lowest_ratio"], 0.5, rel_tol=1e-6) and r["ratio"][0] == 1.0
    r = DynamicBaseExplorer.compute(seq_len=16384, scaling_factor=4.0, dim=64, max_position_embeddings=4096)
    assert r["bracket"] == 13.0 and math.isclose(r["linear_ratio"], 1 / 13)
    r = DynamicBaseExplorer.compute(seq_len=4096, scaling_factor=4.0, dim=8, max_position_embeddings=2048)
    assert round(r["new_base"], 2) == round(rc.dynamic_ntk_base(10000, 8, 4096, 2048, 4.0), 2)
    assert len(r["ratio"]) == 4


def test_compute_no_change_at_or_below_L():
    for l in (1000, 4096):
        r = DynamicBaseExplorer.compute(seq_len=l, scaling_factor=8.0)
        assert r["new_base"] == 10000 and r["bracket"] == 1.0
        assert np.all(r["ratio"] == 1.0)
        np.testing.assert_allclose(r["wavelength_new"], r["wavelength_original"])


def test_wavelengths():
    r = DynamicBaseExplorer.compute(seq_len=8192, scaling_factor=1.0)
    assert math.isclose(r["wavelength_original"][-1], rc.longest_wavelength(10000, 64), rel_tol=1e-6)
    assert math.isclose(r["wavelength_new"][-1], 2 * r["wavelength_original"][-1], rel_tol=1e-6)


def test_readout():
    r = DynamicBaseExplorer.compute(seq_len=131072, scaling_factor=16.0)
    ro = DynamicBaseExplorer.readout_values(r)
    assert ro["new base"] == rc.dynamic_ntk_base(10000, 64, 131072, 4096, 16.0)
    assert ro["a"] == 497.0


def test_registered_and_png_changes():
    assert REGISTRY["dynamic_base"] is DynamicBaseExplorer
    e = DynamicBaseExplorer()
    assert max(e.controls["seq_len"].options) >= 131072
    pngs = [e.render_png()]
    moves = [dict(seq_len=131072), dict(scaling_factor=16.0), dict(seq_len=1000), dict(scaling_factor=1.25),
             dict(dim=8)]
    for params in moves:
        e.update(**params)
        pngs.append(e.render_png())
    assert all(a != b for a, b in zip(pngs, pngs[1:]))


@pytest.mark.parametrize("a", [1.0, 1.01, 2.0, 3.3, 13.0, 497.0])
def test_ratio_floor_leaves_room_below_one_over_a(a):
    from rope_course.explorers.dynamic_base import ROOM, ratio_floor, ratio_ticks

    floor = ratio_floor(1 / a)
    assert floor <= (1 / a) / ROOM
    assert floor > (1 / a) / (ROOM * 10 ** 0.55)  # never more than about half a decade of empty room
    ticks = ratio_ticks(floor)
    assert ticks[0] == 1.0 and min(ticks) >= floor and 2 <= len(ticks) <= 5


def test_ratio_axis_follows_the_data_and_redraws_when_it_moves():
    e = DynamicBaseExplorer()
    e.render_png()
    ratio_ax = e.fig.axes[0]
    assert ratio_ax.get_ylim()[0] == 0.3  # default a = 2: 1 .. 0.5 fills the panel
    before = e.render_png()
    e.update(seq_len=131072, scaling_factor=16.0)  # a = 497
    assert ratio_ax.get_ylim()[0] <= 1 / 497 / 1.25
    assert e.render_png() != before
    e.update(seq_len=8192, scaling_factor=1.0)
    assert ratio_ax.get_ylim()[0] == 0.3 and e.render_png() == before  # back to the same picture
