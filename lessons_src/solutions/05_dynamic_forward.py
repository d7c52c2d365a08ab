# %% [markdown]
# # 05 · The dynamic forward, end to end (solutions)
#
# Worked solutions to the exercises of lesson 05, checked by the same checkers. The rules are
# typed out here from upstream's code and HF's decorator, not taken from the package's helpers.

# %%
from rope_course.checks.lesson05 import check_base_after, check_hf_trace, check_misconceptions, check_restoring_fix

# %% [markdown]
# **1.** A call rebuilds iff the cache is empty or the call is strictly longer than the cached
# length, and a rebuild sets the cached length to the call's length. So the cached length after
# each call is the running maximum of the calls. The call that first reaches M = max(calls)
# therefore rebuilds, and no later call does. If M > L, that rebuild sets the base from M, and
# earlier rebuilds (all shorter) are overwritten; if M ≤ L, no rebuild ever touched the base. The
# one number is M:

# %%
def base_after(calls, dim, L, s):
    longest = max(calls)
    return 10000 if longest <= L else 10000 * (s * longest / L - (s - 1)) ** (dim / (dim - 2))


result = check_base_after(base_after)
assert result.correct

# %% [markdown]
# **2.** HF's module starts with `max_seq_len_cached = L = 2048`. Call by call:
#
# | call | rule | cached after | served by |
# |---|---|---|---|
# | 3000 | growth (3000 > 2048) | 3000 | b'(3000) |
# | 2500 | neither: not growth (2500 < 3000), not a reset (2500 ≥ L) | 3000 | b'(3000) |
# | 1000 | reset (1000 < L and 3000 > L) | 2048 | the original, L |
# | 2500 | growth again (2500 > 2048 after the reset) | 2500 | b'(2500) |
# | 4000 | growth | 4000 | b'(4000) |
# | 2048 | neither: a reset needs strictly less than L | 4000 | b'(4000) |
#
# DeepSeek's class would have answered 3000, 3000, 3000, 3000, 4000, 4000.

# %%
def hf_served_lengths(calls, L):
    cached, served = L, []
    for seq_len in calls:
        before = cached
        if seq_len > cached:
            cached = seq_len
        if seq_len < L and before > L:
            cached = L
        served.append(cached)
    return tuple(served)


hf_trace = hf_served_lengths([3000, 2500, 1000, 2500, 4000, 2048], 2048)
print(hf_trace)
result = check_hf_trace(hf_trace)
assert result.correct

# %% [markdown]
# **3.** Statements 5 and 6 are true, the others false:
#
# 1. False: the dynamic class overwrites `inv_freq` at the first call past L.
# 2. False: the rule is a base change; "NTK" names the Fourier-features / neural tangent kernel
#    argument for keeping high frequencies, and nothing linearizes attention.
# 3. False: Kimi-K2's config selects YaRN.
# 4. False: with s = 1 the bracket is l/L, and the base grows past L.
# 5. True: the wavelength of pair i is stretched by a^(2i/(D-2)), 1 for the highest frequency.
# 6. True: the new `inv_freq` replaces the buffer, and nothing restores it.
# 7. False: each decode step past L rebuilds with a new base; cached keys keep older ones.
# 8. False: each decode step rebuilds the whole table.

# %%
true_statements = {5, 6}
result = check_misconceptions(true_statements)
assert result.correct

# %% [markdown]
# **4.** The fix sits in the builder, and forward calls the builder only when the cache is empty or
# shorter than the call. Walk the four calls (a call returns the first `seq_len` rows of the cached
# table, and those rows are a fresh module's exactly when the table's base is the base a fresh
# module would pick for that length: b'(l) past L, the original b up to L):
#
# | call | cached before | builder runs? | table's base | fresh module's base | same? |
# |---|---|---|---|---|---|
# | 3000 | None | yes (empty cache), 3000 > L: new base | b'(3000) | b'(3000) | yes |
# | 1000 | 3000 | no (1000 ≤ 3000): the restore never runs | b'(3000) | b | no |
# | 2048 | 3000 | no | b'(3000) | b | no |
# | 3000 | 3000 | no (not strictly longer) | b'(3000) | b'(3000) | yes |
#
# The restoring branch only ever runs for a call of at most L that finds the cache empty or
# shorter, that is on a module that has not yet served a call past L, where the frequencies are
# the original ones anyway: the fix never changes anything. It would have to act where forward
# decides, before the cache check: on a call below L after a longer one, put the original
# frequencies back *and* drop the long table, so that the call rebuilds. That is what Hugging
# Face's rule does in the update it runs before every forward (section 5), with no table at all.

# %%
def served_like_fresh(calls, L):
    cached, table_base_len, same = None, None, []
    for seq_len in calls:
        if cached is None or seq_len > cached:  # forward's check: only now does the builder run
            cached = seq_len
            table_base_len = seq_len if seq_len > L else None  # None: the original base
        fresh_base_len = seq_len if seq_len > L else None
        same.append(table_base_len == fresh_base_len)
    return tuple(same)


restoring_fix = served_like_fresh([3000, 1000, 2048, 3000], 2048)
print(restoring_fix)
result = check_restoring_fix(restoring_fix)
assert result.correct
