# %% [markdown]
# # 06 · RoPE inside attention: solutions
#
# Solutions to the exercises of `lessons/06_attention.ipynb`, written from the formulas (not
# with the package's angle helpers), each run through the same checker, which must answer
# "correct".

# %%
import math

import numpy as np

from rope_course.checks.lesson06 import check_farthest_new_angle, check_growth_exponent, check_longest_safe_length

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
# for the first length where the ratio exceeds 1 (coarse steps, then single steps). The s_min
# table of the lesson says where to look: s_min(2L) = 1.546 < 1.75 < s_min(4L) = 1.827.

# %%
D, b, L, s = 64, 10000.0, 4096, 1.75
i_star = next(i for i in range(D // 2) if (L - 1) * b ** (-2 * i / D) < 2 * math.pi)


def first_pair_ratio(l):
    a = 1 + s * (l / L - 1)
    return (l - 1) / (L - 1) * a ** (-2 * i_star / (D - 2))


coarse = next(l for l in range(L + 1, 64 * L, 1000) if first_pair_ratio(l) > 1)
first_out = next(l for l in range(coarse - 1000, coarse + 1) if first_pair_ratio(l) > 1)
answer = first_out - 1
print(f"longest safe seq_len at s = {s}: {answer} ({answer / L:.3f} L); ratio there {first_pair_ratio(answer):.7f}")

result = check_longest_safe_length(answer)
assert result.correct

# %% [markdown]
# **Exercise 3.** cos and sin repeat every 2π, so put pair 24's angles on a circle. θ_24 =
# (10⁴)^(-48/64) = 10⁻³ rad per position, so in training it met the angles 0, 0.001, …, 4.095:
# the arc from 0 to 4.095 rad, filled at steps of 0.001. The rest of the circle, from 4.095 round
# to 2π = 6.283, it never met: 2.188 rad. Every angle on the trained arc is within 0.0005 of a
# trained one; an angle on the unseen arc is nearest to one of its two ends, so the farthest
# point is its middle, (2π - 4.095)/2 ≈ 1.094 rad away from both. No length or method can take
# an angle of pair 24 farther from what it met. (Its ratio, in contrast, has no such limit.)

# %%
theta_24 = 10000.0 ** (-48 / 64)
trained_arc = 4095 * theta_24
answer = (2 * math.pi - trained_arc) / 2
print(f"theta_24 = {theta_24:.6f}, trained arc {trained_arc:.3f} rad, farthest point {answer:.4f} rad away")

# a check by brute force: a grid of the circle (steps of 3e-3 rad) against every trained angle
circle = np.linspace(0, 2 * math.pi, 2001)
gap = np.abs(circle[:, None] - np.arange(4096)[None, :] * theta_24)
farthest = np.minimum(gap, 2 * math.pi - gap).min(axis=1).max()
print(f"brute force: {farthest:.4f} rad")
assert abs(farthest - answer) < 2e-3

result = check_farthest_new_angle(answer)
assert result.correct
