# %% [markdown]
# # 08 · Precision and cost of the cos/sin cache (solutions)
#
# Worked solutions to the exercises of lesson 08, checked by the same checkers.

# %%
import torch

from rope_course.checks.lesson08 import check_cache_bytes, check_distinct_bf16_positions, check_half_work_tables

# %% [markdown]
# **1.** Two tables (cos and sin), each `seq_len` rows of `dim` values. Forgetting sin halves the
# answer; using the half width D/2 (the size of `freqs`) halves it again.

# %%
def cache_bytes(seq_len, dim, bytes_per_element):
    return 2 * seq_len * dim * bytes_per_element


result = check_cache_bytes(cache_bytes)
assert result.correct

# %% [markdown]
# **2.** Build the positions the way upstream does in a cast module, `arange` in bf16, and count
# the distinct values. (float16 would be wrong: its 11 significant bits keep every integer up to
# 2048 exact.)

# %%
def distinct_bf16_positions(n):
    return int(torch.arange(n, dtype=torch.bfloat16).unique().numel())


result = check_distinct_bf16_positions(distinct_bf16_positions)
assert result.correct

# %% [markdown]
# **3.** Angles on the half only, cos and sin once each, then each table concatenated **with
# itself** (component j and j + D/2 share an angle in the half-split layout).

# %%
def half_work_tables(inv_freq, seq_len):
    t = torch.arange(seq_len, dtype=inv_freq.dtype)
    freqs = torch.outer(t, inv_freq)
    cos_half, sin_half = freqs.cos(), freqs.sin()
    return torch.cat((cos_half, cos_half), dim=-1), torch.cat((sin_half, sin_half), dim=-1)


result = check_half_work_tables(half_work_tables)
assert result.correct
