import math

import pytest
import torch

import rope_course as rc
from rope_course.explorers import REGISTRY
from rope_course.explorers.history import HistoryExplorer, later_call_tables

X = torch.zeros(1)


def deepseek_later_cos(seq_len, later_len, s, dim=64, L=2048):
    m = rc.DynamicNTKScalingRotaryEmbedding(dim, L, scaling_factor=s)
    m(X, seq_len=seq_len)
    return m(X, seq_len=later_len)[0]


@pytest.mark.parametrize("seq_len,later_len", [(4096, 1024), (3000, 2500), (1000, 3000), (1000, 500), (2049, 2048)])
def test_deepseek_table_matches_real_module(seq_len, later_len):
    t = later_call_tables(seq_len, later_len, 2.0)
    assert torch.equal(t["deepseek_cos"], deepseek_later_cos(seq_len, later_len, 2.0))


def test_fresh_table_matches_fresh_module():
    m = rc.DynamicNTKScalingRotaryEmbedding(64, 2048, scaling_factor=2.0)
    assert torch.equal(later_call_tables(4096, 2500, 2.0)["fresh_cos"], m(X, seq_len=2500)[0])


def test_facts_tiny_example():
    t = later_call_tables(32, 8, 2.0, dim=8, max_position_embeddings=16)
    assert torch.allclose(t["deepseek_inv_freq"], torch.tensor([1, 0.0693, 0.0048, 0.00033]), rtol=2e-2)
    assert round((t["deepseek_cos"] - t["fresh_cos"]).abs().max().item(), 2) == 0.12
    assert t["hf_rule"] == "reset" and torch.equal(t["hf_cos"], t["fresh_cos"])


def test_hf_gap_between_L_and_max_seen():
    t = later_call_tables(3000, 2500, 2.0)
    assert t["hf_rule"] == "kept"
    assert t["hf_base"] == t["deepseek_base"] == rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0)
    assert t["fresh_base"] == rc.dynamic_ntk_base(10000, 64, 2500, 2048, 2.0)


def test_compute_and_readout():
    r = HistoryExplorer.compute(seq_len=4096, scaling_factor=2.0, later_len=1024)
    assert r["hf_diff"] == 0.0 and r["deepseek_diff"] > 1.9
    assert len(r["positions"]) <= 512 and all(len(v) == len(r["positions"]) for v in r["curves"].values())
    ro = HistoryExplorer.readout_values(r)
    assert ro["base DeepSeek"] == rc.dynamic_ntk_base(10000, 64, 4096, 2048, 2.0)
    assert ro["base HF"] == ro["base fresh"] == 10000
    r = HistoryExplorer.compute(seq_len=1024, scaling_factor=8.0, later_len=1024)
    assert r["deepseek_diff"] == 0.0 and r["deepseek_base"] == 10000


def test_diff_is_max_over_whole_table():
    r = HistoryExplorer.compute(seq_len=131072, scaling_factor=3.0, later_len=2500)
    t = later_call_tables(131072, 2500, 3.0)
    assert math.isclose(r["deepseek_diff"], (t["deepseek_cos"] - t["fresh_cos"]).abs().max().item())


def test_registered_and_png_changes():
    assert REGISTRY["history"] is HistoryExplorer
    e = HistoryExplorer()
    assert max(e.controls["seq_len"].options) >= 131072
    pngs = [e.render_png()]
    moves = [dict(seq_len=131072), dict(scaling_factor=2.25), dict(seq_len=512), dict(scaling_factor=1.0),
             dict(later_len=2500)]
    for params in moves:
        e.update(**params)
        pngs.append(e.render_png())
    assert all(a != b for a, b in zip(pngs, pngs[1:]))
