# %% [markdown]
# # 04 · The dynamic base
#
# Lesson 03 showed *when* the dynamic class rebuilds. This lesson is about *what* it builds: the
# new base b' it computes for a rebuild past the trained length, and what that base does to each
# frequency pair.
#
# **Learning goals.** After this lesson you can
#
# 1. write the formula b' = b · a(l)^(D/(D-2)) with the bracket a(l) = 1 + s(l/L - 1), and say
#    when it applies (only for a rebuild with l > L, strictly);
# 2. compute worked values by hand and check them (25198.42, 10002.5, 20452.2, a = 13);
# 3. show that the base is continuous at l = L and that s = 1 still rescales past L;
# 4. derive the exponent D/(D-2) from one boundary condition (lowest pair scaled like linear
#    interpolation by a, highest pair unchanged) and check it numerically;
# 5. read the per-pair ratio a^(-2i/(D-2)) and correct the seed series' statements about it.
#
# Notation (as in the whole course): D = `dim`, b = `base`, L = `max_position_embeddings`,
# s = `scaling_factor`, l = `seq_len`. Sources: facts §2.2 and §6.1 (YaRN paper, arXiv
# 2309.00071, Eq. 16 and App. A.1; the Dynamic NTK post by /u/emozilla, facts §6.2).

# %%
import inspect
import math

import torch

import rope_course as rc
from rope_course.explorers import format_number
from rope_course.explorers.dynamic_base import DynamicBaseExplorer, pair_ratios

torch.manual_seed(0)
x = torch.zeros(1)

# %% [markdown]
# ## 1. The formula
#
# When the dynamic class rebuilds its cache for a length l > L, it replaces the base by
#
# $$ b' = b \cdot a(l)^{D/(D-2)}, \qquad a(l) = \frac{s\,l}{L} - (s-1) = 1 + s\left(\frac{l}{L}-1\right), $$
#
# recomputes `inv_freq[i] = b'^(-2i/D)` from it, and stores that over the old buffer. For l ≤ L
# nothing about the base changes. The bracket is the one /u/emozilla proposed for "Dynamic NTK"
# (facts §6.2). The package's function, computed in upstream's order:

# %%
print(inspect.getsource(rc.dynamic_ntk_base))

# %% [markdown]
# ## 2. Worked numbers
#
# **D = 8, s = 1, l = 2L.** The bracket is a = 1 + (2 - 1) = 2 and the exponent 8/6, so
# b' = 10000 · 2^(4/3).

# %%
b1 = rc.dynamic_ntk_base(10000, 8, 4096, 2048, 1.0)
print(f"b' = {b1:.2f}   by hand: {10000 * 2 ** (8 / 6):.2f}")
assert round(b1, 2) == 25198.42
assert math.isclose(b1, 10000 * 2 ** (8 / 6), rel_tol=1e-15)

# %% [markdown]
# **D = 64, L = 4096, s = 1.** One token past L the base barely moves; at 2L it has doubled and a
# bit more (2^(64/62) ≈ 2.045):

# %%
b_4097 = rc.dynamic_ntk_base(10000, 64, 4097, 4096, 1.0)
b_8192 = rc.dynamic_ntk_base(10000, 64, 8192, 4096, 1.0)
print(f"b'(4097) = {b_4097:.2f}   b'(8192) = {b_8192:.1f}   2^(64/62) = {2 ** (64 / 62):.4f}")
assert round(b_4097, 1) == 10002.5
assert round(b_8192, 1) == 20452.2 and round(2 ** (64 / 62), 3) == 2.045

# %% [markdown]
# **s > 1 overshoots the length ratio.** With s = 4 at l = 4L the bracket is 1 + 4·3 = 13, not 4:

# %%
a13 = rc.ntk_bracket(16384, 4096, 4.0)
print("a =", a13, "| b' =", round(rc.dynamic_ntk_base(10000, 64, 16384, 4096, 4.0), 1))
assert a13 == 13.0

# %% [markdown]
# The module agrees: after a rebuild at l, its `inv_freq` is exactly `inv_freq_for_base(b'(l))`,
# bit for bit.

# %%
rope = rc.DynamicNTKScalingRotaryEmbedding(dim=64, max_position_embeddings=4096, scaling_factor=1.0)
rope(x, seq_len=8192)
assert torch.equal(rope.inv_freq, rc.inv_freq_for_base(b_8192, 64))
print("inv_freq[:3] =", [f"{v:.6g}" for v in rope.inv_freq[:3].tolist()], "| inv_freq[-1] =", f"{rope.inv_freq[-1].item():.6g}")

# %% [markdown]
# ## 3. Continuity at l = L, and why s = 1 is not "no scaling"
#
# At l = L the bracket is exactly 1 for every s, so b' = b: the formula joins the unscaled base
# without a jump. One token later the change is of order s·D/((D-2)·L):

