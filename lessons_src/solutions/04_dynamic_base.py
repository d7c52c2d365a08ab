# %% [markdown]
# # 04 · The dynamic base (solutions)
#
# Worked solutions to the exercises of lesson 04, checked by the same checkers. The numbers are
# computed here from the formulas (numpy and math), not with the package's helpers.

# %%
import math

import numpy as np

from rope_course.checks.lesson04 import check_beyond_pairs, check_doubling_length, check_s_min

D, b = 64, 10000.0
i = np.arange(D // 2)
theta = b ** (-2 * i / D)

# %% [markdown]
# **1.** At L = 4096, s = 2, l = 32L the bracket is a = 1 + 2 · 31 = 63 and the plain overshoot
# (l-1)/(L-1) = 131071/4095 ≈ 32.01. Pair i goes beyond when 32.01 > 63^(2i/62), that is when
# i < 31 · ln(32.01)/ln(63) ≈ 25.9. Of the never-turned pairs 23-31 that leaves 23, 24 and 25:
# the fastest of the slow pairs go first.

# %%
L, s, l = 4096, 2.0, 32 * 4096
a = 1 + s * (l / L - 1)
never_turned = (L - 1) * theta < 2 * math.pi
fraction = (l - 1) / (L - 1) * a ** (-2 * i / (D - 2))
beyond_pairs = set(i[never_turned & (fraction > 1)].tolist())
print("bracket", a, "| threshold i <", 31 * math.log((l - 1) / (L - 1)) / math.log(a), "|", beyond_pairs)
result = check_beyond_pairs(beyond_pairs)
assert result.correct

# %% [markdown]
# **2.** b' = 2b means a^(D/(D-2)) = 2, so a = 2^((D-2)/D) = 2^(62/64) ≈ 1.9576. Then
# 1 + s(l/L - 1) = a gives l = L (1 + (a - 1)/s) ≈ 4096 · 1.47857 ≈ 6056.2 for s = 2, and the
# first whole length at or past it is the ceiling. Check the two neighbours against the formula.

# %%
L, s = 4096, 2.0
a_double = 2 ** ((D - 2) / D)
l_exact = L * (1 + (a_double - 1) / s)


def new_base(length):
    return b * (s * length / L - (s - 1)) ** (D / (D - 2))


doubling_length = math.ceil(l_exact)
below, at = new_base(doubling_length - 1), new_base(doubling_length)
print(f"a = {a_double:.6f}, l = {l_exact:.3f} -> {doubling_length}; "
      f"b'({doubling_length - 1}) = {below:.1f}, b'({doubling_length}) = {at:.1f}")
assert new_base(doubling_length - 1) < 2 * b <= new_base(doubling_length)
result = check_doubling_length(doubling_length)
assert result.correct

# %% [markdown]
# **3.** Why "smallest" makes sense: a larger s makes the bracket a larger, and every f_i falls as
# a grows, so the s that keep all pairs inside form one interval [s_min, ∞). And f_i falls with i,
# so only the fastest never-turned pair (i0 = 21 at L = 2048) decides:
# f_21 = (l-1)/(L-1) · a^(-42/62) ≤ 1 needs a ≥ ((l-1)/(L-1))^(62/42). With l = 3000:
# (2999/2047)^(1.476) ≈ 1.758, and a = 1 + s(l/L - 1) gives s ≥ 0.758/0.4648 ≈ 1.629.
# (The slowest pair alone would need only s ≥ about 1.0005.)

# %%
L, l = 2048, 3000
never_turned = (L - 1) * theta < 2 * math.pi
fastest_slow = int(i[never_turned][0])
a_needed = ((l - 1) / (L - 1)) ** ((D - 2) / (2 * fastest_slow))
s_min = (a_needed - 1) / (l / L - 1)
print(f"pair {fastest_slow}: a >= {a_needed:.4f}, s >= {s_min:.4f}")
for s in (s_min * 0.999, s_min * 1.001):
    f = (l - 1) / (L - 1) * (1 + s * (l / L - 1)) ** (-2 * i / (D - 2))
    print(f"  s = {s:.4f}: {int((f[never_turned] > 1).sum())} pairs beyond")
result = check_s_min(s_min)
assert result.correct
