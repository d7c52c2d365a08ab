# %% [markdown]
# # 10 · Does it extrapolate? (solutions)
#
# Solutions to the exercises of lesson 10, written from the formulas alone (no package helper
# computes them); each checker must answer "correct". Open this only after trying them.

# %%
import math

import numpy as np

from rope_course.checks.lesson10 import check_cluster_interval, check_s_min_at_3L, check_yarn_range_beta2

L, D, BASE = 128, 32, 100.0

# %% [markdown]
# **Exercise 1.** Pair i turns θ_i = b^(−2i/D) radians per token, so over the training window its
# largest angle is (L−1)θ_i. The pairs with (L−1)θ_i < 2π never complete a turn; i* is the first
# of them. Under dynamic NTK at length l the pair's angle is (l−1)θ_i·a^(−2i/(D−2)) with
# a = 1 + s(l/L − 1). The ratio to the trained angle, ((l−1)/(L−1))·a^(−2i/(D−2)), is largest at the
# smallest watched i, so all watched pairs stay inside exactly when a^(2i*/(D−2)) ≥ (l−1)/(L−1):
# a ≥ ((l−1)/(L−1))^((D−2)/(2i*)), and s_min = (that − 1)/(l/L − 1).

# %%
i_star = next(i for i in range(D // 2) if (L - 1) * BASE ** (-2 * i / D) < 2 * math.pi)
T = 3 * L
a_needed = ((T - 1) / (L - 1)) ** ((D - 2) / (2 * i_star))
s_min_at_3L = (a_needed - 1) / (T / L - 1)
print(f"i* = {i_star}; a must reach {a_needed:.4f} at T = {T}, so s_min = {s_min_at_3L:.4f}")
assert check_s_min_at_3L(s_min_at_3L).correct

# %% [markdown]
# **Exercise 2.** Over L tokens pair i makes L·θ_i/(2π) turns. Setting that to r and solving for i
# gives the correction dim D·ln(L/(2πr))/(2 ln b); YaRN floors it at r = β_fast and ceils it at
# r = β_slow. A smaller β_fast asks fewer turns of a pair before keeping it, so more pairs are kept:
# with 2/1 the ramp starts at pair 8 instead of 5 (pairs 0–8 untouched instead of 0–5).

# %%
def correction_dim(rotations):
    return D * math.log(L / (2 * math.pi * rotations)) / (2 * math.log(BASE))


yarn_range_beta2 = (max(math.floor(correction_dim(2)), 0), min(math.ceil(correction_dim(1)), D - 1))
print(f"dims: {correction_dim(2):.3f} at r = 2, {correction_dim(1):.3f} at r = 1 -> range {yarn_range_beta2}")
assert check_yarn_range_beta2(yarn_range_beta2).correct

# %% [markdown]
# **Exercise 3.** The resample draws whole sequences, but the buggy version divides by the answer
# count of the *original* set. A resample with more long sequences has more answers; its
# denominator must be the resampled sequences' own count, n[idx].sum(axis=1). With equal counts
# both denominators are the same, which is why the bug hides on the standard recall set.

# %%
def cluster_interval(correct, n, n_boot=2000, seed=0):
    correct, n = np.asarray(correct, dtype=float), np.asarray(n, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(correct), size=(n_boot, len(correct)))
    reps = correct[idx].sum(axis=1) / n[idx].sum(axis=1)
    return np.percentile(reps, 2.5), np.percentile(reps, 97.5)


assert check_cluster_interval(cluster_interval).correct
