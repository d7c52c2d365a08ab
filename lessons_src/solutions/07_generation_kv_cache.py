# %% [markdown]
# # 07 · Generation with a KV cache: solutions
#
# Reference solutions to the exercises of `lessons/07_generation_kv_cache.ipynb`, each run
# through the same checker, which must answer "correct".

# %%
import torch

import rope_course as rc
from rope_course.checks.lesson07 import check_cached_key_base, check_rerotate_keys, check_stale_angle

# %% [markdown]
# **Exercise 1.** A prefill key is written by the prefill call (kv_seq_len = prefill_len); a key
# written later at `position` by the call with kv_seq_len = position + 1. A fresh module rebuilds
# at each of these growing lengths, from the untouched base.

# %%
def cached_key_base(position, prefill_len, dim, base, max_position_embeddings, scaling_factor):
    length = max(position + 1, prefill_len)
    return rc.dynamic_ntk_base(base, dim, length, max_position_embeddings, scaling_factor)


result = check_cached_key_base(cached_key_base)
assert result.correct

# %% [markdown]
# **Exercise 2.** Pick table rows 0 … t-1 (absolute positions, not the last t rows) and rotate as
# the attention does; `apply_rotary_pos_emb` rotates its second argument with the same positions.

# %%
def rerotate_keys(raw_keys, cos, sin):
    bsz, _, t, _ = raw_keys.shape
    positions = torch.arange(t).unsqueeze(0).expand(bsz, -1)
    _, keys = rc.apply_rotary_pos_emb(raw_keys, raw_keys, cos, sin, positions)
    return keys


result = check_rerotate_keys(rerotate_keys)
assert result.correct

# %% [markdown]
# **Exercise 3.** The lowest pair is i = D/2 - 1, so θ = b^(-(D-2)/D); the angle is position·θ.

# %%
def stale_angle(position, prefill_len, seq_len, dim, base, max_position_embeddings, scaling_factor):
    cached = cached_key_base(position, prefill_len, dim, base, max_position_embeddings, scaling_factor)
    final = rc.dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
    exponent = -(dim - 2) / dim
    return (position * cached**exponent, position * final**exponent)


result = check_stale_angle(stale_angle)
assert result.correct
