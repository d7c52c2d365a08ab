"""RoPE inside attention: the relative-score formula, angle ranges, and a tiny causal attention
with a KV cache wired to the rotary modules exactly as DeepSeek-V3's attention calls them.

Three parts, used by lessons 06, 07 and 10:

* Scores and angle ranges (float64, no state): `rope_score` (q_m . k_n after the rotation, as a
  function of the distance m - n only), `ones_score` (the score of an all-ones query and key,
  which is also the mean score of a random query against an identical key), `angle_ranges` (for
  each frequency pair, the largest angle a length-l window reaches against the largest one seen
  in a length-L training window, with and without dynamic NTK), `s_min` (the smallest dynamic
  NTK factor that keeps every never-turned pair inside its trained range at length l),
  `distance_to_trained_angles` (how far, in radians, the angles at positions 0 .. l-1 are from
  the nearest angle the pair met in training) and `resonance_inv_freq` (Resonance RoPE's integer
  wavelengths, SOURCES.md#paper-resonance-rope).
* Stale keys (float64, no state): `post_rope_key_bases` (the base each cached key was rotated
  with when keys are cached after RoPE and decoding goes one token per step) and
  `stale_angle_errors` (the rotation between each cached key and the key a fresh prefill would
  hold).
* State: `KVCache` and `TinyCausalAttention`. The attention follows upstream's order
  (modeling_deepseek.py, `DeepseekV3Attention.forward`, SOURCES.md#upstream-attention):
  kv_seq_len = past + new, `cos, sin = rotary(value_states, seq_len=kv_seq_len)`,
  `apply_rotary_pos_emb(q, k, cos, sin, position_ids)` with absolute positions, then the cache
  update. `cache_keys="post"` stores the rotated keys (upstream); `cache_keys="pre"` stores them
  unrotated and re-rotates every cached key with the current table at each step (the fix the
  YaRN paper gives in section 3.3, SOURCES.md#paper-yarn-3-3). `decode`, `prefill` and
  `prefix_reference` take one attention or a list of them (a stack of layers, one cache each).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ._validate import (
    check_base,
    check_dim,
    check_int,
    check_max_position_embeddings,
    check_scaling_factor,
    check_seq_len,
)
from .functional import apply_rotary_pos_emb, dynamic_ntk_base
from .rotary import DynamicNTKScalingRotaryEmbedding, RotaryEmbedding

__all__ = [
    "inv_freq64",
    "rope_score",
    "ones_score",
    "angle_ranges",
    "first_never_turned_pair",
    "s_min",
    "distance_to_trained_angles",
    "resonance_inv_freq",
    "post_rope_key_bases",
    "stale_angle_errors",
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
    (l = L) reached (L-1) theta_i. A pair whose trained arc already covered a full turn
    ((L-1) theta_i >= 2 pi) cannot leave it: its L trained angles lie around the whole circle,
    at most theta_i apart, so every new angle falls between two of them
    (`distance_to_trained_angles`). Only the others, the never-turned pairs, can be pushed out
    of their trained range. Returned (numpy float64 arrays over pairs unless noted):

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


def first_never_turned_pair(dim: int, base: float, max_position_embeddings: int) -> int | None:
    """i*: the first pair that made less than one full turn in training, (L-1) theta_i < 2 pi.

    The angles (L-1) theta_i fall with i, so the never-turned pairs are i*, ..., D/2 - 1. None
    when every pair turned at least once.
    """
    trained_max = (check_max_position_embeddings(max_position_embeddings) - 1) * inv_freq64(base, dim)
    never = np.flatnonzero(trained_max < 2 * math.pi)
    return int(never[0]) if never.size else None


def s_min(seq_len: int, max_position_embeddings: int, dim: int, base: float) -> float:
    """The smallest dynamic NTK factor s that keeps every never-turned pair inside its trained
    angle range at length l > L (lesson 06).

    Pair i reaches (l-1)/(L-1) * a^(-2i/(D-2)) of its trained range, a = 1 + s(l/L - 1); the
    largest of these among the never-turned pairs is at the first one, i*, so all stay inside
    exactly when a >= ((l-1)/(L-1))^((D-2)/(2 i*)), that is

        s_min(l) = (((l-1)/(L-1))^((D-2)/(2 i*)) - 1) / (l/L - 1).

    Raises ValueError for seq_len <= L (no rescaling happens there, any s will do) and returns
    1.0 when no pair is never-turned. The argument order is the toy model's (lesson 10).
    """
    seq_len = check_seq_len(seq_len)
    L = check_max_position_embeddings(max_position_embeddings)
    dim = check_dim(dim, minimum=4)
    if seq_len <= L:
        raise ValueError(f"seq_len must be > max_position_embeddings = {L} for s_min, got {seq_len}")
    i_star = first_never_turned_pair(dim, base, L)
    if i_star is None:
        return 1.0
    return (((seq_len - 1) / (L - 1)) ** ((dim - 2) / (2 * i_star)) - 1) / (seq_len / L - 1)


def distance_to_trained_angles(trained_inv_freq, inv_freq, max_position_embeddings: int,
                               seq_len: int) -> np.ndarray:
    """Per pair: the largest distance (radians, on the circle) from an angle p * inv_freq[i],
    p = 0 .. seq_len-1, to the nearest angle the pair met in training, p * trained_inv_freq[i]
    for p = 0 .. L-1 (all taken modulo 2 pi).

    A pair that turned at least once in training met angles at most theta_i apart all around
    the circle, so its distance is at most theta_i / 2 whatever the new angles are. A pair that
    never turned met only the arc [0, (L-1) theta_i]; angles beyond it are up to half the
    unseen arc away. float64 numpy, exact (sorted trained angles, then a binary search).
    """
    L = check_max_position_embeddings(max_position_embeddings)
    seq_len = check_seq_len(seq_len)
    trained_inv_freq = np.asarray(trained_inv_freq, dtype=np.float64)
    inv_freq = np.asarray(inv_freq, dtype=np.float64)
    if trained_inv_freq.shape != inv_freq.shape or inv_freq.ndim != 1:
        raise ValueError(f"trained_inv_freq and inv_freq must be 1-D of one length, got shapes "
                         f"{trained_inv_freq.shape} and {inv_freq.shape}")
    turn = 2 * math.pi
    out = np.empty(inv_freq.shape[0])
    for i, (theta_trained, theta) in enumerate(zip(trained_inv_freq, inv_freq)):
        trained = np.sort(np.mod(np.arange(L) * theta_trained, turn))
        angles = np.mod(np.arange(seq_len) * theta, turn)
        above = np.searchsorted(trained, angles) % L          # the next trained angle, cyclically
        below = (above - 1) % L
        to_below = np.mod(angles - trained[below], turn)
        to_above = np.mod(trained[above] - angles, turn)
        out[i] = np.minimum(to_below, to_above).max()
    return out


def resonance_inv_freq(base: float, dim: int) -> np.ndarray:
    """Resonance RoPE's frequencies (SOURCES.md#paper-resonance-rope): every wavelength
    2 pi / theta_i rounded to the nearest integer, theta~_i = 2 pi / round(2 pi / theta_i).

    With an integer wavelength lam, the angle at position p is the angle at p mod lam, so a pair
    with lam <= L repeats, at every later position, an angle it met in training exactly.
    """
    wavelengths = np.round(2 * math.pi / inv_freq64(base, dim))
    return 2 * math.pi / wavelengths


def _decode_setting(seq_len, prefill_len, dim, base, max_position_embeddings, scaling_factor):
    seq_len = check_seq_len(seq_len)
    prefill_len = check_int("prefill_len", prefill_len, 1)
    if prefill_len > seq_len:
        raise ValueError(f"prefill_len must be <= seq_len = {seq_len}, got {prefill_len}")
    return (seq_len, prefill_len, check_dim(dim, minimum=4), check_base(base),
            check_max_position_embeddings(max_position_embeddings), check_scaling_factor(scaling_factor))


def _key_positions(positions, seq_len: int) -> np.ndarray:
    if positions is None:
        return np.arange(seq_len)
    positions = np.asarray(positions)
    if positions.ndim != 1 or not np.issubdtype(positions.dtype, np.integer):
        raise TypeError(f"positions must be a 1-D array of ints, got {positions.dtype} of shape {positions.shape}")
    if positions.size and (positions.min() < 0 or positions.max() >= seq_len):
        raise ValueError(f"positions must lie in 0 .. seq_len-1 = {seq_len - 1}")
    return positions.astype(np.int64)


def post_rope_key_bases(seq_len: int, prefill_len: int, dim: int, base: float, max_position_embeddings: int,
                        scaling_factor: float, positions=None) -> np.ndarray:
    """The base each cached key was rotated with, keys cached after RoPE (upstream).

    A fresh dynamic module serves a prefill of `prefill_len` tokens, then one token per step
    up to `seq_len` tokens. The prefill's keys are rotated with the base of kv_seq_len =
    prefill_len; the key at position p >= prefill_len with the base of kv_seq_len = p + 1 (its
    own call). The module rebuilds at every call from the untouched base, so those are
    `dynamic_ntk_base(base, dim, max(p + 1, prefill_len), L, s)`. Returns float64 bases for
    `positions` (default: every key 0 .. seq_len-1).
    """
    seq_len, prefill_len, dim, base, L, s = _decode_setting(
        seq_len, prefill_len, dim, base, max_position_embeddings, scaling_factor)
    lengths = np.maximum(_key_positions(positions, seq_len) + 1, prefill_len)
    # Python floats in upstream's order (dynamic_ntk_base), once per distinct length.
    distinct = {int(n): dynamic_ntk_base(base, dim, int(n), L, s) for n in np.unique(lengths)}
    return np.array([distinct[int(n)] for n in lengths], dtype=np.float64)


def stale_angle_errors(seq_len: int, prefill_len: int, dim: int, base: float, max_position_embeddings: int,
                       scaling_factor: float, positions=None, pairs=None) -> np.ndarray:
    """(positions x pairs): the rotation between each key cached after RoPE and the key a fresh
    prefill of all `seq_len` tokens would hold (every key rotated with b'(seq_len)).

    The cached key at position p carries p * theta_i(b_cached); the consistent one p *
    theta_i(b_now). The difference is taken modulo 2 pi and wrapped into [0, pi] (the size of
    the rotation between the two). `pairs` default: all D/2 pairs.
    """
    seq_len, prefill_len, dim, base, L, s = _decode_setting(
        seq_len, prefill_len, dim, base, max_position_embeddings, scaling_factor)
    positions = _key_positions(positions, seq_len)
    pairs = np.arange(dim // 2) if pairs is None else np.asarray(pairs, dtype=np.int64)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= dim // 2):
        raise ValueError(f"pairs must lie in 0 .. dim/2-1 = {dim // 2 - 1}")
    exponents = -2.0 * pairs / dim
    cached = post_rope_key_bases(seq_len, prefill_len, dim, base, L, s, positions)
    now = dynamic_ntk_base(base, dim, seq_len, L, s)
    diff = np.mod(positions[:, None] * (cached[:, None] ** exponents[None, :] - now ** exponents[None, :]),
                  2 * math.pi)
    return np.minimum(diff, 2 * math.pi - diff)


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


def _layers(attn) -> list[TinyCausalAttention]:
    layers = list(attn) if isinstance(attn, (list, tuple)) else [attn]
    if not layers or not all(isinstance(layer, TinyCausalAttention) for layer in layers):
        raise TypeError("attn must be a TinyCausalAttention or a non-empty list of them, "
                        f"got {type(attn).__name__}")
    return layers


def _run_layers(layers, hidden_states: torch.Tensor, caches) -> torch.Tensor:
    for layer, cache in zip(layers, caches):
        hidden_states = layer(hidden_states, cache)
    return hidden_states


def decode(attn, hidden_states: torch.Tensor, prefill_len: int) -> torch.Tensor:
    """One prefill of `prefill_len` tokens, then one token per step; outputs for every token.

    `attn` is one attention or a list of them, a stack: each layer has its own cache and reads
    the previous layer's output (no residual or norm), so a layer's cached keys and values
    come from the hidden states its input layer produced at the step that wrote them.
    """
    prefill_len = check_seq_len(prefill_len)
    layers = _layers(attn)
    caches = [KVCache() for _ in layers]
    outs = [_run_layers(layers, hidden_states[:, :prefill_len], caches)]
    for t in range(prefill_len, hidden_states.shape[1]):
        outs.append(_run_layers(layers, hidden_states[:, t:t + 1], caches))
    return torch.cat(outs, dim=1)


def prefill(attn, hidden_states: torch.Tensor) -> torch.Tensor:
    """All tokens in one call (no past); `attn` is one attention or a list of them (as in `decode`)."""
    layers = _layers(attn)
    return _run_layers(layers, hidden_states, [KVCache() for _ in layers])


def prefix_reference(make, hidden_states: torch.Tensor) -> torch.Tensor:
    """Row t = the last output of a one-shot prefill of tokens 0..t on a fresh attention `make()`
    (one attention or a list of them, as in `decode`).

    This is what dynamic NTK means by "the model at the current length": every token's output
    computed with the base of its own length and all keys rotated consistently, in every layer.
    """
    rows = [prefill(make(), hidden_states[:, : t + 1])[:, -1:] for t in range(hidden_states.shape[1])]
    return torch.cat(rows, dim=1)
