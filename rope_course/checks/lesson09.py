"""Exercise checkers for lesson 09 (real models: YaRN, the config switch, the frequencies)."""

from __future__ import annotations

import math

import torch

from . import Case, check_exercise


def _ref_range(dim, base, original_max_position_embeddings, beta_fast, beta_slow):
    def corr(r):
        return dim * math.log(original_max_position_embeddings / (2 * math.pi * r)) / (2 * math.log(base))

    return max(math.floor(corr(beta_fast)), 0), min(math.ceil(corr(beta_slow)), dim - 1)


def _ref_softmax_scale(q_head_dim, factor, mscale_all_dim):
    scale = q_head_dim**-0.5
    if mscale_all_dim:
        m = 1.0 if factor <= 1 else 0.1 * mscale_all_dim * math.log(factor) + 1.0
        scale = scale * m * m
    return scale


def _ref_yarn_ratio(half, low, high, factor):
    if low == high:
        high = high + 0.001
    ramp = torch.clamp((torch.arange(half, dtype=torch.float64) - low) / (high - low), 0, 1)
    return (1 - ramp) + ramp / factor


def check_yarn_correction_range(fn, quiet=False):
    """fn(dim, base, original_max_position_embeddings, beta_fast, beta_slow) -> (low, high)."""
    cases = [
        Case((64, 10000, 4096, 32, 1), label="DeepSeek-V3 (D=64, b=1e4, L0=4096, beta 32/1)"),
        Case((64, 50000.0, 4096, 1.0, 1.0), label="Kimi-K2 (D=64, b=5e4, L0=4096, beta 1/1)"),
        Case((128, 10000, 4096, 32, 1), label="D=128, b=1e4, L0=4096, beta 32/1"),
        Case((8, 10000, 64, 32, 1), label="D=8, b=1e4, L0=64 (range clamped)"),
    ]
    return check_exercise("yarn_correction_range", fn, _ref_range, cases, quiet=quiet)


def check_softmax_scale(fn, quiet=False):
    """fn(q_head_dim, factor, mscale_all_dim) -> the attention's softmax scale."""
    cases = [
        Case((192, 40, 1.0), label="DeepSeek-V3 (192, 40, 1.0)"),
        Case((192, 32.0, 1.0), label="Kimi-K2 (192, 32, 1.0)"),
        Case((192, 40, 0), label="mscale_all_dim = 0"),
        Case((128, 4.0, 0.5), label="(128, 4, 0.5)"),
    ]
    return check_exercise("softmax_scale", fn, _ref_softmax_scale, cases, quiet=quiet)


def check_yarn_ratio(fn, quiet=False):
    """fn(half, low, high, factor) -> float tensor (half,): YaRN inv_freq / original inv_freq."""
    cases = [
        Case((32, 10, 23, 40.0), label="DeepSeek-V3 (32 pairs, 10..23, s=40)"),
        Case((32, 19, 20, 32.0), label="Kimi-K2 (32 pairs, 19..20, s=32)"),
        Case((8, 3, 3, 4.0), label="low == high (8 pairs, 3..3, s=4)"),
    ]
    return check_exercise("yarn_ratio", fn, _ref_yarn_ratio, cases, rtol=1e-5, atol=1e-6, quiet=quiet)
