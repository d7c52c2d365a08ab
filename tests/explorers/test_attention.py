"""Explorers of lessons 06 and 07: pure compute checked against independent formulas, and the
picture changes on every slider move."""

import math

import numpy as np
import pytest

from rope_course.explorers import REGISTRY
from rope_course.explorers.attention import AttentionRangeExplorer, KVDriftExplorer, kv_drift


def test_both_explorers_are_registered():
    assert REGISTRY["attention_range"] is AttentionRangeExplorer
    assert REGISTRY["kv_drift"] is KVDriftExplorer


@pytest.mark.parametrize("seq_len,s", [(8192, 1.0), (8192, 2.0), (131072, 16.0), (64, 1.0), (4097, 1.0)])
def test_attention_range_compute_matches_independent_formulas(seq_len, s):
    r = AttentionRangeExplorer.compute(seq_len=seq_len, scaling_factor=s)
    D, L = 64, 4096
    a = 1 + s * (seq_len / L - 1) if seq_len > L else 1.0
    i = np.arange(D // 2)
    expected = (seq_len - 1) / (L - 1) * a ** (-2 * i / (D - 2))
    np.testing.assert_allclose(r["dynamic_ratio"], expected, rtol=1e-12)
    np.testing.assert_allclose(r["plain_ratio"], (seq_len - 1) / (L - 1), rtol=1e-15)
    theta = 10000.0 ** (-2 * i / D)
    never_turned = (L - 1) * theta < 2 * math.pi
    assert r["n_beyond_dynamic"] == int((never_turned & (expected > 1)).sum())
    assert r["n_beyond_plain"] == (int(never_turned.sum()) if seq_len > L else 0)
    assert r["new_base"] == pytest.approx(10000.0 * a ** (D / (D - 2)), rel=1e-12)
    values = AttentionRangeExplorer.readout_values(r)
    assert values["new base"] == r["new_base"]
    assert values["lowest pair ratio (dynamic NTK)"] == pytest.approx(expected[-1], rel=1e-12)


def test_attention_range_readout_numbers_of_lesson_06():
    values = AttentionRangeExplorer.readout_values(AttentionRangeExplorer.compute(seq_len=8192, scaling_factor=1.0))
    assert values["pairs beyond trained range (no scaling)"] == 9
    assert values["pairs beyond trained range (dynamic NTK)"] == 9
    assert round(values["worst ratio (dynamic NTK)"], 3) == 1.196
    assert round(values["new base"], 1) == 20452.2


@pytest.mark.parametrize("seq_len,s", [(8192, 1.0), (32768, 2.0), (4096, 3.0), (131072, 16.0)])
def test_kv_drift_compute_matches_the_stale_base_formula(seq_len, s):
    r = kv_drift(seq_len, s)
    assert len(r["positions"]) <= 512
    a = 1 + s * (seq_len / 4096 - 1) if seq_len > 4096 else 1.0
    assert r["final_base"] == pytest.approx(10000.0 * a ** (64 / 62), rel=1e-12)
    assert r["rebuilds"] == 1 + max(0, seq_len - 4096)
    j = r["pairs"].index(31)
    for k in [0, len(r["positions"]) // 2, len(r["positions"]) - 1]:
        p = int(r["positions"][k])
        # the key at p was written by the call of length max(p + 1, prefill), prefill = min(seq_len, L)
        n = max(p + 1, min(seq_len, 4096))
        cached = 10000.0 * (1 + s * (n / 4096 - 1)) ** (64 / 62) if n > 4096 else 10000.0
        raw = p * abs(cached ** (-62 / 64) - r["final_base"] ** (-62 / 64))
        wrapped = min(raw % (2 * math.pi), 2 * math.pi - raw % (2 * math.pi))
        assert r["errors"][k, j] == pytest.approx(wrapped, abs=1e-9)
    assert np.all(r["errors"] <= math.pi + 1e-12)
    if seq_len <= 4096:
        assert r["max_error"] == 0.0


def test_kv_drift_last_key_is_consistent():
    r = kv_drift(8192, 1.0)
    assert r["positions"][-1] == 8191 and np.all(r["errors"][-1] == 0)


@pytest.mark.parametrize("cls", [AttentionRangeExplorer, KVDriftExplorer])
def test_every_slider_move_changes_the_picture_and_the_readout(cls):
    e = cls()
    before = e.render_png()
    readout_before = e.readout.value
    seq = e.controls["seq_len"]
    nxt = seq.options[list(seq.options).index(seq.value) + 1]
    e.update(seq_len=nxt)
    e.controls["seq_len"].value = nxt
    after_seq = e.render_png()
    assert after_seq != before and e.readout.value != readout_before
    e.update(scaling_factor=e.controls["scaling_factor"].value + 0.25)
    after_s = e.render_png()
    assert after_s != after_seq
    for params in [dict(seq_len=131072, scaling_factor=16.0), dict(seq_len=64, scaling_factor=1.0)]:
        e.update(**params)
        assert e.render_png()


def test_attention_range_axis_is_linear_with_the_line_at_one():
    e = AttentionRangeExplorer(seq_len=8192)
    e.render_png()
    ax = e.fig.axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylim() == (0.0, 2.5)
    assert list(e.panel.one.get_ydata()) == [1.0, 1.0]