# %%
for s in [1.0, 2.0, 8.0]:
    at_L = rc.ntk_bracket(4096, 4096, s)
    jump = rc.dynamic_ntk_base(10000, 64, 4097, 4096, s) / 10000 - 1
    print(f"s={s:4.1f}  a(L)={at_L}  relative change at L+1: {jump:.3e}  (s*D/((D-2)*L) = {s * 64 / 62 / 4096:.3e})")
    assert at_L == 1.0
    assert math.isclose(jump, s * 64 / 62 / 4096, rel_tol=1e-3)

# %% [markdown]
# With s = 1 the bracket is a(l) = l/L, which is larger than 1 for every l > L. So
# `scaling_factor=1.0` does **not** switch the scaling off: the base still grows with the length.
# The seed series says "For s=1, no change" and "scaling_factor=1.0 (no scale)" (facts §7.2,
# error 2):

# %%
for l in [4096, 4097, 8192, 16384, 65536]:
    print(f"s=1, l={l:6d}: a={rc.ntk_bracket(l, 4096, 1.0):8.4f}  b'={rc.dynamic_ntk_base(10000, 64, l, 4096, 1.0):12.1f}")
assert rc.dynamic_ntk_base(10000, 64, 16384, 4096, 1.0) > 4 * 10000
assert rc.ntk_bracket(16384, 4096, 1.0) == 16384 / 4096

# %% [markdown]
# ## 4. What the new base does to each pair, and where D/(D-2) comes from
#
# Pair i rotates at `inv_freq[i] = b^(-2i/D)`. Replacing b by b' multiplies it by
#
# $$ \frac{b'^{-2i/D}}{b^{-2i/D}} = \left(a^{D/(D-2)}\right)^{-2i/D} = a^{-2i/(D-2)} . $$
#
# * i = 0 (the highest frequency, 1 rad/token): ratio a^0 = 1, **never changes**;
# * i = D/2 - 1 (the lowest frequency): ratio a^(-(D-2)/(D-2)) = **1/a**, exactly what linear
#   position interpolation by a would do to it;
# * in between, the ratio falls geometrically from 1 to 1/a.
#
# That is the derivation run backwards. The NTK-aware rule (bloc97, restated in the YaRN paper,
# Eq. 16 and App. A.1; facts §6.1) asks for a base b' that leaves the highest pair alone and
# scales the lowest pair like interpolation by a: b'^(-(D-2)/D) = b^(-(D-2)/D) / a, which solves to
# b' = b · a^(D/(D-2)). The exponent is that boundary condition, nothing more.
#
# Checked numerically for several widths and brackets, from the package's `inv_freq` tables:

# %%
for dim in [4, 8, 16, 64, 128]:
    for a in [1.5, 2.0, 13.0]:
        ratio = rc.inv_freq_for_base(10000 * a ** (dim / (dim - 2)), dim).double() / rc.inv_freq_for_base(10000, dim).double()
        assert ratio[0].item() == 1.0
        assert math.isclose(ratio[-1].item(), 1 / a, rel_tol=1e-6)
        assert torch.allclose(ratio, torch.from_numpy(pair_ratios(a, dim)), rtol=1e-6)
        assert bool((ratio[1:] < ratio[:-1]).all())  # falls with i: the lowest pair moves most
    print(f"D={dim:3d}: ratio[0] = 1, ratio[-1] = 1/a for a in (1.5, 2, 13), strictly decreasing in i")

# %% [markdown]
# ### Three seed-series statements this corrects (facts §7.2)
#
# * **Error 4, "slower high freq" / "adjusts high i less aggressively".** Backwards: the ratio
#   a^(-2i/(D-2)) is smallest at the largest i, the *lowest* frequency, which moves most (by 1/a).
# * **Error 5, "inv_freq_new < inv_freq for all i".** inv_freq[0] = b'^0 = 1 for every base. The
#   inequality holds for i ≥ 1 only.
# * **Error 6, D/(D-2) is an "approximation from NTK derivation" that becomes "linear-like" as
#   D → ∞.** It is the exact boundary condition above; and for any D the method is a base change,
#   not linear scaling: linear interpolation would divide every pair by a, while here the top
#   pair never moves.

