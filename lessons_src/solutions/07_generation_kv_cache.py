# %% [markdown]
# # 07 · Generation with a KV cache: solutions
#
# Solutions to the exercises of `lessons/07_generation_kv_cache.ipynb`, written from the rules
# (not with the package's stale-key helpers), each run through the same checker, which must
# answer "correct".

# %%
import torch

import rope_course as rc
from rope_course.checks.lesson07 import check_distinct_bases, check_pre_rope_keys, check_rerotation_share

# %% [markdown]
# **Exercise 1.** The prefill call (kv_seq_len = 3000 ≤ L) rotates keys 0 … 2999 with the original
# base b. The key at position p ≥ 3000 is written by the call with kv_seq_len = p + 1; up to
# p + 1 = 4096 = L that call still uses b (the dynamic branch needs l > L), so keys 0 … 4095 all
# carry b. Keys 4096 … 5999 are written at lengths 4097 … 6000, each with its own base (b' grows
# strictly with l): 1904 more. Total: 1 + 1904 = 1905. A count from the rule, with the formula
# written out:

# %%
P, T, L, s, D, b = 3000, 6000, 4096, 2.0, 64, 10000.0


def base_at(length):
    return b if length <= L else b * (s * length / L - (s - 1)) ** (D / (D - 2))


written_at = [max(p + 1, P) for p in range(T)]   # kv_seq_len of the call that cached key p
answer = len({base_at(n) for n in written_at})
print(answer)
assert answer == 1 + (T - L)

result = check_distinct_bases(answer)
assert result.correct

# %% [markdown]
# **Exercise 2.** Per cached token and decode step, each of the 32 query heads computes a score
# (128 multiply-adds) and adds the value into its output (128 more): 2 · 32 · 256 = 16384 FLOPs.
# Only the 8 key/value heads are cached, so re-rotating one cached token's key means 8 · 128
# elements at 3 FLOPs each: 3072 FLOPs. The share is 3072 / 16384 = 3/16 = 18.75 %: far more than
# DeepSeek-V3's 0.07 %, because here the whole key is rotary and only 4 query heads share each
# key, and still a constant factor of the attention at every length.

# %%
query_heads, kv_heads, head_dim = 32, 8, 128
attention_flops = 2 * query_heads * head_dim + 2 * query_heads * head_dim
rotation_flops = 3 * kv_heads * head_dim
answer = rotation_flops / attention_flops
print(answer)

result = check_rerotation_share(answer)
assert result.correct

# %% [markdown]
# **Exercise 3.** The bug is `cache = keys`: it writes the *rotated* keys back into the cache, so
# at the next step they are rotated again (and `apply_rotary_pos_emb` also de-interleaves its
# input, so the layout is scrambled too). A pre-RoPE cache must keep holding raw keys; the
# rotated ones are only handed to the attention. Delete the line:

# %%
def pre_rope_keys(raw_keys, prefill_len, rotary):
    cache = raw_keys[:, :, :prefill_len]
    keys = None
    for t in range(prefill_len, raw_keys.shape[-2] + 1):
        if t > prefill_len:
            cache = torch.cat((cache, raw_keys[:, :, t - 1:t]), dim=-2)
        cos, sin = rotary(raw_keys, seq_len=t)
        positions = torch.arange(t).unsqueeze(0)
        _, keys = rc.apply_rotary_pos_emb(cache, cache, cos, sin, positions)
    return keys


result = check_pre_rope_keys(pre_rope_keys)
assert result.correct
