"""RoPE inside attention: the relative-score formula, angle ranges, and a tiny causal attention
with a KV cache wired to the rotary modules exactly as DeepSeek-V3's attention calls them.

Two parts, both used by lessons 06 and 07:

* Pure math (float64, no state): `rope_score` (q_m . k_n after the rotation, as a function of
  the distance m - n only), `ones_score` (the score of an all-ones query and key, which is also
  the mean score of a random query against an identical key), and `angle_ranges` (for each
  frequency pair, the largest angle a length-l window reaches against the largest one seen in a
  length-L training window, with and without dynamic NTK).
* State: `KVCache` and `TinyCausalAttention`. The attention follows upstream's order
  (modeling_deepseek.py, `DeepseekV3Attention.forward`): kv_seq_len = past + new,
  `cos, sin = rotary(value_states, seq_len=kv_seq_len)`, `apply_rotary_pos_emb(q, k, cos, sin,
  position_ids)` with absolute positions, then the cache update. `cache_keys="post"` stores the
  rotated keys (upstream); `cache_keys="pre"` stores them unrotated and re-rotates every cached
  key with the current table at each step (the fix the YaRN paper gives in section 3.3).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ._validate import check_base, check_dim, check_max_position_embeddings, check_scaling_factor, check_seq_len
from .functional import apply_rotary_pos_emb, dynamic_ntk_base
from .rotary import DynamicNTKScalingRotaryEmbedding, RotaryEmbedding

__all__ = [
    "inv_freq64",
    "rope_score",
    "ones_score",
    "angle_ranges",
    "current_base",
    "causal_attention",
    "KVCache",
    "TinyCausalAttention",
    "make_attention",
    "decode",
    "prefill",
    "prefix_reference",
]


# --------------------------------------------------------------------------------------------
# Pure math
# --------------------------------------------------------------------------------------------

def inv_freq64(base: float, dim: int) -> np.ndarray:
    """inv_freq[i] = base^(-2i/dim) in float64 (the package's float32 buffer, unrounded)."""
    base = check_base(base)
    dim = check_dim(dim)
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def rope_score(q: torch.Tensor, k: torch.Tensor, distance, inv_freq) -> torch.Tensor:
    """q_m . k_n after the rotation, from the distance m - n alone (closed form, float64).

    q, k: (..., D) in the model's own layout, where DeepSeek pairs adjacent components
    (2i, 2i+1) (the de-interleave in `apply_rotary_pos_emb` makes those the rotated pairs).
    With theta_i = distance * inv_freq[i] the rotation R(m t)^T R(n t) = R(-(m-n) t) gives

        score = sum_i (q_i . k_i) cos(theta_i) + (q_i x k_i) sin(theta_i),

    where q_i . k_i = q[2i] k[2i] + q[2i+1] k[2i+1] and q_i x k_i = q[2i] k[2i+1] - q[2i+1] k[2i].
    Returns (..., len(distance)).
    """
    q = torch.as_tensor(q, dtype=torch.float64)
    k = torch.as_tensor(k, dtype=torch.float64)
    inv_freq = torch.as_tensor(inv_freq, dtype=torch.float64)
    distance = torch.as_tensor(distance, dtype=torch.float64).reshape(-1)
    q0, q1 = q[..., 0::2], q[..., 1::2]
    k0, k1 = k[..., 0::2], k[..., 1::2]
    dot = q0 * k0 + q1 * k1
    cross = q0 * k1 - q1 * k0
    angles = distance[:, None] * inv_freq[None, :]
    return dot @ angles.cos().T + cross @ angles.sin().T


def ones_score(inv_freq, distance) -> np.ndarray:
    """The score of q = k = all ones, divided by D: the mean over pairs of cos(distance * theta_i).

    It is 1 at distance 0. It is also the expected score of a random Gaussian query against
    an identical key, divided by D (each pair contributes |q_i|^2 cos, and E|q_i|^2 = 2).
    """
    inv_freq = np.asarray(inv_freq, dtype=np.float64)
    distance = np.asarray(distance, dtype=np.float64).reshape(-1)
    return np.cos(np.multiply.outer(distance, inv_freq)).mean(axis=1)


def angle_ranges(dim: int, base: float, seq_len: int, max_position_embeddings: int,
                 scaling_factor: float) -> dict:
    """Per frequency pair: the largest angle a window of `seq_len` reaches, against training.

    Positions run 0 .. l-1, so pair i reaches (l-1) theta_i at most; the training window
    (l = L) reached (L-1) theta_i. A pair whose trained range already covered a full turn
    ((L-1) theta_i >= 2 pi) has seen every angle mod 2 pi; only the others can be pushed out of
    their trained range. Returned (numpy float64 arrays over pairs unless noted):

    trained_max, plain_max, dynamic_max: (L-1) theta_i, (l-1) theta_i, (l-1) theta'_i
    plain_ratio, dynamic_ratio: the last two divided by trained_max
    cycled: bool array, (L-1) theta_i >= 2 pi
    new_base: b' (float), n_uncycled, n_beyond_plain, n_beyond_dynamic (ints: uncycled pairs
    whose ratio exceeds 1), worst_dynamic_ratio (largest dynamic ratio among uncycled pairs)
    """
    dim = check_dim(dim, minimum=4)
    base = check_base(base)
    seq_len = check_seq_len(seq_len)
    L = check_max_position_embeddings(max_position_embeddings)
    s = check_scaling_factor(scaling_factor)
    theta = inv_freq64(base, dim)
    new_base = dynamic_ntk_base(base, dim, seq_len, L, s)
    theta_new = inv_freq64(new_base, dim)
    trained_max = (L - 1) * theta
    plain_max = (seq_len - 1) * theta
    dynamic_max = (seq_len - 1) * theta_new
    with np.errstate(divide="ignore", invalid="ignore"):
        plain_ratio = np.where(trained_max > 0, plain_max / np.where(trained_max > 0, trained_max, 1), np.inf)
        dynamic_ratio = np.where(trained_max > 0, dynamic_max / np.where(trained_max > 0, trained_max, 1), np.inf)
    cycled = trained_max >= 2 * math.pi
    uncycled = ~cycled
    return {
        "theta": theta,
        "theta_new": theta_new,
        "trained_max": trained_max,
        "plain_max": plain_max,
        "dynamic_max": dynamic_max,
        "plain_ratio": plain_ratio,
        "dynamic_ratio": dynamic_ratio,
        "cycled": cycled,
        "new_base": new_base,
        "n_uncycled": int(uncycled.sum()),
        "n_beyond_plain": int((uncycled & (plain_ratio > 1)).sum()),
        "n_beyond_dynamic": int((uncycled & (dynamic_ratio > 1)).sum()),
        "worst_dynamic_ratio": float(dynamic_ratio[uncycled].max()) if uncycled.any() else 0.0,
    }


def current_base(rotary: RotaryEmbedding) -> float:
    """The base behind the module's current inv_freq.

    The dynamic class rebuilds only at strictly growing lengths, each time from the untouched
    `base`, so its inv_freq always belongs to its `max_seq_len_cached`.
    """
    if isinstance(rotary, DynamicNTKScalingRotaryEmbedding) and rotary.max_seq_len_cached is not None:
        return dynamic_ntk_base(rotary.base, rotary.dim, rotary.max_seq_len_cached,
                                rotary.max_position_embeddings, rotary.scaling_factor)
    return float(rotary.base)


# --------------------------------------------------------------------------------------------
# A tiny causal attention with a KV cache
# --------------------------------------------------------------------------------------------

def causal_attention(q, k, v, past_len: int, softmax_scale: float) -> torch.Tensor:
    """softmax(q k^T * scale + causal mask) v for q at absolute positions past_len .. past_len+q_len-1.

    q: (b, h, q_len, D); k, v: (b, h, kv_len, D) holding positions 0 .. kv_len-1. A query at
    position p sees keys 0 .. p.
    """
    q_len, kv_len = q.shape[-2], k.shape[-2]
    scores = torch.matmul(q, k.transpose(-1, -2)) * softmax_scale
    query_pos = torch.arange(past_len, past_len + q_len, device=q.device).unsqueeze(-1)
    key_pos = torch.arange(kv_len, device=q.device).unsqueeze(0)
    scores = scores.masked_fill(key_pos > query_pos, float("-inf"))
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
    return torch.matmul(probs, v)


class KVCache:
    """One layer's cache: keys and values of shape (b, h, t, D), appended along t."""

    def __init__(self):
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None

    def get_usable_length(self) -> int:
        return 0 if self.keys is None else self.keys.shape[-2]

    def __len__(self) -> int:
        return self.get_usable_length()

    def update(self, keys, values):
        if self.keys is None:
            self.keys, self.values = keys, values
        else:
            self.keys = torch.cat((self.keys, keys), dim=-2)
            self.values = torch.cat((self.values, values), dim=-2)
        return self.keys, self.values


class TinyCausalAttention(nn.Module):
    """A seeded, projection-only attention whose q/k are pure RoPE dims (D = rotary.dim).

    `cache_keys="post"` caches the rotated keys (as upstream, SOURCES.md#upstream-attention);
    `cache_keys="pre"` caches raw keys and re-rotates all of them with the current table.
    Every forward appends to `log` a dict: kv_seq_len, q_len, rebuilt (did the rotary module
    rebuild its table in this call), base (the base in force after the call).
    """

    def __init__(self, rotary: RotaryEmbedding, hidden_size: int = 32, num_heads: int = 2,
                 cache_keys: str = "post", seed: int = 0):
        if cache_keys not in ("post", "pre"):
            raise ValueError(f"cache_keys must be 'post' or 'pre', got {cache_keys!r}")
        super().__init__()
        self.rotary_emb = rotary
        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.head_dim = rotary.dim
        self.cache_keys = cache_keys
        self.softmax_scale = self.head_dim ** -0.5
        g = torch.Generator().manual_seed(seed)
        shape = (num_heads * self.head_dim, hidden_size)
        scale = hidden_size ** -0.5
        self.q_proj = nn.Parameter(torch.randn(shape, generator=g) * scale, requires_grad=False)
        self.k_proj = nn.Parameter(torch.randn(shape, generator=g) * scale, requires_grad=False)
        self.v_proj = nn.Parameter(torch.randn(shape, generator=g) * scale, requires_grad=False)
        self.log: list[dict] = []

    def _heads(self, x, weight):
        bsz, q_len, _ = x.shape
        # The seeded weights are float32 on the CPU; they follow the input's device and dtype.
        projected = x @ weight.to(device=x.device, dtype=x.dtype).T
        return projected.view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states: torch.Tensor, past_key_value: KVCache | None = None) -> torch.Tensor:
        bsz, q_len, _ = hidden_states.shape
        query_states = self._heads(hidden_states, self.q_proj)
        key_states = self._heads(hidden_states, self.k_proj)
        value_states = self._heads(hidden_states, self.v_proj)

        past_len = past_key_value.get_usable_length() if past_key_value is not None else 0
        kv_seq_len = past_len + q_len
        table_before = self.rotary_emb.cos_cached
        cos, sin = self.rotary_emb(value_states, seq_len=kv_seq_len)
        rebuilt = self.rotary_emb.cos_cached is not table_before
        position_ids = torch.arange(past_len, kv_seq_len, device=hidden_states.device).unsqueeze(0).expand(bsz, -1)
        query_states, rotated_keys = apply_rotary_pos_emb(query_states, key_states, cos, sin, position_ids)

        if self.cache_keys == "post":
            keys = rotated_keys
            if past_key_value is not None:
                keys, values = past_key_value.update(rotated_keys, value_states)
            else:
                values = value_states
        else:
            raw_keys, values = key_states, value_states
            if past_key_value is not None:
                raw_keys, values = past_key_value.update(key_states, value_states)
            all_positions = torch.arange(kv_seq_len, device=hidden_states.device).unsqueeze(0).expand(bsz, -1)
            # Re-rotate every cached key with the table in force now.
            _, keys = apply_rotary_pos_emb(raw_keys, raw_keys, cos, sin, all_positions)

        out = causal_attention(query_states, keys, values, past_len, self.softmax_scale)
        self.log.append({"kv_seq_len": kv_seq_len, "q_len": q_len, "rebuilt": rebuilt,
                         "base": current_base(self.rotary_emb)})
        return out.transpose(1, 2).reshape(bsz, q_len, self.num_heads * self.head_dim)

    def extra_repr(self) -> str:
        return f"hidden_size={self.hidden_size}, num_heads={self.num_heads}, cache_keys={self.cache_keys!r}"


