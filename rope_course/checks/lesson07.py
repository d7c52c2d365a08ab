"""Checkers for lesson 07 (generation with a KV cache under dynamic NTK)."""

from __future__ import annotations

import torch

from ..functional import apply_rotary_pos_emb, cos_sin_tables, dynamic_ntk_base, inv_freq_for_base
from ._core import Case, check_exercise

__all__ = [
    "reference_cached_key_base",
    "reference_rerotate_keys",
    "reference_stale_angle",
    "check_cached_key_base",
    "check_rerotate_keys",
    "check_stale_angle",
]


def reference_cached_key_base(position, prefill_len, dim, base, max_position_embeddings, scaling_factor) -> float:
    """Post-RoPE caching, a fresh dynamic module, a prefill of `prefill_len` tokens, then one token
    per step: the base the key at `position` was rotated with (the one of its own call)."""
    length = max(position + 1, prefill_len)
    return dynamic_ntk_base(base, dim, length, max_position_embeddings, scaling_factor)


def reference_rerotate_keys(raw_keys, cos, sin) -> torch.Tensor:
    """Pre-RoPE caching: rotate every cached raw key (b, h, t, D) for its position 0 .. t-1 with
    the current table, as `apply_rotary_pos_emb` would (so in its de-interleaved layout)."""
    bsz, _, t, _ = raw_keys.shape
    positions = torch.arange(t).unsqueeze(0).expand(bsz, -1)
    return apply_rotary_pos_emb(raw_keys, raw_keys, cos, sin, positions)[1]


def reference_stale_angle(position, prefill_len, seq_len, dim, base, max_position_embeddings, scaling_factor):
    """(angle when cached, angle under the final base) of the lowest-frequency pair of the key at
    `position`, after decoding up to `seq_len` with post-RoPE caching."""
    cached = reference_cached_key_base(position, prefill_len, dim, base, max_position_embeddings, scaling_factor)
    final = dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
    exponent = -(dim - 2) / dim
    return (position * cached**exponent, position * final**exponent)


_BASE_CASES = [
    Case((16, 16, 64, 10000.0, 16, 2.0), label="(position=16, prefill_len=16, D=64, b=1e4, L=16, s=2)"),
    Case((23, 16, 64, 10000.0, 16, 2.0), label="(position=23, prefill_len=16, D=64, b=1e4, L=16, s=2)"),
    Case((5, 16, 64, 10000.0, 16, 2.0), label="(position=5 in the prefill, prefill_len=16, L=16, s=2)"),
    Case((3, 20, 64, 10000.0, 16, 2.0), label="(position=3 in a prefill of 20 > L=16, s=2)"),
    Case((40, 20, 8, 500.0, 16, 1.0), label="(position=40, prefill_len=20, D=8, b=500, L=16, s=1)"),
]


def _rotation_cases():
    g = torch.Generator().manual_seed(7)
    cases = []
    for t, table_len, dim, base in [(5, 5, 8, 10000.0), (3, 7, 8, 100.0), (6, 9, 16, 10000.0)]:
        raw = torch.randn(1, 2, t, dim, generator=g)
        cos, sin = cos_sin_tables(inv_freq_for_base(base, dim), table_len, torch.float32)
        cases.append(Case((raw, cos, sin), label=f"(t={t} keys, table of {table_len} rows, D={dim}, b={base:g})"))
    return cases


_ANGLE_CASES = [
    Case((16, 16, 24, 64, 10000.0, 16, 2.0), label="(position=16, prefill 16, decoded to 24, D=64, L=16, s=2)"),
    Case((20, 16, 24, 64, 10000.0, 16, 2.0), label="(position=20, prefill 16, decoded to 24, D=64, L=16, s=2)"),
    Case((10, 16, 24, 64, 10000.0, 16, 2.0), label="(position=10 in the prefill, decoded to 24, L=16, s=2)"),
    Case((5000, 4096, 8192, 64, 10000.0, 4096, 1.0), label="(position=5000, prefill 4096, decoded to 8192, L=4096, s=1)"),
]


def check_cached_key_base(solution, quiet: bool = False):
    return check_exercise("cached_key_base", solution, reference_cached_key_base, _BASE_CASES,
                          rtol=1e-12, atol=0.0, quiet=quiet)


def check_rerotate_keys(solution, quiet: bool = False):
    return check_exercise("rerotate_keys", solution, reference_rerotate_keys, _rotation_cases(),
                          rtol=1e-5, atol=1e-6, quiet=quiet)


def check_stale_angle(solution, quiet: bool = False):
    return check_exercise("stale_angle", solution, reference_stale_angle, _ANGLE_CASES,
                          rtol=1e-9, atol=0.0, quiet=quiet)
