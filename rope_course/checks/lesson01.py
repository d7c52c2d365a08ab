"""Checkers for lesson 01 (RoPE refresher), plus the one helper the lesson needs: `interleave`.

Exercises:
1. `check_inv_freq(fn)`: fn(base, dim) -> inv_freq, float32, index 0 = highest frequency.
2. `check_deinterleave(fn)`: fn(x) -> [x0, x2, ..., x1, x3, ...] on the last axis.
3. `check_rope_adjacent(fn)`: fn(x, position, inv_freq) -> x with each adjacent pair
   (x[2i], x[2i+1]) turned by position * inv_freq[i], in the original (adjacent) layout.

The references are the package's own functions, so a checker can never disagree with the
code the lessons teach.
"""

from __future__ import annotations

import torch

from ..functional import apply_rotary_pos_emb, deinterleave, inv_freq_for_base
from ._core import Case, CheckResult, check_exercise

__all__ = ["interleave", "rope_adjacent_reference", "check_inv_freq", "check_deinterleave", "check_rope_adjacent"]


def interleave(x: torch.Tensor) -> torch.Tensor:
    """The inverse of `deinterleave`: [x0, x2, ..., x1, x3, ...] -> [x0, x1, x2, x3, ...]."""
    *lead, dim = x.shape
    if dim % 2:
        raise ValueError(f"the last axis of x must be even to interleave, got {dim}")
    return x.reshape(*lead, 2, dim // 2).transpose(-1, -2).reshape(*lead, dim)


def rope_adjacent_reference(x: torch.Tensor, position: int, inv_freq: torch.Tensor) -> torch.Tensor:
    """Adjacent-pair RoPE computed the DeepSeek way: the package's `apply_rotary_pos_emb`
    (de-interleave, then the half-split formula) on a one-row table, put back in adjacent order."""
    angles = position * inv_freq.double()
    emb = torch.cat((angles, angles)).unsqueeze(0)  # the (1, D) table row for this position
    cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    row = x.reshape(1, 1, 1, -1)
    out, _ = apply_rotary_pos_emb(row, row, cos, sin, torch.zeros(1, 1, dtype=torch.long))
    return interleave(out.reshape(x.shape))


def check_inv_freq(fn, quiet: bool = False) -> CheckResult:
    cases = [
        Case((10000, 8), label="base=10000, dim=8"),
        Case((10000, 64), label="base=10000, dim=64"),
        Case((50000, 64), label="base=50000, dim=64 (Kimi-K2's rope_theta)"),
        Case((10000, 128), label="base=10000, dim=128"),
    ]
    return check_exercise("inv_freq", fn, inv_freq_for_base, cases, rtol=1e-6, atol=0.0, quiet=quiet)


def check_deinterleave(fn, quiet: bool = False) -> CheckResult:
    g = torch.Generator().manual_seed(1)
    cases = [
        Case((torch.arange(8.0),), label="x = arange(8.)"),
        Case((torch.arange(2.0),), label="x = arange(2.) (one pair)"),
        Case((torch.randn(2, 3, 4, 16, generator=g),), label="x of shape (2, 3, 4, 16)"),
    ]
    return check_exercise("deinterleave", fn, deinterleave, cases, rtol=0.0, atol=0.0, quiet=quiet)


def check_rope_adjacent(fn, quiet: bool = False) -> CheckResult:
    g = torch.Generator().manual_seed(2)
    cases = [
        Case((torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64), 1, inv_freq_for_base(10000, 4).double()),
             label="x = [1, 0, 1, 0], position 1, dim 4"),
        Case((torch.arange(1.0, 9.0, dtype=torch.float64), 0, inv_freq_for_base(10000, 8).double()),
             label="position 0 (nothing turns), dim 8"),
        Case((torch.randn(8, generator=g, dtype=torch.float64), 3, inv_freq_for_base(10000, 8).double()),
             label="random x, position 3, dim 8"),
        Case((torch.randn(64, generator=g, dtype=torch.float64), 1000, inv_freq_for_base(10000, 64).double()),
             label="random x, position 1000, dim 64"),
    ]
    return check_exercise("rope_adjacent", fn, rope_adjacent_reference, cases, rtol=1e-9, atol=1e-9, quiet=quiet)
