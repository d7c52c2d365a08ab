"""vLLM's `DynamicNTKScalingRotaryEmbedding`, before and after its 2026 fix: one base per engine.

Source: `vllm/model_executor/layers/rotary_embedding/dynamic_ntk_scaling_rope.py`
(SOURCES.md#vllm-dynamic-ntk-file). vLLM builds one cos/sin cache when the engine starts and
looks rows up by position; nothing is recomputed per request.

* **Before PR #41277** (SOURCES.md#vllm-41277): `max_len = L * s` with L = the original
  `max_position_embeddings`, then the dynamic bracket evaluated at l = max_len:
  a = s * max_len / L - (s - 1) = s^2 - s + 1, so b' = b (s^2 - s + 1)^(D/(D-2)). A constant
  (SOURCES.md#vllm-3488, SOURCES.md#vllm-5093, SOURCES.md#vllm-41236), applied to every request,
  even one shorter than L. The cache has ceil(L * s) rows.
* **After PR #41277**: the engine passes its served length M (`max_position_embeddings`, for
  the Nomic models the extended `max_model_len`) and the trained length L_t
  (`max_trained_positions`): a = s * M / L_t - (s - 1), evaluated once. Still one base for the
  whole engine, now set by the configured serving length instead of by s alone; M = L_t * s gives
  back the old constant. Served below L_t the bracket drops under 1 (the base *shrinks*) and at
  M <= L_t (s - 1) / s it is <= 0 (SOURCES.md#vllm-52675, open when checked).

vLLM stores `cat(cos, sin)` of the half table; `cos_sin` here returns DeepSeek's layout
(`cat(freqs, freqs)`, shape (..., D)) so the engines can be compared entry by entry.
"""

from __future__ import annotations

import math

import torch

from .._validate import check_base, check_dim, check_int, check_max_position_embeddings, check_scaling_factor
from ..functional import inv_freq_for_base
from .hf_rule import check_position_ids

__all__ = ["vllm_base_before_fix", "vllm_bracket_after_fix", "vllm_base_after_fix", "VLLMDynamicNTK"]


def vllm_base_before_fix(base, dim, max_position_embeddings, scaling_factor) -> float:
    """b (s^2 - s + 1)^(D/(D-2)), in vLLM's op order (max_len = L * s first)."""
    base, dim = check_base(base), check_dim(dim, minimum=4)
    length = check_max_position_embeddings(max_position_embeddings)
    s = check_scaling_factor(scaling_factor)
    max_len = length * s
    return base * ((s * max_len / length) - (s - 1)) ** (dim / (dim - 2))


def vllm_bracket_after_fix(max_position_embeddings, max_trained_positions, scaling_factor) -> float:
    """a = s * M / L_t - (s - 1): the bracket vLLM evaluates once, at the served length M."""
    served = check_max_position_embeddings(max_position_embeddings)
    trained = check_int("max_trained_positions", max_trained_positions, 1)
    s = check_scaling_factor(scaling_factor)
    return (s * served / trained) - (s - 1)


def vllm_base_after_fix(base, dim, max_position_embeddings, max_trained_positions, scaling_factor) -> float:
    """b a^(D/(D-2)) with a = s M / L_t - (s - 1); `ValueError` where a <= 0 (upstream's base
    is 0 at a = 0, infinite frequencies, and complex below: a negative number to a fractional
    power)."""
    base, dim = check_base(base), check_dim(dim, minimum=4)
    bracket = vllm_bracket_after_fix(max_position_embeddings, max_trained_positions, scaling_factor)
    if bracket <= 0:
        raise ValueError(
            f"vLLM's fixed formula gives a bracket of {bracket:g} <= 0 for max_position_embeddings="
            f"{max_position_embeddings} below max_trained_positions={max_trained_positions} (scaling_factor="
            f"{scaling_factor}): upstream's base is 0 (a = 0) or complex (a < 0) here (vllm PR #52675)"
        )
    return base * bracket ** (dim / (dim - 2))


class VLLMDynamicNTK:
    """One vLLM engine's rotary cache: a base fixed at start-up, rows looked up by position.

    `max_trained_positions=None` is the code before PR #41277 (L = `max_position_embeddings` is
    the original length, the cache has ceil(L * s) rows); an int is the code after it (the
    cache has `max_position_embeddings` rows).
    """

    def __init__(self, dim, max_position_embeddings, base=10000, scaling_factor=1.0, *, max_trained_positions=None):
        self.dim = check_dim(dim, minimum=4)
        self.max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
        self.original_base = check_base(base)
        self.scaling_factor = check_scaling_factor(scaling_factor)
        self.max_trained_positions = max_trained_positions
        self.fixed = max_trained_positions is not None
        if self.fixed:
            self.base = vllm_base_after_fix(base, dim, max_position_embeddings, max_trained_positions, scaling_factor)
            self.cache_len = self.max_position_embeddings
        else:
            self.base = vllm_base_before_fix(base, dim, max_position_embeddings, scaling_factor)
            self.cache_len = math.ceil(self.max_position_embeddings * self.scaling_factor)  # arange(L * s)
        self.inv_freq = inv_freq_for_base(self.base, self.dim)

    def base_for(self, seq_len) -> float:
        """The base a request of any length gets: the engine's one base (the length is ignored)."""
        check_max_position_embeddings(seq_len)
        return self.base

    def cos_sin(self, position_ids) -> tuple[torch.Tensor, torch.Tensor]:
        """cos/sin rows for `position_ids`, shape (batch, q_len, D), in DeepSeek's layout."""
        position_ids = check_position_ids(position_ids)
        if int(position_ids.max()) >= self.cache_len:
            raise IndexError(f"position {int(position_ids.max())} is past vLLM's cache of {self.cache_len} rows")
        freqs = position_ids[..., None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()
