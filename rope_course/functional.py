"""Pure functions for the rotary-embedding math of DeepSeek-V3's `modeling_deepseek.py`.

Each function reproduces upstream's floating-point op order where it matters, so that tables
built here are bit-identical to the ones the upstream classes build (the tests check this).

Notation used throughout the course: D = dim, b = base, L = max_position_embeddings,
s = scaling_factor, l = seq_len, a(l) = 1 + s (l/L - 1).
"""

from __future__ import annotations

import math

import torch

from ._validate import (
    check_base,
    check_dim,
    check_max_position_embeddings,
    check_position_scale,
    check_scaling_factor,
    check_seq_len,
    check_table_size,
    checked_seq_len,
    input_checks_on,
)

__all__ = [
    "inv_freq_for_base",
    "ntk_bracket",
    "dynamic_ntk_base",
    "ntk_fixed_base",
    "table_positions",
    "cos_sin_tables",
    "cos_sin_tables_upstream",
    "rotate_half",
    "deinterleave",
    "apply_rotary_pos_emb",
    "longest_wavelength",
]


def inv_freq_for_base(base: float, dim: int, device=None) -> torch.Tensor:
    """inv_freq[i] = base^(-2i/dim) for i = 0 .. dim/2-1, float32, index 0 = highest frequency.

    Upstream builds the exponent as `arange(0, dim, 2).float() / dim`, so the result is float32
    whatever the default dtype is.
    """
    base = check_base(base)
    dim = check_dim(dim)
    exponents = torch.arange(0, dim, 2).float().to(device) / dim
    return 1.0 / (base**exponents)


def ntk_bracket(seq_len: int, max_position_embeddings: int, scaling_factor: float) -> float:
    """a(l) = s*l/L - (s-1) = 1 + s(l/L - 1): the factor the dynamic class raises to D/(D-2)."""
    seq_len = check_seq_len(seq_len)
    max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
    scaling_factor = check_scaling_factor(scaling_factor)
    return (scaling_factor * seq_len / max_position_embeddings) - (scaling_factor - 1)


def dynamic_ntk_base(
    base: float,
    dim: int,
    seq_len: int,
    max_position_embeddings: int,
    scaling_factor: float,
) -> float:
    """The base the dynamic class uses for a rebuild at length `seq_len`.

    b' = b * a(l)^(D/(D-2)) when l > L (strictly), otherwise b unchanged. Computed in Python
    floats in upstream's order, so it matches the class to the last bit.
    """
    base = check_base(base)
    dim = check_dim(dim, minimum=4)
    bracket = ntk_bracket(seq_len, max_position_embeddings, scaling_factor)  # validates those three
    if check_seq_len(seq_len) <= check_max_position_embeddings(max_position_embeddings):
        return base
    return base * bracket ** (dim / (dim - 2))


def table_positions(inv_freq: torch.Tensor, seq_len, dtype: torch.dtype, device=None,
                    position_scale: float | None = None, positions_dtype: torch.dtype | None = None) -> torch.Tensor:
    """The positions t = arange(seq_len) every table builder starts from, after the checks.

    t is in inv_freq's dtype (upstream's quirk: bf16 positions once the module was cast), or in
    `positions_dtype`; `position_scale` divides it (the linear-scaling class). A (seq_len, D)
    table pair that would not fit in memory is refused here, before anything is allocated.
    """
    seq_len = checked_seq_len(seq_len)
    if input_checks_on():
        check_table_size(seq_len, 2 * inv_freq.shape[-1], dtype)
    positions = torch.arange(seq_len, device=device, dtype=positions_dtype or inv_freq.dtype)
    if position_scale is not None:
        positions = positions / check_position_scale(position_scale)
    return positions


def ntk_fixed_base(base: float, dim: int, scaling_factor: float) -> float:
    """The static NTK-aware base b * s^(D/(D-2)) (bloc97's formula; SOURCES.md#origin-bloc97).

    Fixed at start-up, whatever the length: the highest pair keeps its frequency and the lowest
    is slowed by exactly s, like position interpolation by s (SOURCES.md#paper-yarn-eq16). The
    dynamic class's base is this formula with s replaced by the bracket a(l).
    """
    base = check_base(base)
    dim = check_dim(dim, minimum=4)
    scaling_factor = check_scaling_factor(scaling_factor)
    return base * scaling_factor ** (dim / (dim - 2))