def make_attention(kind: str = "dynamic", cache_keys: str = "post", dim: int = 64,
                   max_position_embeddings: int = 16, scaling_factor: float = 2.0, base: float = 10000,
                   hidden_size: int = 32, num_heads: int = 2, seed: int = 0) -> TinyCausalAttention:
    """A fresh rotary module (`kind` "dynamic" or "standard") inside a fresh, seeded attention.

    Same seed, same weights: two attentions made with different `cache_keys` differ only in
    how they cache. A fresh rotary module matters, because the dynamic one remembers history.
    """
    if kind == "dynamic":
        rotary = DynamicNTKScalingRotaryEmbedding(dim, max_position_embeddings, base, scaling_factor=scaling_factor)
    elif kind == "standard":
        rotary = RotaryEmbedding(dim, max_position_embeddings, base)
    else:
        raise ValueError(f"kind must be 'dynamic' or 'standard', got {kind!r}")
    return TinyCausalAttention(rotary, hidden_size, num_heads, cache_keys, seed)


def decode(attn: TinyCausalAttention, hidden_states: torch.Tensor, prefill_len: int) -> torch.Tensor:
    """One prefill of `prefill_len` tokens, then one token per step; outputs for every token."""
    prefill_len = check_seq_len(prefill_len)
    cache = KVCache()
    outs = [attn(hidden_states[:, :prefill_len], cache)]
    for t in range(prefill_len, hidden_states.shape[1]):
        outs.append(attn(hidden_states[:, t:t + 1], cache))
    return torch.cat(outs, dim=1)


def prefill(attn: TinyCausalAttention, hidden_states: torch.Tensor) -> torch.Tensor:
    """All tokens in one call (no past)."""
    return attn(hidden_states, KVCache())


def prefix_reference(make, hidden_states: torch.Tensor) -> torch.Tensor:
    """Row t = the last output of a one-shot prefill of tokens 0..t on a fresh attention `make()`.

    This is what dynamic NTK means by "the model at the current length": every token's output
    computed with the base of its own length and all keys rotated consistently.
    """
    rows = [prefill(make(), hidden_states[:, : t + 1])[:, -1:] for t in range(hidden_states.shape[1])]
    return torch.cat(rows, dim=1)
