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
