"""Exercise checkers for lesson 04 (the dynamic base)."""

from __future__ import annotations

import torch

from ..functional import dynamic_ntk_base, inv_freq_for_base
from ._core import Case, check_exercise

__all__ = ["check_dynamic_base", "check_pair_ratios"]

BASE_CASES = [
    Case((10000, 8, 4096, 2048, 1.0), label="D=8, l=2L, s=1"),
    Case((10000, 64, 8192, 4096, 1.0), label="D=64, L=4096, l=8192, s=1"),
    Case((10000, 64, 4097, 4096, 1.0), label="one token past L"),
    Case((10000, 64, 4096, 4096, 2.0), label="l = L exactly (no rebuild with a new base)"),
    Case((10000, 64, 1000, 4096, 4.0), label="l < L"),
    Case((10000, 64, 16384, 4096, 4.0), label="s=4 at l=4L (a = 13)"),
    Case((50000, 128, 3000, 2048, 2.0), label="b=50000, D=128, s=2, l=3000"),
]

RATIO_CASES = [
    Case((2.0, 64), label="a=2, D=64"),
    Case((13.0, 8), label="a=13, D=8"),
    Case((1.0, 16), label="a=1 (l = L)"),
    Case((1.5, 4), label="a=1.5, D=4 (two pairs)"),
]


def check_dynamic_base(solution, quiet: bool = False):
    """`solution(base, dim, seq_len, max_position_embeddings, scaling_factor) -> float`."""
    return check_exercise("dynamic_base", solution, dynamic_ntk_base, BASE_CASES, rtol=1e-9, quiet=quiet)


def _reference_ratios(bracket, dim):
    original = inv_freq_for_base(10000.0, dim).double()
    adjusted = inv_freq_for_base(10000.0 * bracket ** (dim / (dim - 2)), dim).double()
    return adjusted / original


def check_pair_ratios(solution, quiet: bool = False):
    """`solution(bracket, dim) -> tensor of D/2 ratios inv_freq'[i] / inv_freq[i]` (i = 0 first)."""
    return check_exercise("pair_ratios", solution, _reference_ratios, RATIO_CASES, rtol=1e-5, quiet=quiet)
