"""The clock explorers: geometry of the arcs against an independent computation, the numbers
they show, and a picture that moves with every control."""

import math

import numpy as np
import pytest

from rope_course.angles import angle_report
from rope_course.explorers import REGISTRY
from rope_course.explorers.clock import (
    ClockExplorer,
    ScaledClockExplorer,
    TrainedFractionExplorer,
    clock_segments,
    ring_radii,
)

TURN = 2 * math.pi


def test_registered():
    assert REGISTRY["clock"] is ClockExplorer
    assert REGISTRY["clock_scaled"] is ScaledClockExplorer
    assert REGISTRY["trained_fraction"] is TrainedFractionExplorer


def angles_of(polyline):
    return np.unwrap(np.arctan2(polyline[:, 1], polyline[:, 0]))


@pytest.mark.parametrize("arc,trained", [
    (0.5, 1.0),         # squeezed inside its trained arc
    (3.0, 1.0),         # leaves it: inside up to 1, beyond from 1 to 3
    (20.0, 1.0),        # wraps: beyond up to one full turn only
    (20.0, 50.0),       # wrapped in training: familiar, one full ring
    (0.0, 1.0),         # position 0: nothing swept
])
def test_clock_segments_split_each_arc_at_its_trained_end(arc, trained):
    inside, beyond = clock_segments([arc], [trained], [0.7])
    familiar = min(arc, trained, TURN)
    if familiar > 0:
        (a,) = inside
        np.testing.assert_allclose(np.hypot(a[:, 0], a[:, 1]), 0.7)
        np.testing.assert_allclose(angles_of(a)[[0, -1]], [0.0, familiar], atol=1e-12)
        assert np.all(np.diff(angles_of(a)) <= 2 * math.pi / 180 + 1e-12)  # drawn finely
    else:
        assert inside == []
    if arc > trained and trained < TURN:
        (b,) = beyond
        np.testing.assert_allclose(angles_of(b)[[0, -1]], [trained, min(arc, TURN)], atol=1e-12)
    else:
        assert beyond == []


def test_ring_radii_give_the_never_turned_pairs_more_room():
    trained = angle_report("plain", 4096, 1.0)["trained_arc"]
    r = ring_radii(trained)
    assert r[0] == pytest.approx(0.12) and r[-1] == pytest.approx(1.0) and np.all(np.diff(r) > 0)
    gaps = np.diff(r)
    assert np.allclose(gaps[:22], gaps[0]) and np.allclose(gaps[23:], gaps[-1])
    assert gaps[-1] == pytest.approx(3 * gaps[0])


def test_plain_clock_numbers():
    r = ClockExplorer.compute(seq_len=16384)
    values = ClockExplorer.readout_values(r)
    assert values["never-turned pairs"] == 9 and values["beyond their trained arc"] == 9
    assert values["slowest pair: arc / trained"] == pytest.approx(16383 / 4095, rel=1e-12)
    np.testing.assert_allclose(r["left"]["fraction"], 1.0, rtol=1e-12)  # the training clock: seq_len = L
    short = ClockExplorer.readout_values(ClockExplorer.compute(seq_len=4096))
    assert short["beyond their trained arc"] == 0 and short["largest arc / trained"] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["dynamic NTK", "PI", "YaRN"])
@pytest.mark.parametrize("seq_len,s", [(8192, 1.0), (16384, 4.0), (131072, 16.0), (2048, 2.0)])
def test_scaled_clock_shows_the_method_against_plain(method, seq_len, s):
    r = ScaledClockExplorer.compute(seq_len=seq_len, scaling_factor=s, method=method)
    want = angle_report(method, seq_len, s)
    np.testing.assert_array_equal(r["right"]["arc"], want["arc"])
    np.testing.assert_array_equal(r["left"]["arc"], angle_report("plain", seq_len, 1.0)["arc"])
    values = ScaledClockExplorer.readout_values(r)
    assert values["method"] == method and values["beyond their trained arc"] == want["n_beyond"]
    assert values["plain RoPE: beyond"] == (9 if seq_len > 4096 else 0)


def test_dynamic_ntk_squeezes_inside_with_a_large_factor():
    """s = 1 leaves 8 slow pairs above their range at 4L (the 9th at 1.0002); s = 4 squeezes all 9."""
    s1 = ScaledClockExplorer.compute(seq_len=16384, scaling_factor=1.0)["right"]
    s4 = ScaledClockExplorer.compute(seq_len=16384, scaling_factor=4.0)["right"]
    assert s1["n_beyond"] == 9 and s1["fraction"][31] == pytest.approx(16383 * 4096 / (4095 * 16384))
    assert s4["n_beyond"] == 0 and s4["fraction_max"] < 0.8


@pytest.mark.parametrize("L,seq_len,s,beyond,lo,hi", [
    (4096, 8192, 1.0, 9, 1.0001, 1.196),     # s = 1, l = 2L: all 9 above 1 (the slowest by 1e-4)
    (4096, 131072, 1.0, 9, 1.0002, 2.4464),  # s = 1, l = 32L: up to 2.45x
    (2048, 4096, 2.0, 0, 0.6668, 0.9504),    # the seed's setting: all 11 compressed
    (2048, 3000, 2.0, 0, 0.7592, 0.9386),
])
def test_trained_fraction_numbers(L, seq_len, s, beyond, lo, hi):
    r = TrainedFractionExplorer.compute(seq_len=seq_len, scaling_factor=s, max_position_embeddings=L)
    values = TrainedFractionExplorer.readout_values(r)
    assert values["never-turned pairs"] == (9 if L == 4096 else 11)
    assert values["beyond their trained range"] == beyond
    assert (round(values["smallest fraction"], 4), round(values["largest fraction"], 4)) == (lo, hi)
    i = np.arange(32)
    theta = 10000.0 ** (-2 * i / 64)
    a = 1 + s * (seq_len / L - 1) if seq_len > L else 1.0
    expected = (seq_len - 1) * theta * a ** (-2 * i / 62) / ((L - 1) * theta)
    np.testing.assert_allclose(r["slow_fraction"], expected[(L - 1) * theta < TURN], rtol=1e-12)


@pytest.mark.parametrize("cls", [ClockExplorer, ScaledClockExplorer, TrainedFractionExplorer])
def test_every_control_changes_the_picture_and_the_readout(cls):
    e = cls()
    moves = {
        "seq_len": 131072,
        "scaling_factor": 3.0,
        "method": "YaRN",
        "max_position_embeddings": 2048,
    }
    png, readout = e.render_png(), e.readout.value
    for name, value in moves.items():
        if name not in e.controls:
            continue
        e.controls[name].value = value  # what a slider move does
        new_png = e.render_png()
        assert new_png != png and e.readout.value != readout, name
        assert e.readout_values(e.result) == e.readout_values(e.compute(**e.params()))
        png, readout = new_png, e.readout.value


def test_the_fraction_panel_axis_is_linear_with_the_line_at_one():
    e = TrainedFractionExplorer(seq_len=131072)
    e.render_png()
    ax = e.fig.axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] >= 2.45
    assert list(e.panel.one.get_ydata()) == [1.0, 1.0]
    e.update(seq_len=8192, scaling_factor=2.0)
    assert ax.get_ylim() == (0.0, 1.5)  # never less than 0 .. 1.5: the spread around 1 stays visible
