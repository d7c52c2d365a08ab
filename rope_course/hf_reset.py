"""A small model of Hugging Face's later dynamic-NTK update rule, for comparison in lesson 05.

HF no longer uses DeepSeek's class; its `dynamic_rope_update` decorator (PR #32135, moved
under a decorator in PR #37249, reset path fixed in PR #46624; facts §5.2) keeps the original
inv_freq and applies two rules before each forward, with l = max(position_ids) + 1:

1. growth: if l > max_seq_len_cached, recompute inv_freq for l (the base formula is DeepSeek's,
   with l clamped to at least L) and set max_seq_len_cached = l;
2. reset: if l < L (strictly) and max_seq_len_cached > L, restore the original inv_freq and
   set max_seq_len_cached = L.

After `__init__`, max_seq_len_cached = L. cos/sin are built on the fly from inv_freq, so a
call of length l sees angles p * inv_freq for p < l. What is left (facts §5.3): a call with
L <= l <= max seen keeps the inv_freq of the longest call since the last reset.
This model is state only (inv_freq and lengths); tests compare it with `transformers`.
"""

from __future__ import annotations

import torch

from ._validate import check_base, check_dim, check_max_position_embeddings, check_scaling_factor, check_seq_len
from .calls import simulate_calls
from .functional import cos_sin_tables, dynamic_ntk_base, inv_freq_for_base

__all__ = ["HFDynamicRope", "hf_base_after", "deepseek_base_after"]


class HFDynamicRope:
    """State of HF's dynamic rotary embedding: `inv_freq`, `max_seq_len_cached`, `base_in_force`."""

    def __init__(self, dim, max_position_embeddings=2048, base=10000, scaling_factor=1.0):
        self.dim = check_dim(dim, minimum=4)
        self.max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
        self.base = check_base(base)
        self.scaling_factor = check_scaling_factor(scaling_factor)
        self.original_max_seq_len = self.max_position_embeddings
        self.max_seq_len_cached = self.max_position_embeddings
        self.original_inv_freq = inv_freq_for_base(self.base, self.dim)
        self.inv_freq = self.original_inv_freq
        self.base_in_force = self.base

    def update(self, seq_len: int) -> str:
        """Apply the growth and reset rules for a call of length `seq_len`; say which fired."""
        seq_len = check_seq_len(seq_len)
        what = "kept"
        if seq_len > self.max_seq_len_cached:
            self.base_in_force = dynamic_ntk_base(
                self.base, self.dim, max(seq_len, self.max_position_embeddings),
                self.max_position_embeddings, self.scaling_factor,
            )
            self.inv_freq = inv_freq_for_base(self.base_in_force, self.dim)
            self.max_seq_len_cached = seq_len
            what = "grown"
        if seq_len < self.original_max_seq_len and self.max_seq_len_cached > self.original_max_seq_len:
            self.inv_freq = self.original_inv_freq
            self.base_in_force = self.base
            self.max_seq_len_cached = self.original_max_seq_len
            what = "reset"
        return what

    def __call__(self, seq_len: int, dtype=torch.float32):
        """(cos, sin) of shape (seq_len, dim) for positions 0 .. seq_len-1 after the update."""
        self.update(seq_len)
        return cos_sin_tables(self.inv_freq, seq_len, dtype)


def hf_base_after(calls, dim, max_position_embeddings, base=10000, scaling_factor=1.0) -> list[float]:
    """The base in force for each call of `calls` under HF's rule, starting fresh."""
    rope = HFDynamicRope(dim, max_position_embeddings, base, scaling_factor)
    out = []
    for seq_len in calls:
        rope.update(seq_len)
        out.append(rope.base_in_force)
    return out


def deepseek_base_after(calls, dim, max_position_embeddings, base=10000, scaling_factor=1.0) -> list[float]:
    """The base in force for each call of `calls` under DeepSeek's rule (no reset), starting fresh."""
    return [r.base_in_force for r in simulate_calls(calls, max_position_embeddings, scaling_factor, base, dim)]
