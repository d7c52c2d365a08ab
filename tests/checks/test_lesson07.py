"""Lesson 07's checkers: each against the stub, an independently written correct answer, and at
least two typical wrong answers. The correct answers here are written from the rules, not from
the package's stale-key helpers."""

import numpy as np
import torch

import rope_course as rc
from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson07 import (
    DISTINCT_BASES_SETTING,
    SHARE_SETTING,
    check_distinct_bases,
    check_pre_rope_keys,
    check_rerotation_share,
)


def test_distinct_bases():
    s = DISTINCT_BASES_SETTING
    P, T, L = s["prefill_len"], s["seq_len"], s["max_position_embeddings"]
    # the key at p was written by the call of length max(p + 1, P); every length <= L uses b,
    # every length > L its own base (the base grows strictly with the length)
    lengths = {max(p + 1, P) for p in range(T)}
    derived = 1 + sum(1 for n in lengths if n > L)
    assert derived == 1 + (T - L)
    assert check_distinct_bases(..., quiet=True).status == NOT_ATTEMPTED
    assert check_distinct_bases(derived, quiet=True).status == CORRECT
    assert check_distinct_bases(np.int64(derived), quiet=True).correct
    typical = {
        "one base per decode step, the prefill's own": 1 + (T - P),
        "forgets the keys written with b": T - L,
        "every key its own base": T,
        "counts the steps from L, prefill ignored, off by one": T - L - 1,
    }
    for why, wrong in typical.items():
        result = check_distinct_bases(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why


def test_rerotation_share():
    q, kv, d = SHARE_SETTING["query_heads"], SHARE_SETTING["kv_heads"], SHARE_SETTING["head_dim"]
    per_token_attention = q * d * 2 + q * d * 2       # each query head: d multiply-adds for q.k, d for p*v
    per_token_rotation = kv * d * 3                   # each cached key head once: 2 multiplies + 1 add per element
    derived = per_token_rotation / per_token_attention
    assert derived == 3 / 16
    assert check_rerotation_share(..., quiet=True).status == NOT_ATTEMPTED
    assert check_rerotation_share(derived, quiet=True).status == CORRECT
    assert check_rerotation_share(0.1875, quiet=True).correct
    assert check_rerotation_share(torch.tensor(0.1875, dtype=torch.float64), quiet=True).correct
    typical = {
        "rotates every query head's copy of the key (no sharing)": q * d * 3 / per_token_attention,
        "counts only the scores, not the values": per_token_rotation / (q * d * 2),
        "a percentage": 100 * derived,
        "multiply-adds as one FLOP": per_token_rotation / (per_token_attention / 2),
    }
    for why, wrong in typical.items():
        result = check_rerotation_share(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why


def decode_loop(raw_keys, prefill_len, rotary, keep_rotated_in_cache):
    """The excerpt as the lesson shows it; keep_rotated_in_cache=True is its planted bug (the
    rotated keys go back into the cache), False the one-line fix."""
    cache = raw_keys[:, :, :prefill_len]
    keys = None
    for t in range(prefill_len, raw_keys.shape[-2] + 1):
        if t > prefill_len:
            cache = torch.cat((cache, raw_keys[:, :, t - 1:t]), dim=-2)
        cos, sin = rotary(raw_keys, seq_len=t)
        _, keys = rc.apply_rotary_pos_emb(cache, cache, cos, sin, torch.arange(t).unsqueeze(0))
        if keep_rotated_in_cache:
            cache = keys
    return keys


def the_planted_bug(raw_keys, prefill_len, rotary):
    return decode_loop(raw_keys, prefill_len, rotary, keep_rotated_in_cache=True)


def fixed(raw_keys, prefill_len, rotary):
    return decode_loop(raw_keys, prefill_len, rotary, keep_rotated_in_cache=False)


def rotated_once_by_a_complex_product(raw_keys, prefill_len, rotary):
    """Independent of apply_rotary_pos_emb: DeepSeek's adjacent pairs as complex numbers, turned by
    p * inv_freq with the final base, then laid out as apply_rotary_pos_emb lays them out."""
    total, dim = raw_keys.shape[-2], raw_keys.shape[-1]
    rotary(raw_keys, seq_len=total)
    angles = torch.arange(total, dtype=torch.float64)[:, None] * rotary.inv_freq.double()[None, :]
    pairs = torch.complex(raw_keys[..., 0::2].double(), raw_keys[..., 1::2].double()) * torch.polar(
        torch.ones_like(angles), angles)
    return torch.cat((pairs.real, pairs.imag), dim=-1).float().reshape(*raw_keys.shape[:-1], dim)


def post_rope_instead(raw_keys, prefill_len, rotary):
    """"Fixes" it into upstream's post-RoPE cache: each key rotated once, with its own step's table."""
    total = raw_keys.shape[-2]
    cos, sin = rotary(raw_keys, seq_len=prefill_len)
    _, keys = rc.apply_rotary_pos_emb(raw_keys[:, :, :prefill_len], raw_keys[:, :, :prefill_len], cos, sin,
                                      torch.arange(prefill_len).unsqueeze(0))
    for t in range(prefill_len + 1, total + 1):
        cos, sin = rotary(raw_keys, seq_len=t)
        new = raw_keys[:, :, t - 1:t]
        _, new_rot = rc.apply_rotary_pos_emb(new, new, cos, sin, torch.tensor([[t - 1]]))
        keys = torch.cat((keys, new_rot), dim=-2)
    return keys


def reversed_positions(raw_keys, prefill_len, rotary):
    """Removes the bug but pairs the keys with the positions in reverse order."""
    total = raw_keys.shape[-2]
    cos, sin = rotary(raw_keys, seq_len=total)
    _, keys = rc.apply_rotary_pos_emb(raw_keys, raw_keys, cos, sin, torch.arange(total).flip(0).unsqueeze(0))
    return keys


def test_pre_rope_keys():
    def stub(raw_keys, prefill_len, rotary):
        raise NotImplementedError

    assert check_pre_rope_keys(stub, quiet=True).status == NOT_ATTEMPTED
    assert check_pre_rope_keys(fixed, quiet=True).status == CORRECT
    assert check_pre_rope_keys(rotated_once_by_a_complex_product, quiet=True).status == CORRECT
    for why, wrong in {"the planted bug": the_planted_bug, "post-RoPE caching": post_rope_instead,
                       "positions reversed": reversed_positions}.items():
        result = check_pre_rope_keys(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why
    # post-RoPE caching is caught only where the base moves: the dynamic cases, not the standard one
    message = check_pre_rope_keys(post_rope_instead, quiet=True).message
    assert "dynamic RoPE" in message
