"""Lesson 08's explorer: pure compute against rope_course.cost and a float64 formula; picture moves."""

import numpy as np
import pytest
import torch

from rope_course.cost import distinct_positions, float32_angle_error
from rope_course.explorers import REGISTRY
from rope_course.explorers.precision import PrecisionExplorer, bf16_angle_error, sample_positions


def test_registered():
    assert REGISTRY["precision"] is PrecisionExplorer


@pytest.mark.parametrize("seq_len", [1, 2, 300, 2048, 131072])
def test_sample_positions(seq_len):
    p = sample_positions(seq_len)
    assert p[0] == 0 and p[-1] == seq_len - 1 and len(p) <= 512
    assert bool((p[1:] > p[:-1]).all())
    if seq_len <= 512:
        assert len(p) == seq_len


@pytest.mark.parametrize("seq_len", [2, 2048, 131072])
def test_compute_matches_cost_functions(seq_len):
    res = PrecisionExplorer.compute(seq_len=seq_len)
    p = sample_positions(seq_len)
    np.testing.assert_array_equal(res["float32"], float32_angle_error(10000, 64, p)["angle"].numpy())
    assert res["distinct_bf16"] == distinct_positions(seq_len, torch.bfloat16)
    ro = PrecisionExplorer.readout_values(res)
    assert ro["float32 max angle error"] == float(res["float32"].max())
    i = np.arange(32)
    np.testing.assert_allclose(res["bound"], (seq_len - 1) * 10000.0 ** (-2 * i / 64) * 2.0**-22, rtol=1e-12)
    assert np.all(res["float32"] <= res["bound"])  # lesson 08's bound holds on the samples


def test_bf16_error_independently():
    # Re-derived with broadcasting (not outer) and a numpy float64 exact angle.
    seq_len = 2048
    p = sample_positions(seq_len)
    t = torch.arange(seq_len, dtype=torch.bfloat16)[p]
    inv = (1.0 / (10000 ** (torch.arange(0, 64, 2).float() / 64))).to(torch.bfloat16)
    angle = (t[:, None] * inv[None, :]).double().numpy()
    exact = p.double().numpy()[:, None] * 10000.0 ** (-np.arange(32) * 2 / 64)
    want = np.abs(angle - exact).max(axis=0)
    np.testing.assert_allclose(bf16_angle_error(10000, 64, seq_len, p).numpy(), want, rtol=1e-12)
    assert want[0] >= 2.0  # pair 0: sampled positions are off by several tokens below 2048


def test_numbers_at_2048_and_131072():
    ro = PrecisionExplorer.readout_values(PrecisionExplorer.compute(seq_len=2048))
    assert ro["distinct bf16 positions"] == 641
    assert ro["float32 max angle error"] < 1e-4 < ro["bf16 max angle error"]
    ro = PrecisionExplorer.readout_values(PrecisionExplorer.compute(seq_len=131072))
    assert 1e-3 < ro["float32 max angle error"] < 1e-2


@pytest.mark.parametrize("seq_len", [1, 2048, 32768, 65536, 131072])
def test_bf16_rounding_reference(seq_len):
    # the readout's ratio is the float32 error over 2^-9 (lesson 08): below 1 up to 32768 on the samples
    ro = PrecisionExplorer.readout_values(PrecisionExplorer.compute(seq_len=seq_len))
    assert ro["float32 error / bf16 rounding"] == pytest.approx(ro["float32 max angle error"] * 512, rel=1e-12)
    if seq_len <= 32768:
        assert ro["float32 error / bf16 rounding"] < 1
    if seq_len == 131072:
        assert ro["float32 error / bf16 rounding"] > 1


def test_every_slider_move_changes_picture_and_readout():
    e = PrecisionExplorer()
    assert set(e.controls) == {"seq_len"}
    assert max(e.controls["seq_len"].options) >= 131072
    last_png, last_ro = e.render_png(), e.readout.value
    for seq_len in (1, 2, 3, 256, 257, 131072):
        e.update(seq_len=seq_len)
        png, ro = e.render_png(), e.readout.value
        assert png != last_png and ro != last_ro, seq_len
        last_png, last_ro = png, ro


def test_what_lesson_08_tells_learners_to_try():
    # 257 -> 258: position 257 is the first to round (to 256), so pair 0's bf16 error goes from 0 to 1
    assert PrecisionExplorer.compute(seq_len=257)["bf16"][0] == 0.0
    assert PrecisionExplorer.compute(seq_len=258)["bf16"][0] == 1.0
    # 131072: the cast module's fast pairs are off by hundreds of radians
    assert np.all(PrecisionExplorer.compute(seq_len=131072)["bf16"][:4] > 100)
