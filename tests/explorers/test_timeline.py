import math

import pytest
import torch

import rope_course as rc
from rope_course.calls import (
    CountingDynamicNTK,
    CountingRotaryEmbedding,
    count_rebuilds,
    simulate_calls,
    two_conversations,
)
from rope_course.explorers import REGISTRY
from rope_course.explorers.timeline import TimelineExplorer

X = torch.zeros(1)


def run_module(module, calls):
    for seq_len in calls:
        module(X, seq_len=seq_len)
    return module


def test_counting_module_logs_init_build_separately():
    m = CountingRotaryEmbedding(dim=16, max_position_embeddings=64)
    assert m.init_builds == [64] and m.rebuilds == [] and m.max_seq_len_cached is None
    run_module(m, [10, 10, 11])
    assert m.rebuilds == [10, 11]


def test_decode_loop_rebuilds_every_step():
    calls = [5 + k for k in range(11)]
    m = run_module(CountingRotaryEmbedding(dim=16, max_position_embeddings=2048), calls)
    assert len(m.rebuilds) == 11 == count_rebuilds(calls)


@pytest.mark.parametrize("calls", [
    [10], [2048], [10, 10, 10], [100, 50, 100, 101], [3000, 2500, 1000, 3001],
    [1, 2, 3, 2, 1, 5000, 4097, 6000], two_conversations(5000), two_conversations(8192),
])
@pytest.mark.parametrize("scaling_factor", [1.0, 2.5])
def test_simulation_matches_real_dynamic_module(calls, scaling_factor):
    m = run_module(CountingDynamicNTK(dim=16, max_position_embeddings=4096, scaling_factor=scaling_factor), calls)
    records = simulate_calls(calls, 4096, scaling_factor, 10000, 16)
    assert [r.seq_len for r in records if r.rebuilt] == m.rebuilds
    assert records[-1].cached_len == m.max_seq_len_cached
    assert torch.equal(m.inv_freq, rc.inv_freq_for_base(records[-1].base_in_force, 16))


def test_simulation_standard_never_changes_base():
    records = simulate_calls([5000, 9000], dynamic=False)
    assert all(r.base_in_force == 10000 for r in records)


def test_two_conversations_layout():
    calls = two_conversations(100, decode_steps=2, second_prompt=50)
    assert calls == [100, 101, 102, 50, 51, 52]


def test_compute_values():
    r = TimelineExplorer.compute(seq_len=5000, scaling_factor=1.0)
    assert r["rebuilds"] == 18 and r["final_cached"] == 6008
    assert r["final_base"] == rc.dynamic_ntk_base(10000, 64, 6008, 4096, 1.0)
    r = TimelineExplorer.compute(seq_len=8192, scaling_factor=2.0)
    assert r["rebuilds"] == 9 and r["final_cached"] == 8200
    assert r["final_base"] == rc.dynamic_ntk_base(10000, 64, 8200, 4096, 2.0)
    assert r["fresh_final_base"] == rc.dynamic_ntk_base(10000, 64, 6008, 4096, 2.0)
    assert len(r["calls"]) == len(r["cached"]) == len(r["base"]) == 18
    ro = TimelineExplorer.readout_values(r)
    assert ro["rebuilds"] == 9 and math.isclose(ro["base in force (last call)"], r["final_base"])


def test_registered_and_png_changes():
    assert REGISTRY["timeline"] is TimelineExplorer
    e = TimelineExplorer()
    assert set(e.controls) >= {"seq_len", "scaling_factor"}
    assert max(e.controls["seq_len"].options) >= 131072
    pngs = [e.render_png()]
    for params in [dict(seq_len=5000), dict(scaling_factor=1.25), dict(seq_len=256), dict(seq_len=131072)]:
        e.update(**params)
        pngs.append(e.render_png())
    assert all(a != b for a, b in zip(pngs, pngs[1:]))


def test_each_slider_notch_changes_picture():
    e = TimelineExplorer()
    for name in ("seq_len", "scaling_factor"):
        c = e.controls[name]
        before = e.render_png()
        if name == "seq_len":
            opts = list(c.options)
            c.value = opts[opts.index(c.value) + 1]
        else:
            c.value = c.value + c.step
        assert e.render_png() != before, name


def test_default_shows_the_history_effect_on_linear_axes():
    """Lesson 03's fix: the saved picture (default seq_len 8192) shows the second conversation
    running on the first one's base, on linear axes where 20473 and 14850 differ visibly."""
    e = TimelineExplorer()
    assert e.params() == {"seq_len": 8192, "scaling_factor": 1.0}
    r = e.result
    assert round(r["final_base"]) == 20473 and round(r["fresh_final_base"]) == 14850
    assert r["rebuilt"][DECODE + 1:] == [False] * (DECODE + 1)  # the second conversation never rebuilds
    e.render_png()
    assert [ax.get_yscale() for ax in e.fig.axes] == ["linear", "linear"]
    low, high = e.fig.axes[1].get_ylim()
    assert low == 0 and (r["final_base"] - r["fresh_final_base"]) / (high - low) > 0.2


DECODE = 8


def test_slider_offers_the_in_between_case():
    """The notch 5996: the first conversation ends at 6004, so the second one's calls 6000-6004
    keep b'(6004) and only 6005-6008 rebuild (lesson 03, section 4)."""
    assert 5996 in TimelineExplorer().controls["seq_len"].options
    r = TimelineExplorer.compute(seq_len=5996, scaling_factor=1.0)
    assert r["rebuilt"][DECODE + 1:] == [False] * 5 + [True] * 4
    assert r["base"][DECODE + 1:DECODE + 6] == [rc.dynamic_ntk_base(10000, 64, 6004, 4096, 1.0)] * 5
