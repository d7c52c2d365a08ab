"""Exercise checkers for lesson 07 (generation with a KV cache under dynamic NTK).

Every expected value is computed here from the package; the lesson never prints one.

1. `check_distinct_bases`: how many distinct bases a post-RoPE cache holds after the decode of
   DISTINCT_BASES_SETTING (a prefill shorter than L, then one token per step past L).
2. `check_rerotation_share`: the FLOPs of re-rotating every cached key, as a fraction of the
   decode attention's FLOPs, for the grouped-query shapes of SHARE_SETTING, counted the lesson's
   way.
3. `check_pre_rope_keys`: a find-the-bug exercise; the fixed `pre_rope_keys(raw_keys,
   prefill_len, rotary)` must return the keys a pre-RoPE cache gives the attention at the last
   step, that is every raw key rotated for its position with the final table.
"""

from __future__ import annotations

import torch

from ..attention import post_rope_key_bases
from ..functional import apply_rotary_pos_emb
from ..rotary import DynamicNTKScalingRotaryEmbedding, RotaryEmbedding
from ._core import Case, check_answer, check_exercise

__all__ = [
    "DISTINCT_BASES_SETTING",
    "SHARE_SETTING",
    "check_distinct_bases",
    "check_rerotation_share",
    "check_pre_rope_keys",
]

DISTINCT_BASES_SETTING = {"prefill_len": 3000, "seq_len": 6000, "dim": 64, "base": 10000.0,
                          "max_position_embeddings": 4096, "scaling_factor": 2.0}
# A grouped-query attention with every head dim rotary (Llama-3-8B's shapes): 32 query heads share
# 8 key/value heads of 128 dims; each key/value head is cached once.
SHARE_SETTING = {"query_heads": 32, "kv_heads": 8, "head_dim": 128}


def _distinct_bases() -> int:
    s = DISTINCT_BASES_SETTING
    bases = post_rope_key_bases(s["seq_len"], s["prefill_len"], s["dim"], s["base"],
                                s["max_position_embeddings"], s["scaling_factor"])
    return len(set(bases.tolist()))


def check_distinct_bases(answer, quiet: bool = False):
    """Exercise 1: the number of distinct bases among the cached keys (an int, exact)."""
    return check_answer(
        "distinct_bases", answer, _distinct_bases(), quiet=quiet,
        hint="which call wrote each key, and which of those calls had kv_seq_len > L? Every call up to L "
             "uses the original base, the prefill included")


def _rerotation_share() -> float:
    # The lesson's count, per cached token, per decode step, per layer: a multiply-add is 2 FLOPs;
    # rotating one element costs 3 (two multiplies and one add, cos and sin from the table).
    s = SHARE_SETTING
    attention = 2 * s["query_heads"] * s["head_dim"] + 2 * s["query_heads"] * s["head_dim"]   # scores + values
    rotation = 3 * s["kv_heads"] * s["head_dim"]                                               # each cached key once
    return rotation / attention


def check_rerotation_share(answer, quiet: bool = False):
    """Exercise 2: re-rotation FLOPs / attention FLOPs for SHARE_SETTING, as a fraction (rtol 1e-3)."""
    return check_answer(
        "rerotation_share", answer, _rerotation_share(), rtol=1e-3, quiet=quiet,
        hint="count per cached token, as the lesson's cell does: every query head reads the key (scores) "
             "and the value; only the key/value heads are cached and rotated. A fraction, not a percentage")


def _fresh_rotary(kind: str, dim: int, max_position_embeddings: int, scaling_factor: float):
    if kind == "dynamic":
        return DynamicNTKScalingRotaryEmbedding(dim, max_position_embeddings, 10000.0, scaling_factor=scaling_factor)
    return RotaryEmbedding(dim, max_position_embeddings, 10000.0)


def _runner(fn):
    """Each case builds a fresh rotary module: it has state, and the two runs must not share it."""

    def run(raw_keys, prefill_len, kind, dim, max_position_embeddings, scaling_factor):
        return fn(raw_keys.clone(), prefill_len, _fresh_rotary(kind, dim, max_position_embeddings, scaling_factor))

    return run


def _reference_pre_rope_keys(raw_keys, prefill_len, rotary):
    """Every raw key rotated for its position 0 .. T-1 with the table of the final length T."""
    total = raw_keys.shape[-2]
    cos, sin = rotary(raw_keys, seq_len=total)
    positions = torch.arange(total).unsqueeze(0).expand(raw_keys.shape[0], -1)
    return apply_rotary_pos_emb(raw_keys, raw_keys, cos, sin, positions)[1]


def _pre_rope_cases():
    g = torch.Generator().manual_seed(7)
    cases = []
    for total, prefill_len, kind, dim, L, s in [(24, 16, "dynamic", 64, 16, 2.0), (20, 4, "dynamic", 16, 8, 1.0),
                                                (12, 5, "standard", 8, 16, 1.0), (30, 30, "dynamic", 8, 16, 3.0)]:
        raw = torch.randn(1, 2, total, dim, generator=g)
        label = f"({total} tokens, prefill {prefill_len}, {kind} RoPE, D={dim}, L={L}, s={s:g})"
        cases.append(Case((raw, prefill_len, kind, dim, L, s), label=label))
    return cases


def check_pre_rope_keys(solution, quiet: bool = False):
    """Exercise 3: `solution(raw_keys, prefill_len, rotary)` with the planted bug fixed."""
    return check_exercise(
        "pre_rope_keys", _runner(solution), _runner(_reference_pre_rope_keys), _pre_rope_cases(),
        rtol=1e-5, atol=1e-5, quiet=quiet,
        hint="follow what the cache holds after the first step: raw keys, or something else? Run it "
             "with standard RoPE too, where every correct cache gives the same keys")
