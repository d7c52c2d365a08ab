"""Exercise checkers for lesson 08 (precision and cost)."""

from __future__ import annotations

import torch

from . import Case, check_exercise


def _ref_cache_bytes(seq_len, dim, bytes_per_element):
    return 2 * seq_len * dim * bytes_per_element


def _ref_distinct_bf16(n):
    return int(torch.arange(n, dtype=torch.bfloat16).unique().numel())


def _ref_half_tables(inv_freq, seq_len):
    t = torch.arange(seq_len, dtype=inv_freq.dtype)
    emb = torch.cat((torch.outer(t, inv_freq),) * 2, dim=-1)
    return emb.cos(), emb.sin()


def check_cache_bytes(fn, quiet=False):
    """fn(seq_len, dim, bytes_per_element) -> bytes of cos_cached + sin_cached."""
    cases = [
        Case((8, 4, 4), label="seq_len=8, dim=4, float32"),
        Case((163840, 64, 4), label="DeepSeek-V3 init cache, float32"),
        Case((163840, 64, 2), label="DeepSeek-V3 init cache, bf16"),
        Case((5, 6, 8), label="seq_len=5, dim=6, float64"),
    ]
    return check_exercise("cache_bytes", fn, _ref_cache_bytes, cases, quiet=quiet)


def check_distinct_bf16_positions(fn, quiet=False):
    """fn(n) -> number of distinct values of the positions 0..n-1 once they are bf16."""
    cases = [Case((256,), label="n=256"), Case((2048,), label="n=2048"), Case((300,), label="n=300"),
             Case((5000,), label="n=5000")]
    return check_exercise("distinct_bf16_positions", fn, _ref_distinct_bf16, cases, quiet=quiet)


def check_half_work_tables(fn, quiet=False):
    """fn(inv_freq, seq_len) -> (cos, sin), each (seq_len, 2 * len(inv_freq)) in the half-split layout."""
    inv = 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))
    cases = [
        Case((inv, 5), label="D=8, base 1e4, seq_len=5"),
        Case((1.0 / (500 ** (torch.arange(0, 16, 2).float() / 16)), 64), label="D=16, base 500, seq_len=64"),
        Case((torch.tensor([1.0, 0.25]), 3), label="inv_freq=[1, 0.25], seq_len=3"),
    ]
    return check_exercise("half_work_tables", fn, _ref_half_tables, cases, rtol=1e-6, atol=1e-7, quiet=quiet)
