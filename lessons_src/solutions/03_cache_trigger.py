# %% [markdown]
# # 03 · When does the cache rebuild? (solutions)
#
# Worked solutions to the exercises of lesson 03, checked by the same checkers. Each one is
# written from the rule itself (cache empty, or `seq_len` strictly longer than the cached
# length; a rebuild caches exactly `seq_len` rows), not from the package's helpers.

# %%
from rope_course.checks.lesson03 import check_count_rebuilds, check_decode_rows, check_trace_prediction

# %% [markdown]
# **1.** Walk the seven calls, keeping the cached length:
#
# | call | seq_len | cached before | rebuilds? | base in force after it |
# |---|---|---|---|---|
# | 1 | 4000 | None | yes (empty cache) | the original (4000 ≤ L) |
# | 2 | 4001 | 4000 | yes | the original |
# | 3 | 6000 | 4001 | yes | b'(6000) |
# | 4 | 6001 | 6000 | yes | b'(6001) |
# | 5 | 5000 | 6001 | no | b'(6001) |
# | 6 | 5001 | 6001 | no | b'(6001) |
# | 7 | 6002 | 6001 | yes | b'(6002) |
#
# Five rebuilds, and the sixth call runs on b'(6001), not on its own b'(5001): a call that does
# not rebuild keeps the base of the last rebuild.

# %%
def walk(calls, L=4096):
    cached, setter, log = None, None, []
    for seq_len in calls:
        rebuilt = cached is None or seq_len > cached
        if rebuilt:
            cached = seq_len
            if seq_len > L:
                setter = seq_len
        log.append((rebuilt, setter))
    return log


log = walk([4000, 4001, 6000, 6001, 5000, 5001, 6002])
trace_prediction = (sum(rebuilt for rebuilt, _ in log), log[5][1])
print(trace_prediction)
result = check_trace_prediction(trace_prediction)
assert result.correct

# %% [markdown]
# **2.** Every call is one token longer than the cache, so all n + 1 calls rebuild (the first
# because the cache is empty), and the call at step k (k = 0 for the prompt) builds P + k rows:
#
# $$ \sum_{k=0}^{n} (P + k) = (n+1)P + \frac{n(n+1)}{2}. $$
#
# For P = n = 4096 that is 4097 · 4096 · 3/2 = 25,171,968 rows, about 3072 times the 8192 rows
# the last step needs. The work is quadratic in n.

# %%
P, n = 4096, 4096
decode_rows = (n + 1) * P + n * (n + 1) // 2
print(decode_rows, "rows;", decode_rows / (P + n), "x the final table")
assert decode_rows == sum(range(P, P + n + 1))
result = check_decode_rows(decode_rows)
assert result.correct

# %% [markdown]
# **3.** The bug is the first line: `cached = max_position_embeddings` assumes the table built
# in `__init__` is usable. It is not: `__init__` sets `max_seq_len_cached = None`, so the first
# call always rebuilds, even at exactly L. The buggy counter says 0 for `[10]` and for
# `[2048]`; the module rebuilds once for each. The fix starts from "no cache":

# %%
def buggy_count_rebuilds(calls, max_position_embeddings=2048):
    cached = max_position_embeddings  # __init__ built this many rows
    rebuilds = 0
    for seq_len in calls:
        if seq_len > cached:
            cached = seq_len
            rebuilds += 1
    return rebuilds


def my_count_rebuilds(calls):
    cached = None  # what __init__ leaves in max_seq_len_cached
    rebuilds = 0
    for seq_len in calls:
        if cached is None or seq_len > cached:
            cached = seq_len
            rebuilds += 1
    return rebuilds


print("[10]:", buggy_count_rebuilds([10]), "vs", my_count_rebuilds([10]),
      "| [2048]:", buggy_count_rebuilds([2048]), "vs", my_count_rebuilds([2048]))
result = check_count_rebuilds(my_count_rebuilds)
assert result.correct
