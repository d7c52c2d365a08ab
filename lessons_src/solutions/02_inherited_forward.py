# %% [markdown]
# # 02 · The inherited forward: solutions
#
# One way to solve each exercise of `lessons/02_inherited_forward.ipynb`, checked by the same
# checkers the lesson uses. Try the exercises first.

# %%
from rope_course.checks.lesson02 import check_rebuild_pattern, check_slice_and_cast, check_will_rebuild

# %% [markdown]
# **Exercise 1.** Rebuild when nothing usable is cached (`None`, which `__init__` leaves
# behind) or when the request is **strictly** longer than the cache.

# %%
def will_rebuild(max_seq_len_cached, seq_len):
    return max_seq_len_cached is None or seq_len > max_seq_len_cached


result = check_will_rebuild(will_rebuild)
assert result.correct

# %% [markdown]
# **Exercise 2.** Slicing gives a view; `.to(dtype)` returns that same view when the dtype
# already matches and a copy otherwise. No `.clone()`: that would break the sharing the
# checker expects in the no-cast cases.

# %%
def slice_and_cast(table, seq_len, dtype):
    return table[:seq_len].to(dtype=dtype)


result = check_slice_and_cast(slice_and_cast)
assert result.correct

# %% [markdown]
# **Exercise 3.** Start from `None` (the init cache is thrown away), apply the check of
# exercise 1 to each call, and after a rebuild remember **exactly** the requested length.

# %%
def rebuild_pattern(seq_lens):
    cached, pattern = None, []
    for seq_len in seq_lens:
        rebuilt = will_rebuild(cached, seq_len)
        if rebuilt:
            cached = seq_len
        pattern.append(rebuilt)
    return pattern


result = check_rebuild_pattern(rebuild_pattern)
assert result.correct
