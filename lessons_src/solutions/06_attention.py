# %% [markdown]
# # 06 · RoPE inside attention: solutions
#
# Solutions to the exercises of `lessons/06_attention.ipynb`, written from the formulas (not
# with the package's angle helpers), each run through the same checker, which must answer
# "correct".

# %%
import math

from rope_course.checks.lesson06 import check_growth_exponent, check_longest_safe_length, check_slowest_pair_factor

# %% [markdown]
# **Exercise 1.** The first never-turned pair i* has the largest ratio among them,
# r(l) = (l - 1)/(L - 1) · a(l)^(-2i*/(D-2)). For long l, a(l) = 1 + s(l/L - 1) ≈ s·l/L, so
# r(l) ≈ (l/L) · (s·l/L)^(-2i*/(D-2)) ∝ l^(1 - 2i*/(D-2)): k = 1 - 2i*/(D-2), whatever s is.
# For D = 128, b = 10⁴, L = 4096 the first pair with (L - 1)θ_i < 2π is i* = 46 (for D = 64 it
# was 23), so k = 1 - 92/126 = 17/63.

# %%
D, b, L = 128, 10000.0, 4096
i_star = next(i for i in range(D // 2) if (L - 1) * b ** (-2 * i / D) < 2 * math.pi)
k = 1 - 2 * i_star / (D - 2)
print(f"i* = {i_star}, k = {k:.6f}")

# a numerical look: the slope of log r against log l between 64L and 1024L at s = 2
def worst_ratio(l, s=2.0):
    a = 1 + s * (l / L - 1)
    return (l - 1) / (L - 1) * a ** (-2 * i_star / (D - 2))


slope = math.log(worst_ratio(1024 * L) / worst_ratio(64 * L)) / math.log(16)
print(f"measured slope: {slope:.4f}")
assert abs(slope - k) < 1e-2

answer = k
result = check_growth_exponent(answer)
assert result.correct

# %% [markdown]
# **Exercise 2.** All never-turned pairs are inside exactly when the first one is. Its ratio is
# 1 at l = L, dips, then grows for good, so the safe lengths past L end at one crossing: scan
# for the first length where the ratio exceeds 1 (coarse steps, then single steps).

# %%
D, b, L, s = 64, 10000.0, 4096, 2.0
i_star = next(i for i in range(D // 2) if (L - 1) * b ** (-2 * i / D) < 2 * math.pi)


def first_pair_ratio(l):
    a = 1 + s * (l / L - 1)
    return (l - 1) / (L - 1) * a ** (-2 * i_star / (D - 2))


coarse = next(l for l in range(L + 1, 64 * L, 1000) if first_pair_ratio(l) > 1)
first_out = next(l for l in range(coarse - 1000, coarse + 1) if first_pair_ratio(l) > 1)
answer = first_out - 1
print(f"longest safe seq_len at s = 2: {answer} ({answer / L:.3f} L); ratio there {first_pair_ratio(answer):.7f}")

result = check_longest_safe_length(answer)
assert result.correct

# %% [markdown]
# **Exercise 3.** The slowest pair's frequency is divided by exactly a(l), so its ratio is
# (l - 1)/((L - 1) a(l)). Write l - 1 = (L - 1) + (l - L) and a(l) = 1 + s(l - L)/L:
#
# (l - 1) ≤ (L - 1) a(l)  ⇔  (l - L) ≤ (L - 1) s (l - L)/L  ⇔  s ≥ L/(L - 1).
#
# The l's cancel (and D never entered): one factor, L/(L - 1), works at every length, and any
# smaller one fails at every length. For L = 4096 it is 1.000244.

# %%
def slowest_pair_factor(max_position_embeddings):
    return max_position_embeddings / (max_position_embeddings - 1)


result = check_slowest_pair_factor(slowest_pair_factor)
assert result.correct