# %%
a = 2.0
for dim in [64, 1024]:
    r = pair_ratios(a, dim)
    print(f"D={dim:5d}: ratio at i=0: {r[0]:.3f}, i=D/4: {r[dim // 4]:.3f}, i=D/2-1: {r[-1]:.3f}; linear: {1 / a} everywhere")
    assert r[0] == 1.0 and math.isclose(r[-1], 1 / a) and 0.69 < r[dim // 4] < 0.71
rope = rc.DynamicNTKScalingRotaryEmbedding(dim=64, max_position_embeddings=4096)
orig = rope.inv_freq.clone()
rope(x, seq_len=8192)
print("inv_freq[0] before/after:", orig[0].item(), rope.inv_freq[0].item(),
      "| all of i>=1 smaller:", bool((rope.inv_freq[1:] < orig[1:]).all()))
assert rope.inv_freq[0] == orig[0] == 1.0 and bool((rope.inv_freq[1:] < orig[1:]).all())

# %% [markdown]
# Halfway down (i = D/4) the ratio is about 1/√a, 0.70 for a = 2, at D = 64 as at D = 1024: a
# wider head does not make the method look more like linear scaling.
#
# ### How different are two nearby bases?
#
# While decoding past L, every step rebuilds with a new base (lesson 03). Between the base of step
# l = 4097 and that of l = 8192 (D = 64, L = 4096, s = 1) the frequencies differ by
# (a(8192)/a(4097))^(2i/62) (facts §2.4), about 1, 1.20, 1.43, 1.71 and 2.00 for pairs 0, 8, 16,
# 24, 31. Lesson 07 shows what that does to keys cached at different steps.

# %%
ratio_steps = rc.inv_freq_for_base(b_4097, 64).double() / rc.inv_freq_for_base(b_8192, 64).double()
picked = [round(ratio_steps[i].item(), 2) for i in (0, 8, 16, 24, 31)]
print(picked)
assert picked == [1.0, 1.2, 1.43, 1.71, 2.0]

# %% [markdown]
# ### Wavelengths against the trained window
#
# Pair i completes a turn every 2π/inv_freq[i] tokens. With b = 10000, D = 64 the longest
# wavelength is 2π·b^(62/64) ≈ 47,000 tokens (the seed's "wavelength 10k tokens", facts §7.2
# error 14, is off). Pairs whose wavelength exceeds L never completed a turn during training, so
# angles past L are new to them; the base change stretches exactly these wavelengths the most.

# %%
wl = 2 * math.pi / rc.inv_freq_for_base(10000, 64).double()
wl_new = 2 * math.pi / rc.inv_freq_for_base(b_8192, 64).double()
longer_than_L = int((wl > 4096).sum())
print(f"longest wavelength: {wl[-1].item():.0f} tokens (formula {rc.longest_wavelength(10000, 64):.0f})")
print(f"pairs with wavelength > L=4096: {longer_than_L} (i >= {32 - longer_than_L})")
print(f"after b'(8192): longest wavelength {wl_new[-1].item():.0f} = 2 x {wl[-1].item():.0f}")
assert round(wl[-1].item(), -3) == 47000
assert longer_than_L == 9
assert math.isclose(wl_new[-1].item(), 2 * wl[-1].item(), rel_tol=1e-6)

# %% [markdown]
# ## 5. Explorer
#
# Left: the ratio inv_freq'/inv_freq for every pair (red) against linear interpolation by a
# (dashed, 1/a for every pair); the two meet only at the last pair. Right: the wavelength of every
# pair before (gray) and after (red) the rebuild, with the trained window L (blue) and `seq_len`
# (green). Try `seq_len` at or below `max_position_embeddings` (no change at all), then past it
# with `scaling_factor` 1 and 4; change `dim` to see the ends stay at 1 and 1/a.

# %%
r = DynamicBaseExplorer.compute(seq_len=8192, scaling_factor=1.0)
print({k: format_number(v) for k, v in DynamicBaseExplorer.readout_values(r).items()})
assert round(r["new_base"], 1) == 20452.2 and r["bracket"] == 2.0
assert math.isclose(r["lowest_ratio"], 0.5, rel_tol=1e-6)

# %%
explorer = DynamicBaseExplorer()
explorer.show()

# %% [markdown]
# ## Summary
#
# * For a rebuild with l > L: b' = b · a^(D/(D-2)), a = 1 + s(l/L - 1). Otherwise the base is not
#   touched. a(L) = 1, so nothing jumps at L.
# * s = 1 still rescales (a = l/L); s > 1 overshoots the length ratio (s = 4 at 4L gives a = 13).
# * Pair i's frequency is multiplied by a^(-2i/(D-2)): 1 for the highest pair, 1/a for the lowest.
#   That boundary condition is where D/(D-2) comes from (YaRN App. A.1).
# * Worked values: 25198.42 (D = 8, s = 1, l = 2L); 10002.5 and 20452.2 (D = 64, L = 4096, s = 1,
#   l = 4097 and 8192).

# %% [markdown]
# ## Exercises
#
# **1.** Implement `dynamic_base(base, dim, seq_len, max_position_embeddings, scaling_factor)`,
# returning the base the dynamic class uses for a rebuild at `seq_len` (a float).

# %%
from rope_course.checks.lesson04 import check_dynamic_base, check_pair_ratios


def my_dynamic_base(base, dim, seq_len, max_position_embeddings, scaling_factor):
    raise NotImplementedError


result = check_dynamic_base(my_dynamic_base)

# %% [markdown]
# **2.** Implement `pair_ratios(bracket, dim)`: a float64 tensor of the D/2 ratios
# inv_freq'[i]/inv_freq[i] for a rebuild whose bracket is a = `bracket`, index 0 first.

# %%
def my_pair_ratios(bracket, dim):
    raise NotImplementedError


result = check_pair_ratios(my_pair_ratios)

# %% [markdown]
# Solutions: `lessons/solutions/04_dynamic_base.ipynb`.
