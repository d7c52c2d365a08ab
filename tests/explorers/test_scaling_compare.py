"""Lesson 09's explorer: pure compute against independent formulas, and a picture that moves."""

import math

import numpy as np
import pytest

from rope_course.explorers import REGISTRY
from rope_course.explorers.scaling_compare import ScalingCompare, scaling_ratios


def test_registered():
    assert REGISTRY["scaling_compare"] is ScalingCompare


@pytest.mark.parametrize("seq_len,s", [(1, 1.0), (4096, 4.0), (4097, 2.0), (16384, 4.0), (131072, 16.0)])
def test_ratios_against_formulas(seq_len, s):
    r = scaling_ratios(seq_len, s)
    i = np.arange(32)
    np.testing.assert_allclose(r["linear"], 1 / s)
    np.testing.assert_allclose(r["NTK-aware"], s ** (-2 * i / 62), rtol=1e-12)
    a = 1 + s * (seq_len / 4096 - 1) if seq_len > 4096 else 1.0
    np.testing.assert_allclose(r["dynamic NTK"], a ** (-2 * i / 62), rtol=1e-9)
    # YaRN (V3 betas, L0 = 4096): pairs <= 10 kept, pairs >= 23 divided by s
    np.testing.assert_allclose(r["YaRN"][:11], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r["YaRN"][23:], 1 / s, rtol=1e-6)


def test_compute_and_readout():
    res = ScalingCompare.compute(seq_len=8192, scaling_factor=2.0)
    ro = ScalingCompare.readout_values(res)
    assert ro["dynamic base"] == pytest.approx(10000 * 3 ** (64 / 62), rel=1e-12)
    assert ro["NTK-aware base"] == pytest.approx(10000 * 2 ** (64 / 62), rel=1e-12)
    assert (ro["YaRN low"], ro["YaRN high"]) == (10, 23)
    assert ro["YaRN mscale^2"] == pytest.approx((1 + 0.1 * math.log(2)) ** 2)
    assert ro["dynamic ratio at last pair"] == pytest.approx(1 / 3, rel=1e-9)
    np.testing.assert_allclose(res["original_wavelength"][0], 2 * math.pi)
    np.testing.assert_allclose(res["wavelengths"]["linear"], res["original_wavelength"] * 2.0)
    short = ScalingCompare.readout_values(ScalingCompare.compute(seq_len=4096, scaling_factor=2.0))
    assert short["dynamic base"] == 10000 and short["dynamic ratio at last pair"] == 1.0


def test_every_slider_move_changes_the_picture_and_readout():
    e = ScalingCompare()
    assert set(e.controls) == {"seq_len", "scaling_factor"}
    seen = [e.render_png()]
    readouts = [e.readout.value]
    moves = [dict(seq_len=1), dict(seq_len=2), dict(seq_len=4097), dict(scaling_factor=1.25), dict(scaling_factor=16.0),
             dict(seq_len=131072)]
    for params in moves:
        e.update(**params)
        seen.append(e.render_png())
        readouts.append(e.readout.value)
        assert seen[-1] != seen[-2], params
        assert readouts[-1] != readouts[-2], params


def test_slider_options_reach_long_contexts():
    e = ScalingCompare()
    opts = e.controls["seq_len"].options
    assert max(opts) >= 131072 and 4096 in opts and 4097 in opts


def test_ntk_base_is_the_package_formula_bit_for_bit():
    # the explorer calls functional.ntk_fixed_base (one definition); same floats as b * s^(D/(D-2))
    from rope_course.functional import ntk_fixed_base

    i = np.arange(32)
    for k in range(61):  # the scaling_factor slider: 1 .. 16 in steps of 0.25
        s = 1 + k / 4
        res = ScalingCompare.compute(seq_len=16384, scaling_factor=s)
        assert res["ntk_base"] == ntk_fixed_base(10000, 64, s) == 10000 * s ** (64 / 62)
        np.testing.assert_array_equal(res["ratios"]["NTK-aware"], (res["ntk_base"] / 10000) ** (-2 * i / 64))


def test_what_lesson_09_tells_learners_to_try():
    # "seq_len at or below 4096: dynamic equals the original", at every scaling_factor on the slider
    e = ScalingCompare()
    for k in range(61):
        s = 1 + k / 4
        for seq_len in (n for n in e.controls["seq_len"].options if n <= 4096):
            np.testing.assert_array_equal(scaling_ratios(seq_len, s)["dynamic NTK"], 1.0)
    # "scaling_factor 1: linear, NTK-aware and YaRN collapse onto the original, dynamic still moves past L"
    for seq_len in (n for n in e.controls["seq_len"].options if n > 4096):
        r = scaling_ratios(seq_len, 1.0)
        for k in ("linear", "NTK-aware", "YaRN"):
            np.testing.assert_allclose(r[k], 1.0, rtol=1e-6)
        assert r["dynamic NTK"][-1] == pytest.approx(4096 / seq_len, rel=1e-9)