def cos_sin_tables(
    inv_freq: torch.Tensor,
    seq_len: int,
    dtype: torch.dtype,
    device=None,
    position_scale: float | None = None,
    *,
    positions_dtype: torch.dtype | None = None,
    amplitude: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables of shape (seq_len, dim) in upstream's half-split layout.

    Upstream evaluates cos and sin over `emb = cat(freqs, freqs)`, so every value is computed
    twice. The two halves of `emb` hold the same numbers and cos/sin work elementwise, so
    computing them once on `freqs` and concatenating gives the same tables for half the
    transcendental work (tests check bit identity against upstream's op sequence on this build).

    Positions come from `table_positions` (YaRN's class passes `positions_dtype=float32`, the
    linear class `position_scale`). cos and sin are evaluated in the positions' dtype, multiplied
    by `amplitude` (YaRN's mscale ratio), then rounded to `dtype`, as upstream does.
    """
    positions = table_positions(inv_freq, seq_len, dtype, device, position_scale, positions_dtype)
    freqs = torch.outer(positions, inv_freq.to(positions.device))
    cos_half, sin_half = freqs.cos(), freqs.sin()
    if amplitude != 1.0:  # multiplying by 1.0 is exact, so skipping it changes no bit
        cos_half, sin_half = cos_half * amplitude, sin_half * amplitude
    cos_half, sin_half = cos_half.to(dtype), sin_half.to(dtype)
    return torch.cat((cos_half, cos_half), dim=-1), torch.cat((sin_half, sin_half), dim=-1)


def cos_sin_tables_upstream(inv_freq: torch.Tensor, seq_len: int, dtype: torch.dtype, device=None,
                            position_scale: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Upstream's op sequence, kept for comparison: cos and sin over the duplicated table."""
    positions = table_positions(inv_freq, seq_len, dtype, device, position_scale)
    freqs = torch.outer(positions, inv_freq.to(positions.device))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """[x1, x2] -> [-x2, x1] on the last axis: a 90-degree turn of every (j, j + D/2) pair."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def deinterleave(x: torch.Tensor) -> torch.Tensor:
    """[x0, x1, x2, x3, ...] -> [x0, x2, ..., x1, x3, ...] on the last axis.

    DeepSeek's weights pair adjacent components (2i, 2i+1); the half-split formula pairs
    (j, j + D/2). Moving the even components to the front half and the odd ones to the back
    turns each adjacent pair into a half-split pair.
    """
    *lead, dim = x.shape
    if dim % 2:
        raise ValueError(f"the last axis of x must be even to de-interleave, got {dim}")
    return x.reshape(*lead, dim // 2, 2).transpose(-1, -2).reshape(*lead, dim)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids, unsqueeze_dim: int = 1):
    """Rotate q and k as DeepSeek-V3's remote code does (de-interleave, then half-split RoPE).

    q, k: (batch, heads, seq, D); cos, sin: (table_len, D) from the embedding's forward;
    position_ids: (batch, seq) absolute positions that pick rows of the table. The results stay
    in the de-interleaved layout: q and k are permuted alike, so q.k is unchanged by it.
    """
    if q.shape[-1] != cos.shape[-1] or k.shape[-1] != cos.shape[-1]:
        raise ValueError(
            f"q, k and cos must share the last axis, got {q.shape[-1]}, {k.shape[-1]}, {cos.shape[-1]}"
        )
    cos = cos[position_ids].unsqueeze(unsqueeze_dim)
    sin = sin[position_ids].unsqueeze(unsqueeze_dim)
    q = deinterleave(q)
    k = deinterleave(k)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


def longest_wavelength(base: float, dim: int) -> float:
    """Wavelength in tokens of the lowest-frequency pair: 2*pi*b^((D-2)/D)."""
    base = check_base(base)
    dim = check_dim(dim)
    return 2 * math.pi * base ** ((dim - 2) / dim)

