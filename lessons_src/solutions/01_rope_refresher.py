# %% [markdown]
# # 01 · RoPE refresher: solutions
#
# One way to solve each exercise of [01 · RoPE refresher](../01_rope_refresher.ipynb), checked by the same
# checkers the lesson uses. Try the exercises first.

# %%
import math

import torch

import rope_course as rc
from rope_course.checks.lesson01 import check_half_fixed_port, check_interleave, check_never_turned, check_table_angle

# %% [markdown]
# **Exercise 1.** The table is `cat(freqs, freqs)`, so column 40 of a `D = 64` table repeats
# column `40 - 32 = 8`: `emb[1000, 40] = 1000 * inv_freq[8]`, and
# `inv_freq[8] = 10000^(-2*8/64) = 10000^(-1/4) = 0.1`. So the angle is 100 radians (about 15.9
# turns; the table stores `cos(100)` and `sin(100)`).

# %%
answer = 1000 * 10000 ** (-2 * (40 % 32) / 64)
print(answer)
result = check_table_angle(answer)
assert result.correct

# %% [markdown]
# The table agrees (a check, not the derivation):

# %%
cos, sin = rc.RotaryEmbedding(64)(torch.zeros(1), seq_len=1001)
print(cos[1000, 40].item(), math.cos(100.0), sin[1000, 40].item(), math.sin(100.0))
assert abs(cos[1000, 40].item() - math.cos(100.0)) < 1e-5 and abs(sin[1000, 40].item() - math.sin(100.0)) < 1e-5

# %% [markdown]
# **Exercise 2.** Pair `i` sweeps `(L - 1) b^(-2i/D)` radians over positions `0 .. L-1`. It never
# completes a turn when that is below `2*pi`:
#
# $$(L-1)\, b^{-2i/D} < 2\pi \iff i > \frac{D}{2} \cdot \frac{\ln\big((L-1)/(2\pi)\big)}{\ln b}.$$
#
# With `D = 64`, `L = 4096`, `b = 50000`: `32 * ln(4095 / 6.2832) / ln(50000) = 32 * 6.4797 /
# 10.8198 = 19.16`, so pairs 20 to 31 never turn: 12 pairs (for `b = 10000` the bound is 22.5 and
# the count 9, the lesson's pairs 23 to 31).

# %%
bound = 32 * math.log(4095 / (2 * math.pi)) / math.log(50000)
answer = 32 - (math.floor(bound) + 1)
print(f"bound {bound:.3f} -> {answer} pairs")
result = check_never_turned(answer)
assert result.correct

# %% [markdown]
# **Exercise 3.** Write the rotation by the angles of position `p` as the matrix `R_p` (a 2-D
# rotation of every half-split pair `(j, j + D/2)`) and the de-interleave as the permutation `P`.
# The port computes `q' = R_m P q` and `k' = R_n k`, so
#
# $$q' \cdot k' = (P q)^\top R_m^\top R_n\, k = (P q)^\top R_{n-m}\, k,$$
#
# because rotations by angles `m theta` and `n theta` compose to the rotation by `(n - m) theta`.
# That depends on `m - n` only: **(a) True**. But DeepSeek's score is `(P q)^T R_{n-m} (P k)`,
# with `k` permuted too; the port pairs the components of `q` with the wrong components of `k`:
# **(b) False**. The relative-position property survives any fixed linear map applied to `q` and
# `k` before the rotation, so it cannot tell you that a layout is right.

# %%
answer = (True, False)
result = check_half_fixed_port(answer)
assert result.correct

# %% [markdown]
# Both halves, by numbers: the port's score at the same distance from four places, and
# DeepSeek's at the same places.

# %%
torch.manual_seed(5)
q = torch.randn(1, 1, 1, 64, dtype=torch.float64)
k = torch.randn(1, 1, 1, 64, dtype=torch.float64)
cos64, sin64 = rc.cos_sin_tables(rc.inv_freq_for_base(10000, 64).double(), 4096, torch.float64)


def rotated(x, position, permute):
    c, s = cos64[position], sin64[position]
    x = rc.deinterleave(x) if permute else x
    return x * c + rc.rotate_half(x) * s


places = [(5, 0), (105, 100), (2005, 2000), (4000, 3995)]
port = [(rotated(q, m, True) * rotated(k, n, False)).sum().item() for m, n in places]
deepseek = [(rotated(q, m, True) * rotated(k, n, True)).sum().item() for m, n in places]
print("port:    ", [round(v, 6) for v in port])
print("DeepSeek:", [round(v, 6) for v in deepseek])
assert max(port) - min(port) < 1e-9 and max(deepseek) - min(deepseek) < 1e-9
assert abs(port[0] - deepseek[0]) > 1e-3

# %% [markdown]
# **Exercise 4.** `deinterleave` views the last axis as `(D/2, 2)`, row `i` being the adjacent pair
# `(x_{2i}, x_{2i+1})`, and swaps the two axes. To undo it, view the last axis as `(2, D/2)` (first
# all the even components, then all the odd ones), swap back and flatten.

# %%
def my_interleave(x):
    *lead, dim = x.shape
    return x.reshape(*lead, 2, dim // 2).transpose(-1, -2).reshape(*lead, dim)


result = check_interleave(my_interleave)
assert result.correct
x = torch.randn(3, 4, 64)
assert torch.equal(my_interleave(rc.deinterleave(x)), x)
