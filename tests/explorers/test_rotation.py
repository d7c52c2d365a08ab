import math

import numpy as np
import pytest
import torch

import rope_course as rc
from rope_course.explorers import REGISTRY
from rope_course.explorers.rotation import (
    PINNED_MARKER,
    PLAIN_LABEL,
    RotationExplorer,
    fraction_axis_top,
    pair_angles,
    rotation_state,
    wrap_angle,
)


def test_registered():
    assert REGISTRY["rotation"] is RotationExplorer


def test_pair_angles_and_wrap():
    inv = rc.inv_freq_for_base(10000, 8)
    np.testing.assert_allclose(pair_angles(3, inv), 3 * inv.double().numpy(), rtol=0)
    w = wrap_angle([0.0, 2 * math.pi, 7.0, -1.0])
    np.testing.assert_allclose(w, [0.0, 0.0, 7.0 - 2 * math.pi, 2 * math.pi - 1.0], atol=1e-12)
    assert np.all((w >= 0) & (w < 2 * math.pi))


@pytest.mark.parametrize("seq_len,s", [(2, 1.0), (4096, 2.0), (4097, 1.0), (16384, 1.0), (131072, 4.0)])
def test_compute_matches_package(seq_len, s):
    r = RotationExplorer.compute(seq_len=seq_len, scaling_factor=s)
    assert r["position"] == seq_len - 1
    new_base = rc.dynamic_ntk_base(10000, 64, seq_len, 4096, s)
    assert r["base"] == new_base
    inv_plain = rc.inv_freq_for_base(10000, 64).double()
    inv_dyn = rc.inv_freq_for_base(new_base, 64).double()
    np.testing.assert_allclose(r["angles_plain"], ((seq_len - 1) * inv_plain).numpy(), rtol=1e-15)
    np.testing.assert_allclose(r["angles_dynamic"], ((seq_len - 1) * inv_dyn).numpy(), rtol=1e-15)
    np.testing.assert_allclose(r["angles_trained"], (4095 * inv_plain).numpy(), rtol=1e-15)
    assert r["angles_dynamic"][0] == seq_len - 1  # pair 0: 1 rad/token, never rescaled


def test_wrapped_angles_agree_with_the_module_and_its_table():
    """The circle shows the angle the dynamic module's table encodes at the last position."""
    seq_len, s = 9000, 2.0
    r = rotation_state(seq_len, s)
    rope = rc.DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=4096, scaling_factor=s)
    rope(torch.zeros(1), seq_len=seq_len)  # the rebuild installs the adjusted inv_freq
    inv = rope.inv_freq.double()
    np.testing.assert_allclose(r["angles_dynamic"], ((seq_len - 1) * inv).numpy(), rtol=1e-15)
    cos, sin = rc.cos_sin_tables(inv, seq_len, torch.float64)  # float64 table: no float32 angle rounding
    table = torch.atan2(sin[-1, :32], cos[-1, :32]).numpy()
    diff = np.abs(np.angle(np.exp(1j * (table - r["wrapped_dynamic"]))))
    assert diff.max() < 1e-9


def test_worked_numbers():
    edge, far, far4 = rotation_state(4096, 1.0), rotation_state(131072, 1.0), rotation_state(131072, 4.0)
    assert abs(edge["lowest_plain"] - 0.5461) < 1e-4 and edge["base"] == 10000
    assert abs(far["lowest_plain"] - 17.4786) < 1e-4
    assert abs(far["lowest_dynamic"] / edge["lowest_plain"] - 1) < 1e-3  # s = 1: slowest pair back in range
    assert abs(far4["lowest_dynamic"] - 0.1398) < 1e-4


def test_readout_depends_on_both_sliders():
    a = RotationExplorer.readout_values(RotationExplorer.compute(seq_len=16384, scaling_factor=1.0))
    b = RotationExplorer.readout_values(RotationExplorer.compute(seq_len=16384, scaling_factor=1.25))
    c = RotationExplorer.readout_values(RotationExplorer.compute(seq_len=20000, scaling_factor=1.0))
    assert a != b and a != c
    assert a["position p"] == 16383 and a["scaling_factor"] == 1.0



def test_fraction_panel_shows_only_never_turned_pairs_on_a_linear_axis():
    """Lesson 01's fix: largest angle / trained largest for the pairs with wavelength > L only
    (a fast pair has no trained maximum that matters), with the line at 1, linear."""
    r = rotation_state(8192, 1.0)
    inv = rc.inv_freq_for_base(10000, 64).double().numpy()
    wavelength = 2 * math.pi / inv
    assert list(r["slow_pairs"]) == list(np.flatnonzero(wavelength > 4096)) == list(range(23, 32))
    np.testing.assert_allclose(r["fraction_plain"], 8191 / 4095, rtol=1e-12)
    a = 2.0  # s = 1 at l = 2L
    i = np.arange(23, 32)
    np.testing.assert_allclose(r["fraction_dynamic"], 8191 / 4095 * a ** (-2 * i / 62), rtol=1e-6)
    assert round(float(r["fraction_dynamic"].max()), 3) == 1.196
    e = RotationExplorer()
    e.render_png()
    ax = e.fig.axes[1]
    assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0.0
    assert list(e.panel.lines["dynamic NTK"].get_xdata()) == list(range(23, 32))
    assert list(e.panel.one.get_ydata()) == [1.0, 1.0]


@pytest.mark.parametrize("seq_len,s,pinned", [(8192, 1.0, False), (131072, 1.0, True), (131072, 16.0, True),
                                              (4096, 1.0, False), (8192, 4.0, False), (16384, 4.0, True)])
def test_fraction_axis_fits_the_dynamic_curve_and_pins_plain_rope_above_it(seq_len, s, pinned):
    """Plain RoPE reaches (l-1)/(L-1) = 32 at 131072; an axis fitted to it would squash the
    dynamic curve (0.06 .. 0.32 at s = 16) against 0. The axis fits the dynamic curve instead
    (at least 0 .. 2.5) and plain RoPE above it is drawn on the top edge as triangles."""
    e = RotationExplorer(seq_len=seq_len, scaling_factor=s)
    e.render_png()
    r = e.compute(**e.params())
    top = e.fig.axes[1].get_ylim()[1]
    assert top == fraction_axis_top(r) >= 2.5
    dynamic = r["fraction_dynamic"]
    assert dynamic.max() <= top < max(2.5, 2 * dynamic.max()) + 1e-12   # the dynamic curve fills the axis
    plain_line = e.panel.lines[PLAIN_LABEL]
    assert (plain_line.get_marker() == PINNED_MARKER) == pinned
    assert ("above the axis" in e.title.get_text()) == pinned
    expected_plain = np.minimum(r["fraction_plain"], top)
    np.testing.assert_allclose(plain_line.get_ydata(), expected_plain, rtol=0)
    legend_marker = e.fig.axes[1].get_legend().legend_handles[1].get_marker()
    assert legend_marker == "s"    # the legend keeps plain RoPE's own marker


def test_pinned_state_redraws_like_a_fresh_figure():
    moved = RotationExplorer(seq_len=8192, scaling_factor=1.0)
    moved.render_png()
    moved.update(seq_len=131072, scaling_factor=16.0)
    moved.update(seq_len=131072, scaling_factor=1.0)
    fresh = RotationExplorer(seq_len=131072, scaling_factor=1.0)
    assert moved.render_png() == fresh.render_png()
