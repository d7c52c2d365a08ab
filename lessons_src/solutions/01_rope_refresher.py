# %% [markdown]
# # 01 · RoPE refresher: solutions
#
# One way to solve each exercise of `lessons/01_rope_refresher.ipynb`, checked by the same
# checkers the lesson uses. Try the exercises first.

# %%
import torch

from rope_course.checks.lesson01 import check_deinterleave, check_inv_freq, check_rope_adjacent

# %% [markdown]
# **Exercise 1.** The exponents `2i/D` for `i = 0 .. D/2-1` are `arange(0, D, 2) / D`; built
# from a float32 `arange`, the result is float32, as upstream's. Index 0 gives `b^0 = 1`.

# %%
def my_inv_freq(base, dim):
    exponents = torch.arange(0, dim, 2, dtype=torch.float32) / dim
    return 1.0 / (base ** exponents)


result = check_inv_freq(my_inv_freq)
assert result.correct

# %% [markdown]
# **Exercise 2.** View the last axis as `(D/2, 2)` (row i = adjacent pair i), swap the two
# axes so that all first elements come first, flatten back.

# %%
def my_deinterleave(x):
    *lead, dim = x.shape
    return x.reshape(*lead, dim // 2, 2).transpose(-1, -2).reshape(*lead, dim)


result = check_deinterleave(my_deinterleave)
assert result.correct

# %% [markdown]
# **Exercise 3.** Each adjacent pair as a complex number `x[2i] + i x[2i+1]`, multiplied by
# `e^{i p inv_freq[i]}` (a counter-clockwise turn by `p * inv_freq[i]`), and back to reals.

# %%
def my_rope_adjacent(x, position, inv_freq):
    z = torch.view_as_complex(x.reshape(-1, 2).contiguous())
    turn = torch.polar(torch.ones_like(inv_freq), position * inv_freq)
    return torch.view_as_real(z * turn).reshape(-1)


result = check_rope_adjacent(my_rope_adjacent)
assert result.correct
