"""YaRN (DeepSeek's class) against an independent float64 numpy formula and upstream's op order."""

import math

import numpy as np
import pytest
import torch

from rope_course.rotary import RotaryEmbedding
from rope_course.yarn import (
    YarnRotaryEmbedding,
    yarn_cos_sin_tables,
    yarn_find_correction_dim,
    yarn_find_correction_range,
    yarn_get_mscale,
    yarn_inv_freq,
    yarn_linear_ramp_mask,
)


# --- independent float64 reference, from the formulas (SOURCES.md#upstream-yarn-helpers) ------
def np_correction_dim(r, D, b, L0):
    return D * np.log(L0 / (2 * np.pi * r)) / (2 * np.log(b))


def np_range(bf, bs, D, b, L0):
    lo = int(np.floor(np_correction_dim(bf, D, b, L0)))
    hi = int(np.ceil(np_correction_dim(bs, D, b, L0)))
    return max(lo, 0), min(hi, D - 1)


def np_inv_freq(D, b, s, L0, bf, bs):
    i = np.arange(D // 2, dtype=np.float64)
    extra = b ** (-2 * i / D)
    lo, hi = np_range(bf, bs, D, b, L0)
    if lo == hi:
        hi += 0.001
    ramp = np.clip((i - lo) / (hi - lo), 0, 1)
    return extra / s * ramp + extra * (1 - ramp)


def np_mscale(s, m):
    return 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0


# --- upstream's op sequence, re-typed literally (bit-identical target) --------------------------
def upstream_tables(D, b, s, L0, bf, bs, m, m_all, seq_len, dtype):
    ex = torch.arange(0, D, 2, dtype=torch.float32) / D
    freq_extra = 1.0 / (b**ex)
    freq_inter = 1.0 / (s * b**ex)
    lo = max(math.floor(D * math.log(L0 / (bf * 2 * math.pi)) / (2 * math.log(b))), 0)
    hi = min(math.ceil(D * math.log(L0 / (bs * 2 * math.pi)) / (2 * math.log(b))), D - 1)
    if lo == hi:
        hi += 0.001
    ramp = torch.clamp((torch.arange(D // 2, dtype=torch.float32) - lo) / (hi - lo), 0, 1)
    mask = 1.0 - ramp
    inv = freq_inter * (1 - mask) + freq_extra * mask
    t = torch.arange(seq_len, dtype=torch.float32)
    emb = torch.cat((torch.outer(t, inv),) * 2, dim=-1)
    k = float(np_mscale(s, m) / np_mscale(s, m_all))
    return inv, (emb.cos() * k).to(dtype), (emb.sin() * k).to(dtype)


V3 = dict(dim=64, base=10000, scaling_factor=40, original_max_position_embeddings=4096, beta_fast=32, beta_slow=1)
K2 = dict(dim=64, base=50000.0, scaling_factor=32.0, original_max_position_embeddings=4096, beta_fast=1.0,
          beta_slow=1.0)


def test_correction_range_real_configs():
    assert yarn_find_correction_range(32, 1, 64, 10000, 4096) == (10, 23)
    assert yarn_find_correction_range(1.0, 1.0, 64, 50000.0, 4096) == (19, 20)


@pytest.mark.parametrize("r,D,b,L0", [(32, 64, 10000, 4096), (1, 64, 50000.0, 4096), (4, 128, 1e6, 8192),
                                      (0.5, 16, 500, 2048)])
def test_correction_dim_matches_numpy(r, D, b, L0):
    assert yarn_find_correction_dim(r, D, b, L0) == pytest.approx(np_correction_dim(r, D, b, L0), rel=1e-12)


def test_correction_range_clamps_to_dim_minus_one():
    # tiny context: the beta_fast dim is negative -> clamped to 0; huge context -> capped at D - 1
    assert yarn_find_correction_range(32, 1, 8, 10000, 64)[0] == 0
    lo, hi = yarn_find_correction_range(32, 1, 8, 10000, 10**9)
    assert hi == 7 and lo <= hi


def test_ramp_mask_values_and_equal_endpoints():
    r = yarn_linear_ramp_mask(2, 6, 8)
    assert r.dtype == torch.float32
    assert r.tolist() == pytest.approx([0, 0, 0, 0.25, 0.5, 0.75, 1, 1])
    hard = yarn_linear_ramp_mask(3, 3, 6)  # 0.001 added to high: a hard switch after index 3
    assert hard.tolist() == [0, 0, 0, 0, 1, 1]


@pytest.mark.parametrize("s,m,expected", [(40, 1, 1 + 0.1 * math.log(40)), (1.0, 1, 1.0), (0.5, 3, 1.0), (16, 0, 1.0),
                                          (8, 0.707, 1 + 0.0707 * math.log(8))])
def test_get_mscale(s, m, expected):
    assert yarn_get_mscale(s, m) == pytest.approx(expected, rel=1e-12)


def test_mscale_squared_real_configs():
    assert yarn_get_mscale(40, 1.0) ** 2 == pytest.approx(1.874, abs=5e-4)
    assert yarn_get_mscale(32.0, 1.0) ** 2 == pytest.approx(1.813, abs=5e-4)
    assert yarn_get_mscale(64.0, 1.0) ** 2 == pytest.approx(2.005, abs=5e-4)


SMALL = dict(dim=16, base=500.0, scaling_factor=4, original_max_position_embeddings=256, beta_fast=8, beta_slow=2)


@pytest.mark.parametrize("cfg", [V3, K2, SMALL])
def test_inv_freq_matches_float64_reference(cfg):
    got = yarn_inv_freq(**cfg)
    assert got.dtype == torch.float32 and got.shape == (cfg["dim"] // 2,)
    want = np_inv_freq(cfg["dim"], cfg["base"], cfg["scaling_factor"], cfg["original_max_position_embeddings"],
                       cfg["beta_fast"], cfg["beta_slow"])
    np.testing.assert_allclose(got.double().numpy(), want, rtol=2e-6)


def test_inv_freq_v3_pairs_kept_and_divided():
    got = yarn_inv_freq(**V3).double().numpy()
    orig = 10000.0 ** (-2 * np.arange(32) / 64)
    ratio = got / orig
    np.testing.assert_allclose(ratio[:11], 1.0, rtol=1e-6)  # pairs <= low = 10 kept
    np.testing.assert_allclose(ratio[23:], 1 / 40, rtol=1e-6)  # pairs >= high = 23 divided by s
    assert np.all(np.diff(ratio) <= 1e-6)  # monotone (up to float32 noise) in between


def test_inv_freq_k2_is_a_hard_switch():
    ratio = yarn_inv_freq(**K2).double().numpy() / (50000.0 ** (-2 * np.arange(32) / 64))
    np.testing.assert_allclose(ratio[:20], 1.0, rtol=1e-6)
    np.testing.assert_allclose(ratio[20:], 1 / 32, rtol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("mscales", [(1.0, 1.0), (1.0, 0), (0.707, 0.3)])
def test_module_tables_bit_identical_to_upstream(dtype, mscales):
    m, m_all = mscales
    cfg = dict(dim=16, base=10000, scaling_factor=8, original_max_position_embeddings=128, beta_fast=32, beta_slow=1)
    mod = YarnRotaryEmbedding(cfg["dim"], 64, cfg["base"], None, cfg["scaling_factor"], 128, 32, 1, m, m_all)
    x = torch.zeros(1, dtype=dtype)
    cos, sin = mod(x, seq_len=300)
    inv, ucos, usin = upstream_tables(16, 10000, 8, 128, 32, 1, m, m_all, 300, dtype)
    assert torch.equal(mod.inv_freq, inv)
    assert torch.equal(cos, ucos) and torch.equal(sin, usin)
    assert cos.dtype == dtype and cos.shape == (300, 16)


def test_cos_sin_scaled_by_mscale_ratio():
    mod = YarnRotaryEmbedding(8, 32, 10000, None, 4.0, 16, 32, 1, mscale=1.0, mscale_all_dim=0)
    cos, sin = mod(torch.zeros(1), seq_len=10)
    k = 1 + 0.1 * math.log(4.0)
    assert mod.cos_sin_scale == pytest.approx(k)
    assert cos[0, 0].item() == pytest.approx(k, rel=1e-6)
    real = YarnRotaryEmbedding(64, 4096 * 40, 10000, None, 40, 4096, 32, 1, 1.0, 1.0)
    assert real.cos_sin_scale == 1.0


def test_tables_match_float64_numpy():
    inv = yarn_inv_freq(**V3)
    cos, sin = yarn_cos_sin_tables(inv, 5000, torch.float32)
    p = np.arange(5000, dtype=np.float64)[:, None]
    ang = p * inv.double().numpy()[None, :]
    # atol: float32 angle rounding at p ~ 5000
    np.testing.assert_allclose(cos[:, :32].double().numpy(), np.cos(ang), atol=5e-4)
    np.testing.assert_allclose(sin[:, 32:].double().numpy(), np.sin(ang), atol=5e-4)


def test_positions_stay_float32_after_bf16_cast():
    mod = YarnRotaryEmbedding(64, 2048, 10000, None, 4.0, 1024, 32, 1, 1.0, 1.0).to(torch.bfloat16)
    assert mod.inv_freq.dtype == torch.bfloat16  # the cast reaches the buffer ...
    cos, _ = mod(torch.zeros(1, dtype=torch.bfloat16), seq_len=2048)
    assert mod.inv_freq.dtype == torch.float32  # ... but the rebuild makes it float32 again
    ref_cos, _ = yarn_cos_sin_tables(yarn_inv_freq(64, 10000, 4.0, 1024, 32, 1), 2048, torch.bfloat16)
    assert torch.equal(cos, ref_cos)


def test_init_state_like_upstream():
    mod = YarnRotaryEmbedding(64, 512, 10000, None, 4.0, 128, 32, 1)
    assert isinstance(mod, RotaryEmbedding)
    assert mod.max_seq_len_cached is None and mod.cos_cached.shape == (512, 64)
    assert "inv_freq" not in mod.state_dict() and "cos_cached" not in mod.state_dict()
    assert "forward" not in YarnRotaryEmbedding.__dict__


def test_static_no_history_dependence():
    a = YarnRotaryEmbedding(16, 64, 10000, None, 4.0, 32, 32, 1)
    b = YarnRotaryEmbedding(16, 64, 10000, None, 4.0, 32, 32, 1)
    x = torch.zeros(1)
    a(x, seq_len=1000)
    cos_a, _ = a(x, seq_len=20)
    cos_b, _ = b(x, seq_len=20)
    assert torch.equal(cos_a, cos_b)


@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(dim=7), ValueError, "dim"),
    (dict(dim=8.0), TypeError, "dim"),
    (dict(base=1), ValueError, "base"),
    (dict(base=-5), ValueError, "base"),
    (dict(scaling_factor=0.5), ValueError, "scaling_factor"),
    (dict(original_max_position_embeddings=0), ValueError, "original_max_position_embeddings"),
    (dict(beta_fast=0), ValueError, "beta_fast"),
    (dict(beta_fast=1, beta_slow=32), ValueError, "beta_fast"),
    (dict(mscale=float("nan")), ValueError, "mscale"),
    (dict(mscale_all_dim="1"), TypeError, "mscale_all_dim"),
    (dict(max_position_embeddings=0), ValueError, "max_position_embeddings"),
    (dict(base=0.5), ValueError, "base must be > 1"),
    (dict(beta_slow=True), TypeError, "beta_slow must be a real number, got a bool"),
    (dict(beta_fast=torch.tensor(True)), TypeError, "beta_fast"),
    (dict(mscale=float("inf")), ValueError, "mscale must be finite"),
    (dict(scaling_factor=np.bool_(True)), TypeError, "scaling_factor"),
    (dict(max_position_embeddings=10**9), ValueError, "seq_len=1000000000 would need"),
])
def test_bad_input_is_rejected_clearly(kwargs, exc, word):
    args = dict(dim=16, max_position_embeddings=64, base=10000, scaling_factor=4.0)
    args.update(kwargs)
    with pytest.raises(exc, match=word):
        YarnRotaryEmbedding(**args)


def test_bad_seq_len_changes_no_state():
    mod = YarnRotaryEmbedding(16, 64, 10000, None, 4.0, 32, 32, 1)
    mod(torch.zeros(1), seq_len=40)
    before = (mod.max_seq_len_cached, mod.cos_cached.clone(), mod.inv_freq.clone())
    for bad, exc in [(None, ValueError), (0, ValueError), (2.5, TypeError)]:
        with pytest.raises(exc, match="seq_len"):
            mod(torch.zeros(1), seq_len=bad)
    assert mod.max_seq_len_cached == before[0]
    assert torch.equal(mod.cos_cached, before[1]) and torch.equal(mod.inv_freq, before[2])


def test_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="num_rotations"):
        yarn_find_correction_dim(0, 64, 10000, 4096)
    with pytest.raises(ValueError, match="low <= high"):
        yarn_linear_ramp_mask(5, 2, 8)
    with pytest.raises(ValueError, match="n must be"):
        yarn_linear_ramp_mask(1, 2, 0)
