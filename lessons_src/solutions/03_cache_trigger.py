# %% [markdown]
# # 03 · When does the cache rebuild? (solutions)
#
# Worked solutions to the exercises of lesson 03, checked by the same checkers.

# %%
from rope_course.checks.lesson03 import check_count_rebuilds, check_rows_built

# %% [markdown]
# **1.** A fresh module has no usable cache (`max_seq_len_cached is None`), so the first call
# always rebuilds, whatever its length, even exactly L. After that a call rebuilds only if it asks
# for strictly more rows than the cache holds, and the cache then holds exactly that many.

# %%
def my_count_rebuilds(calls):
    cached = None
    count = 0
    for seq_len in calls:
        if cached is None or seq_len > cached:
            cached = seq_len
            count += 1
    return count


result = check_count_rebuilds(my_count_rebuilds)
assert result.correct

# %% [markdown]
# **2.** Same walk; add the length of every rebuild.

# %%
def my_rows_built(calls):
    cached = None
    rows = 0
    for seq_len in calls:
        if cached is None or seq_len > cached:
            cached = seq_len
            rows += seq_len
    return rows


result = check_rows_built(my_rows_built)
assert result.correct
print("prefill 5 + 10 steps:", my_count_rebuilds(range(5, 16)), "rebuilds,", my_rows_built(range(5, 16)), "rows")
assert (my_count_rebuilds(range(5, 16)), my_rows_built(range(5, 16))) == (11, 110)
