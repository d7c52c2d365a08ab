"""Pure functions for the rotary-embedding math of DeepSeek-V3's `modeling_deepseek.py`.

Each function reproduces upstream's floating-point op order where it matters, so that tables
built here are bit-identical to the ones the upstream classes build (the tests check this).

Notation used throughout the course: D = dim, b = base, L = max_position_embeddings,
s = scaling_factor, l = seq_len, a(l) = 1 + s (l/L - 1).
"""

from __future__ import annotations

import ctypes
import math
import sys

import torch

from ._validate import (
    check_base,
    check_dim,
    check_max_position_embeddings,
    check_scaling_factor,
    check_seq_len,
)

__all__ = [
    "inv_freq_for_base",
    "ntk_bracket",
    "dynamic_ntk_base",
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
    seq_len = check_seq_len(seq_len)
    max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
    scaling_factor = check_scaling_factor(scaling_factor)
    if seq_len <= max_position_embeddings:
        return base
    bracket = (scaling_factor * seq_len / max_position_embeddings) - (scaling_factor - 1)
    return base * bracket ** (dim / (dim - 2))


def cos_sin_tables(
    inv_freq: torch.Tensor,
    seq_len: int,
    dtype: torch.dtype,
    device=None,
    position_scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables of shape (seq_len, dim) in upstream's half-split layout, computed fast.

    Upstream evaluates cos and sin over `cat(freqs, freqs)`: every transcendental twice, and
    four fresh tables (`freqs`, `emb`, `cos`, `sin`). Both halves of that table hold the same numbers and
    cos/sin are elementwise, so computing them once on `freqs` and copying gives bit-identical
    tables for half the work. What dominates a large rebuild on a CPU, though, is memory the
    process has never touched (every fresh page is a page fault that the kernel zeroes), so
    for tables of 8 MiB and more this version asks for huge pages (`_prefer_huge_pages`) and
    touches no memory beyond the two output tables: `freqs`, then its cos and sin, are computed contiguously inside the second halves of the outputs' own storage, and
    each table is then spread in place into rows [c, c] (`_spread_second_half`).

    Positions are `arange(seq_len)` in inv_freq's dtype (upstream's quirk: bf16 positions when
    the module was cast); `position_scale` divides them first (the linear-scaling class). cos
    and sin are evaluated in inv_freq's dtype and then rounded to `dtype`, as upstream does.
    """
    seq_len = check_seq_len(seq_len)
    positions = torch.arange(seq_len, device=device, dtype=inv_freq.dtype)
    if position_scale is not None:
        positions = positions / position_scale
    inv_freq = inv_freq.to(positions.device)
    half = inv_freq.shape[-1]
    table_bytes = seq_len * 2 * half * torch.empty((), dtype=dtype).element_size()
    if dtype != inv_freq.dtype or table_bytes < _IN_PLACE_MIN_BYTES:
        # Small tables (a decode step's rebuild) come from memory the allocator recycles, so
        # the fewest, simplest ops win: cos/sin on the half (in inv_freq's dtype, then rounded
        # to dtype, as upstream does), then concatenate.
        freqs = torch.outer(positions, inv_freq)
        cos_half, sin_half = freqs.cos().to(dtype), freqs.sin().to(dtype)
        return torch.cat((cos_half, cos_half), dim=-1), torch.cat((sin_half, sin_half), dim=-1)
    cos = torch.empty(seq_len, 2 * half, dtype=dtype, device=positions.device)
    sin = torch.empty_like(cos)
    _prefer_huge_pages(cos)
    _prefer_huge_pages(sin)
    cos_flat, sin_flat = cos.view(-1), sin.view(-1)
    freqs = cos_flat[seq_len * half :].view(seq_len, half)
    torch.outer(positions, inv_freq, out=freqs)
    torch.sin(freqs, out=sin_flat[seq_len * half :].view(seq_len, half))
    torch.cos(freqs, out=freqs)
    _spread_second_half(cos_flat, seq_len, half)
    _spread_second_half(sin_flat, seq_len, half)
    return cos, sin


_IN_PLACE_MIN_BYTES = 8 << 20  # below this, fresh-page faults matter less than op count
_HUGE_PAGE = 2 << 20
_MADV_HUGEPAGE = 14  # Linux's value


def _load_madvise():
    if not sys.platform.startswith("linux"):
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


_madvise = _load_madvise()


def _prefer_huge_pages(table: torch.Tensor) -> None:
    """Ask Linux to back a large, not yet written CPU table with 2 MiB pages.

    A (131072, 64) float32 table is 32 MiB of memory the process has never touched; with 4 KiB
    pages, writing it costs 8192 page faults, which take longer than computing the table.
    With transparent huge pages in "madvise" mode (a common default) this advice cuts that to
    16 faults. It is only advice: the numbers are the same either way, and where it is not
    available (other systems, other devices, small tables) nothing happens.
    """
    if _madvise is None or table.device.type != "cpu":
        return
    size = table.numel() * table.element_size()
    if size < 4 * _HUGE_PAGE:
        return
    start = (table.data_ptr() + _HUGE_PAGE - 1) & -_HUGE_PAGE
    end = (table.data_ptr() + size) & -_HUGE_PAGE
    if end > start:
        _madvise(start, end - start, _MADV_HUGEPAGE)


def _spread_second_half(flat: torch.Tensor, rows: int, half: int) -> None:
    """In place: `flat` (2*rows*half,) holds a (rows, half) table in its second half; rewrite
    it as the (rows, 2*half) table whose row r is [t[r], t[r]].

    Target row r occupies flat[2*half*r : 2*half*(r+1)], source row r flat[rows*half + half*r :
    ...]. Copying rows [a, b) is safe once every source row >= a still to be read lies beyond
    the rows being written: 2*half*b <= rows*half + half*a, i.e. b <= (rows + a) / 2. So the
    rows go in chunks that halve (about log2(rows) copies), and the last row, whose target's
    second half *is* its source, only needs its first half filled.
    """
    source = flat[rows * half :].view(rows, half)
    target = flat.view(rows, 2, half)
    start = 0
    while start < rows - 1:
        stop = (rows + start) // 2
        target[start:stop].copy_(source[start:stop].unsqueeze(1).expand(stop - start, 2, half))
        start = stop
    target[rows - 1, 0].copy_(source[rows - 1])


def cos_sin_tables_upstream(
    inv_freq: torch.Tensor,
    seq_len: int,
    dtype: torch.dtype,
    device=None,
    position_scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Upstream's op sequence, kept for comparison: cos and sin over the duplicated table."""
    seq_len = check_seq_len(seq_len)
    positions = torch.arange(seq_len, device=device, dtype=inv_freq.dtype)
    if position_scale is not None:
        positions = positions / position_scale
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

