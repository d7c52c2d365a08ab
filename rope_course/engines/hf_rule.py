"""The course's model of Hugging Face's dynamic-NTK rule (`dynamic_rope_update`), with tensors.

HF's rotary modules (Llama's, and the native DeepSeek-V3 port's `DeepseekV3RotaryEmbedding`)
keep the original `inv_freq` and, before each forward, apply two rules with
l = max(position_ids) + 1 taken over the **whole batch** (SOURCES.md#hf-32135, moved under a
decorator in SOURCES.md#hf-37249):

1. growth: if l > max_seq_len_cached, recompute inv_freq for l and set max_seq_len_cached = l;
2. reset: if l < L (strictly) and max_seq_len_cached > L, restore the original inv_freq and set
   max_seq_len_cached = L.

After `__init__`, max_seq_len_cached = L = `max_position_embeddings`. cos/sin are computed on
every forward from inv_freq and the position ids; there is no table to slice. What is left
(SOURCES.md#hf-25306 for the history problem): a call with L <= l <= max seen keeps the inv_freq
of the longest call since the last reset.

`lost_reset=True` models transformers 5.0.0 to 5.12.x (fixed in 5.13.0 by SOURCES.md#hf-46624):
on the `layer_type=None` path the growth rule wrote the new length to a stray
`None_max_seq_len_cached` attribute, so `max_seq_len_cached` stayed at L. Then every call longer
than L recomputed its own inv_freq, and the reset never fired: a short call after a long one kept
the long call's frequencies, as DeepSeek's class does.

Arithmetic is HF's, so that this model and the installed module agree bit for bit (the parity
tests check it): the grown base is computed from a 0-d int64 tensor l, i.e. in float32, not in
Python floats as DeepSeek's class does. `base_in_force` is the formula's value in Python floats
(the number a learner computes by hand); `inv_freq` is what HF holds.
"""

from __future__ import annotations

import torch

from .._validate import check_base, check_dim, check_max_position_embeddings, check_scaling_factor, check_seq_len
from ..calls import simulate_calls
from ..functional import dynamic_ntk_base, inv_freq_for_base

__all__ = [
    "HFDynamicRope",
    "hf_grown_inv_freq",
    "check_position_ids",
    "hf_base_after",
    "deepseek_base_after",
]


def hf_grown_inv_freq(base: float, dim: int, seq_len: int, max_position_embeddings: int,
                      scaling_factor: float) -> torch.Tensor:
    """inv_freq as HF's `_compute_dynamic_ntk_parameters` computes it for a tensor length `seq_len`.

    HF clamps the length to at least L (so at or below L the base is the original one) and does
    the arithmetic on a 0-d int64 tensor, so the new base is a float32 number.
    """
    base = check_base(base)
    dim = check_dim(dim, minimum=4)
    seq_len = check_seq_len(seq_len)
    max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
    scaling_factor = check_scaling_factor(scaling_factor)
    length = torch.maximum(torch.tensor(seq_len), torch.tensor(max_position_embeddings))
    bracket = (scaling_factor * length / max_position_embeddings) - (scaling_factor - 1)
    new_base = base * bracket ** (dim / (dim - 2))
    exponents = torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim
    return 1.0 / (new_base**exponents)


def check_position_ids(position_ids) -> torch.Tensor:
    """A (batch, q_len) integer tensor of positions >= 0 (a 1-d tensor is taken as one row)."""
    if not isinstance(position_ids, torch.Tensor):
        raise TypeError(f"position_ids must be a torch.Tensor of integers, got {type(position_ids).__name__}")
    if position_ids.dtype.is_floating_point or position_ids.dtype == torch.bool or position_ids.is_complex():
        raise TypeError(f"position_ids must have an integer dtype, got {position_ids.dtype}")
    if position_ids.dim() == 1:
        position_ids = position_ids[None]
    if position_ids.dim() != 2 or position_ids.numel() == 0:
        shape = tuple(position_ids.shape)
        raise ValueError(f"position_ids must be a non-empty (batch, q_len) tensor, got shape {shape}")
    if int(position_ids.min()) < 0:
        raise ValueError(f"position_ids must be >= 0, got a minimum of {int(position_ids.min())}")
    return position_ids


class HFDynamicRope:
    """State of HF's dynamic rotary module: `inv_freq`, `max_seq_len_cached`, `base_in_force`.

    `update(seq_len)` applies the rules for a call of length `seq_len`; `forward(position_ids)`
    does what the decorated forward does: length = max over the batch + 1, then cos/sin for every
    position id, shape (batch, q_len, dim), float32.
    """

    def __init__(self, dim, max_position_embeddings=2048, base=10000, scaling_factor=1.0, *, lost_reset=False):
        self.dim = check_dim(dim, minimum=4)
        self.max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
        self.base = check_base(base)
        self.scaling_factor = check_scaling_factor(scaling_factor)
        if not isinstance(lost_reset, bool):
            raise TypeError(f"lost_reset must be a bool, got {type(lost_reset).__name__}")
        self.lost_reset = lost_reset
        self.original_max_seq_len = self.max_position_embeddings
        self.max_seq_len_cached = self.max_position_embeddings
        self.original_inv_freq = inv_freq_for_base(self.base, self.dim)
        self.inv_freq = self.original_inv_freq
        self.base_in_force = self.base
        self.last_rule = None

    def update(self, seq_len: int) -> str:
        """Apply the growth and reset rules for a call of length `seq_len`; say which fired."""
        seq_len = check_seq_len(seq_len)
        cached_before = self.max_seq_len_cached
        what = "kept"
        if seq_len > cached_before:
            self.inv_freq = hf_grown_inv_freq(self.base, self.dim, seq_len, self.max_position_embeddings,
                                              self.scaling_factor)
            self.base_in_force = dynamic_ntk_base(
                self.base, self.dim, max(seq_len, self.max_position_embeddings),
                self.max_position_embeddings, self.scaling_factor,
            )
            if not self.lost_reset:  # the 5.0-5.12 regression wrote this to a stray attribute
                self.max_seq_len_cached = seq_len
            what = "grown"
        if seq_len < self.original_max_seq_len and cached_before > self.original_max_seq_len:
            self.inv_freq = self.original_inv_freq
            self.base_in_force = self.base
            self.max_seq_len_cached = self.original_max_seq_len
            what = "reset"
        self.last_rule = what
        return what

    def forward(self, position_ids) -> tuple[torch.Tensor, torch.Tensor]:
        """(cos, sin), each (batch, q_len, dim) in float32, after the update for this batch."""
        position_ids = check_position_ids(position_ids)
        self.update(int(position_ids.max()) + 1)
        freqs = position_ids[..., None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    def __call__(self, seq_len: int, dtype=torch.float32):
        """(cos, sin) of shape (seq_len, dim) for positions 0 .. seq_len-1, after the update."""
        seq_len = check_seq_len(seq_len)
        cos, sin = self.forward(torch.arange(seq_len)[None])
        return cos[0].to(dtype), sin[0].to(dtype)


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
