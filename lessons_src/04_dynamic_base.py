# %% [markdown]
# # 04 · The dynamic base
#
# Lesson 03 showed *when* the dynamic class rebuilds. This lesson is about *what* it builds: the
# new base b' it computes for a rebuild past the trained length, what that base does to each
# frequency pair, and why anyone wanted it.
#
# **Learning goals.** After this lesson you can
#
# 1. write the formula b' = b · a(l)^(D/(D-2)) with the bracket a(l) = 1 + s(l/L - 1), and say
#    when it applies (only for a rebuild with l > L, strictly);
# 2. compute worked values by hand and check them (25198.42, 10002.5, 20452.2, a = 13);
# 3. show that the base is continuous at l = L and that s = 1 still rescales past L;
# 4. derive the exponent D/(D-2) from one boundary condition (lowest pair scaled like linear
#    interpolation by a, highest pair unchanged) and check it numerically;
# 5. say what problem the method was made for (position interpolation blurs the fast pairs), what
#    "NTK-aware" refers to, and why s > 1 is used;
# 6. read, per frequency pair, how much of its trained angle range a long call sweeps, at any s
#    and l, on the clock picture and the fraction view.
#
# Notation (as in the whole course): D = `dim`, b = `base`, L = `max_position_embeddings`,
# s = `scaling_factor`, l = `seq_len`. Sources: upstream's dynamic builder
# ([upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache)); the bracket from /u/emozilla's
# post ([origin-emozilla](../SOURCES.md#origin-emozilla)); the exponent from the YaRN paper
# ([paper-yarn-eq16](../SOURCES.md#paper-yarn-eq16)).

# %%
import inspect
import math

import numpy as np
import torch

import rope_course as rc
from rope_course.angles import angle_report
from rope_course.explorers import format_number
from rope_course.explorers.base import log_spaced_ints
from rope_course.explorers.clock import ScaledClockExplorer, TrainedFractionExplorer
from rope_course.explorers.dynamic_base import DynamicBaseExplorer

torch.manual_seed(0)
x = torch.zeros(1)

# %% [markdown]
# ## 1. The formula
#
# When the dynamic class rebuilds its cache for a length l > L, it replaces the base by
#
# $$ b' = b \cdot a(l)^{D/(D-2)}, \qquad a(l) = \frac{s\,l}{L} - (s-1) = 1 + s\left(\frac{l}{L}-1\right), $$
#
# recomputes `inv_freq[i] = b'^(-2i/D)` from it, and stores that over the old buffer
# ([upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache)). For l ≤ L nothing about the
# base changes. The bracket is the one /u/emozilla proposed for "Dynamic NTK"
# ([origin-emozilla](../SOURCES.md#origin-emozilla)). The package's function, computed in
# upstream's order:

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
# **s > 1 overshoots the length ratio.** With s = 4 at l = 4L the bracket is 1 + 4·3 = 13, not 4.
# In general a(l) - l/L = (s - 1)(l/L - 1), which is > 0 for every s > 1 and l > L:

# %%
a13 = rc.ntk_bracket(16384, 4096, 4.0)
print("a =", a13, "| b' =", round(rc.dynamic_ntk_base(10000, 64, 16384, 4096, 4.0), 1))
assert a13 == 13.0
lengths = [l for l in log_spaced_ints(1, 131072, extra=(4097,)) if l > 4096]
for s in np.arange(1.25, 16.01, 0.25):
    assert all(rc.ntk_bracket(l, 4096, float(s)) > l / 4096 for l in lengths)
print(f"a(l) > l/L for all s in 1.25..16 and {len(lengths)} lengths from 4097 to 131072")

# %% [markdown]
# The seed series' tasks get two of these powers wrong or rounded: lesson 4.3.1's tasks write
# "3 ** 1.016 ≈3.03" for 3^(128/126) ([seed-4-3-1](../SOURCES.md#seed-4-3-1)), and lesson 4.3.2's
# "3 ** 1.032 ≈3.1" for 3^(64/62) ([seed-4-3-2](../SOURCES.md#seed-4-3-2)):

# %%
print(f"3^(128/126) = {3 ** (128 / 126):.4f}   3^(64/62) = {3 ** (64 / 62):.4f}")
assert round(3 ** (128 / 126), 3) == 3.053 and round(3 ** (64 / 62), 3) == 3.108

# %% [markdown]
# The module agrees with the formula: after a rebuild at l, its `inv_freq` is exactly
# `inv_freq_for_base(b'(l))`, bit for bit.

# %%
rope = rc.DynamicNTKScalingRotaryEmbedding(dim=64, max_position_embeddings=4096, scaling_factor=1.0)
rope(x, seq_len=8192)
assert torch.equal(rope.inv_freq, rc.inv_freq_for_base(b_8192, 64))
print("inv_freq[:3] =", [f"{v:.6g}" for v in rope.inv_freq[:3].tolist()],
      "| inv_freq[-1] =", f"{rope.inv_freq[-1].item():.6g}")

# %% [markdown]
# ## 3. Continuity at l = L, and why s = 1 is not "no scaling"
#
# At l = L the bracket is exactly 1 for every s, so b' = b: the formula joins the unscaled base
# without a jump. One token later the relative change is about s·D/((D-2)·L), for every s, D and
# L of the base explorer's sliders (printed for D = 64, L = 4096):

# %%
for dim, L in [(dim, L) for dim in (8, 16, 32, 64, 128) for L in (2048, 4096, 8192, 16384)]:
    for s in np.arange(1.0, 16.01, 0.25):
        s = float(s)
        at_L = rc.ntk_bracket(L, L, s)
        jump = rc.dynamic_ntk_base(10000, dim, L + 1, L, s) / 10000 - 1
        assert at_L == 1.0 and rc.dynamic_ntk_base(10000, dim, L, L, s) == 10000
        assert math.isclose(jump, s * dim / (dim - 2) / L, rel_tol=3e-3)
        if (dim, L) == (64, 4096) and s in (1.0, 2.0, 8.0, 16.0):
            print(f"s={s:4.1f}  a(L)={at_L}  relative change at L+1: {jump:.3e}  "
                  f"(s*D/((D-2)*L) = {s * 64 / 62 / 4096:.3e})")

# %% [markdown]
# With s = 1 the bracket is a(l) = l/L, which is larger than 1 for every l > L. So
# `scaling_factor=1.0` does **not** switch the scaling off: the base still grows with the length.
# The seed series' lesson 4.3.1 says "For s=1, no change" and "scaling_factor=1.0 (no scale)",
# and its 4.3.2 quiz answers "What is alpha for s=1?" with "1, no change"
# ([seed-4-3-1](../SOURCES.md#seed-4-3-1), [seed-4-3-2](../SOURCES.md#seed-4-3-2)):

# %%
for l in [4096, 4097, 8192, 16384, 65536]:
    b_l = rc.dynamic_ntk_base(10000, 64, l, 4096, 1.0)
    print(f"s=1, l={l:6d}: a={rc.ntk_bracket(l, 4096, 1.0):8.4f}  b'={b_l:12.1f}")
assert rc.dynamic_ntk_base(10000, 64, 16384, 4096, 1.0) > 4 * 10000
assert all(rc.ntk_bracket(l, 4096, 1.0) == l / 4096 > 1 for l in lengths)

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
# That is the derivation run backwards. The NTK-aware rule (bloc97's, derived in the YaRN paper,
# Eq. 16 and App. A.1: [paper-yarn-eq16](../SOURCES.md#paper-yarn-eq16),
# [origin-bloc97](../SOURCES.md#origin-bloc97)) asks for a base b' that leaves the highest pair
# alone and scales the lowest pair like interpolation by a: b'^(-(D-2)/D) = b^(-(D-2)/D) / a,
# which solves to b' = b · a^(D/(D-2)). The exponent is that boundary condition, nothing more.
#
# Checked numerically for several widths and brackets, from the package's `inv_freq` tables
# against the closed form a^(-2i/(D-2)):

# %%
for dim in [4, 8, 16, 64, 128]:
    closed_form_exponent = -2 * torch.arange(dim // 2, dtype=torch.float64) / (dim - 2)
    for a in [1.5, 2.0, 13.0, 497.0]:
        ratio = (rc.inv_freq_for_base(10000 * a ** (dim / (dim - 2)), dim).double()
                 / rc.inv_freq_for_base(10000, dim).double())
        assert ratio[0].item() == 1.0
        assert math.isclose(ratio[-1].item(), 1 / a, rel_tol=1e-6)
        assert torch.allclose(ratio, a ** closed_form_exponent, rtol=1e-6)
        assert bool((ratio[1:] < ratio[:-1]).all())  # falls with i: the lowest pair moves most
    print(f"D={dim:3d}: ratio[0] = 1, ratio[-1] = 1/a for a in (1.5, 2, 13, 497), strictly decreasing in i")

# %% [markdown]
# ### Three seed-series statements this corrects
#
# * **"adjusting high i (dims) less aggressively"** (lesson 4.3.2,
#   [seed-4-3-2](../SOURCES.md#seed-4-3-2)). Backwards: the ratio a^(-2i/(D-2)) is smallest at the
#   largest i, the *lowest* frequency, which moves most (by 1/a). Its tasks' "inv_freq_new[-1] <
#   original (slower high freq)" has the inequality right and the label wrong: index -1 is the
#   lowest frequency. (Lesson 4.3.1's "'stretches' high frequencies less than low ones" has it
#   right.)
# * **"inv_freq_new < inv_freq for all i"** (lesson 4.3.2's tasks). inv_freq[0] = b'^0 = 1 for
#   every base. The inequality holds for i ≥ 1 only.
# * **"Approximation from NTK derivation for rotary kernel; as dim→∞, →1, linear-like"** (lesson
#   4.3.2's tasks; 4.3.1's tasks say it "Approximates NTK preservation"). D/(D-2) is the exact
#   boundary condition above; and for any D the method is a base change, not linear scaling:
#   linear interpolation divides every pair by a, while here the top pair never moves.

# %%
a = 2.0
for dim in [64, 1024]:
    r = (a ** (-2 * torch.arange(dim // 2, dtype=torch.float64) / (dim - 2))).tolist()
    print(f"D={dim:5d}: ratio at i=0: {r[0]:.3f}, i=D/4: {r[dim // 4]:.3f}, i=D/2-1: {r[-1]:.3f}; "
          f"linear: {1 / a} everywhere")
    assert r[0] == 1.0 and math.isclose(r[-1], 1 / a) and 0.69 < r[dim // 4] < 0.71
rope = rc.DynamicNTKScalingRotaryEmbedding(dim=64, max_position_embeddings=4096)
orig = rope.inv_freq.clone()
rope(x, seq_len=8192)
print("inv_freq[0] before/after:", orig[0].item(), rope.inv_freq[0].item(),
      "| all of i>=1 smaller:", bool((rope.inv_freq[1:] < orig[1:]).all()))
assert rope.inv_freq[0] == orig[0] == 1.0 and bool((rope.inv_freq[1:] < orig[1:]).all())

# %% [markdown]
# Halfway down (i = D/4) the ratio is a^(-D/(2(D-2))), close to 1/√a: 0.70 for a = 2, at D = 64
# as at D = 1024. A wider head does not make the method look more like linear scaling.
#
# ### How different are two nearby bases?
#
# While decoding past L, every step rebuilds with a new base (lesson 03). Between the base of step
# l = 4097 and that of l = 8192 (D = 64, L = 4096, s = 1) the frequencies differ by
# (a(8192)/a(4097))^(2i/62), about 1, 1.20, 1.43, 1.71 and 2.00 for pairs 0, 8, 16, 24, 31.
# Lesson 07 shows what that does to keys cached at different steps.

# %%
ratio_steps = rc.inv_freq_for_base(b_4097, 64).double() / rc.inv_freq_for_base(b_8192, 64).double()
picked = [round(ratio_steps[i].item(), 2) for i in (0, 8, 16, 24, 31)]
print(picked)
assert picked == [1.0, 1.2, 1.43, 1.71, 2.0]

# %% [markdown]
# ### Wavelengths against the trained window
#
# Pair i completes a turn every 2π/inv_freq[i] tokens. With b = 10000, D = 64 the longest
# wavelength is 2π·b^(62/64) ≈ 47,000 tokens (lesson 4.1.1's "base=10000 (wavelength 10k
# tokens)", [seed-4-1-1](../SOURCES.md#seed-4-1-1), is off). Pairs whose wavelength exceeds L
# never completed a turn during training, so angles past their trained ones are new to them; the
# base change stretches exactly these wavelengths the most.

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
# ## 5. Why anyone wanted this
#
# ### Position interpolation blurs the fast pairs
#
# The first fix for long inputs was position interpolation (PI, [paper-pi](../SOURCES.md#paper-pi);
# DeepSeek's file has it as the linear class, [upstream-linear](../SOURCES.md#upstream-linear)):
# divide every position, that is every frequency, by s, so that l positions fit into the trained
# angles. It divides the **fast** pairs too. Pair 0 turns 1 rad per token in training, and
# neighbouring tokens differ by that much in it; under PI with s = 4 they differ by 0.25 rad.
# Every pair sees neighbouring tokens four times closer than in training, the fast pairs that
# carry local order (which token is next to which) included. The YaRN paper calls this the loss
# of high-frequency information and of small, local relationships
# ([paper-yarn-3-1](../SOURCES.md#paper-yarn-3-1), [paper-yarn-3-2](../SOURCES.md#paper-yarn-3-2)).
# NTK-aware scaling with the same factor changes the base instead: pair 0 keeps its 1 rad per
# token, the fast pairs are slowed far less than by PI (pair 8 keeps 0.70 of its speed, not
# 0.25), and only the slowest pair is divided by the full s. It does not leave them all alone:
# every pair but pair 0 still turns more slowly than in training (at every s > 1 and every D:
# b' > b), so neighbouring tokens still come closer in them, a little in the fast pairs (pair 1
# keeps 0.96 of its speed) and as much as under PI in the slowest. YaRN's "NTK-by-parts" leaves
# the fast pairs exactly as trained ([paper-yarn-3-2](../SOURCES.md#paper-yarn-3-2)), and so does
# DeepSeek's YaRN class for every pair up to the start of its correction range
# ([upstream-yarn-helpers](../SOURCES.md#upstream-yarn-helpers),
# [upstream-yarn](../SOURCES.md#upstream-yarn)).

# %%
s = 4.0
theta = rc.inv_freq_for_base(10000, 64).double()
pi_theta = theta / s  # the linear class: every frequency divided by s
ntk_theta = rc.inv_freq_for_base(10000 * s ** (64 / 62), 64).double()  # NTK-aware: base b * s^(D/(D-2))
print("angle per token (rad) of pair i: plain | PI, s = 4 | NTK-aware, s = 4")
for i in (0, 1, 8, 16, 24, 31):
    print(f"  pair {i:2d}: {theta[i].item():.3e} | {pi_theta[i].item():.3e} | {ntk_theta[i].item():.3e}")
assert torch.allclose(pi_theta / theta, torch.full_like(theta, 1 / s))
assert round((ntk_theta / theta)[8].item(), 2) == 0.70
assert round((ntk_theta / theta)[1].item(), 2) == 0.96
for s_any in np.arange(1.25, 16.01, 0.25):  # every pair but pair 0 slower, at every slider s and D
    for dim in (4, 8, 16, 32, 64, 128):
        plain = rc.inv_freq_for_base(10000, dim)
        rebased = rc.inv_freq_for_base(10000 * float(s_any) ** (dim / (dim - 2)), dim)
        assert rebased[0].item() == 1.0 and bool((rebased[1:] < plain[1:]).all())
assert (ntk_theta / theta)[0].item() == 1.0 and math.isclose((ntk_theta / theta)[-1].item(), 1 / s, rel_tol=1e-6)
assert bool((ntk_theta >= pi_theta * (1 - 1e-6)).all())  # never slows a pair more than PI (float32 tables)

# %% [markdown]
# ### What "NTK" refers to
#
# The method is /u/bloc97's ([origin-bloc97](../SOURCES.md#origin-bloc97)); the YaRN paper's §3.1,
# which presents it, gives the argument behind the name
# ([paper-yarn-3-1](../SOURCES.md#paper-yarn-3-1)). Tancik et al. used neural tangent kernel (NTK)
# theory to show that a plain network fed low-dimensional coordinates fails to learn
# high-frequency functions, and that mapping the coordinates to Fourier features (sines and
# cosines of many frequencies) fixes it
# ([paper-fourier-features](../SOURCES.md#paper-fourier-features)). RoPE's pairs are such
# features of the position (YaRN calls RoPE a 1-D case of a Fourier feature); read for RoPE: do
# not take the high frequencies away. That is the whole connection. No kernel is computed or preserved by the
# rule, and attention is not "linearized" by it (lesson 4.3.1's tasks say both,
# [seed-4-3-1](../SOURCES.md#seed-4-3-1)); the rule is a base change with the boundary condition
# of section 4.
#
# ### Dynamic: the factor follows the current length
#
# A fixed NTK-aware factor (the base b·α^(D/(D-2)) set once, as in exllama,
# [exllama-126](../SOURCES.md#exllama-126)) changes the frequencies for every input, short ones
# included.
# "Dynamic" scaling picks the factor from the length of the current call instead and keeps the
# exact positions up to the trained length ([origin-emozilla](../SOURCES.md#origin-emozilla);
# the YaRN paper's §3.3, [paper-yarn-3-3](../SOURCES.md#paper-yarn-3-3), writes the factor as
# s = max(1, l/L)). With `scaling_factor = 1` DeepSeek's bracket is exactly that factor, at every
# length:

# %%
for l in log_spaced_ints(1, 131072, extra=(4095, 4096, 4097)):
    factor_in_force = rc.ntk_bracket(l, 4096, 1.0) if l > 4096 else 1.0  # the builder's branch
    assert factor_in_force == max(1.0, l / 4096)
print("s = 1: the factor in force is max(1, l/L) at every slider length")

# %% [markdown]
# ### Why s > 1: the fraction of the trained angle range
#
# Pair i's hand sweeps the arc (L-1)·θ_i over the trained positions 0 … L-1. A *fast* pair wraps
# around many times there and has seen every angle; a *slow* pair, whose arc is shorter than one
# turn (2π), has **never turned**: only the angles of its arc are familiar to it. For D = 64,
# b = 10⁴ that is 9 pairs (23-31) at L = 4096 and 11 (21-31) at the seed's L = 2048, the same
# pairs whose wavelength exceeds L.
#
# At a call of length l the dynamic class makes pair i sweep (l-1)·θ'_i. The **fraction of its
# trained range** is
#
# $$ f_i = \frac{(l-1)\,\theta'_i}{(L-1)\,\theta_i} = \frac{l-1}{L-1}\; a(l)^{-2i/(D-2)} , $$
#
# the plain-RoPE overshoot (l-1)/(L-1) times the ratio of section 4. Above 1 the hand leaves its
# trained arc; below 1 it is squeezed inside it, and then the model sees long distances as
# shorter ones. The YaRN paper remarks that under NTK-aware scaling some dimensions are slightly
# extrapolated to out-of-bound values, which is why the factor is set higher than the length
# ratio ([paper-yarn-3-1](../SOURCES.md#paper-yarn-3-1)); here the factor is the bracket a(l), and
# s > 1 is what makes it exceed l/L. `rope_course.angles` computes these fractions:

# %%
for L, first_slow in ((4096, 23), (2048, 21)):
    r = angle_report("plain", L, 1.0, max_position_embeddings=L)
    assert list(r["pairs_never_turned"]) == list(range(first_slow, 32))
    assert list(r["pairs_never_turned"]) == np.flatnonzero(2 * np.pi / theta.numpy() > L).tolist()
r = angle_report("dynamic NTK", 8192, 1.0, max_position_embeddings=4096)
slow = r["fraction"][r["never_turned"]]
print(f"L = 4096, l = 2L, s = 1: {r['n_beyond']} of {r['n_never_turned']} never-turned pairs beyond their range, "
      f"fractions {slow.min():.4f} .. {slow.max():.3f}")
assert r["n_beyond"] == 9 and round(slow.min(), 4) == 1.0001 and round(slow.max(), 3) == 1.196

# %% [markdown]
# At s = 1 the slowest pair is brought back to its range edge, but only to it: f = (l-1)L/((L-1)l),
# a hair above 1 (the one-position offset between l-1 and l), and every faster never-turned pair
# stays beyond. The slowest pair is squeezed below 1 exactly when s > L/(L-1) (1.0002 at L = 4096:
# every slider value above 1), since f = ((l-1)/(L-1))/a(l). And for every s, a pair
# leaves its range exactly when (l-1)/(L-1) > a(l)^(2i/(D-2)); since the right side grows with i,
# the faster never-turned pairs leave first. Checked over the sliders' whole range (s from 1 to 16
# in steps of 0.25, every slider length past L, both L):

# %%
checked = 0
slider_lengths = list(TrainedFractionExplorer().controls["seq_len"].options)  # the fraction view's slider
for L in (2048, 4096):
    for s in np.arange(1.0, 16.01, 0.25):
        for l in [l for l in slider_lengths if l > L]:
            r = angle_report("dynamic NTK", l, float(s), max_position_embeddings=L)
            f, pairs = r["fraction"][r["never_turned"]], r["pairs_never_turned"]
            if s == 1.0:
                assert (f > 1).all() and math.isclose(f[-1], (l - 1) * L / ((L - 1) * l), rel_tol=1e-12)
            assert (f[-1] < 1) == (s > L / (L - 1))
            beyond = (l - 1) / (L - 1) > rc.ntk_bracket(l, L, float(s)) ** (2 * pairs / 62)
            assert np.array_equal(beyond, f > 1)
            assert not np.any(np.diff(beyond.astype(int)) > 0)  # beyond ones come first (fastest)
            checked += 1
print(f"{checked} settings: the rule holds; s = 1 keeps every never-turned pair beyond, "
      "s > L/(L-1) squeezes the slowest")
for L in (2048, 4096):  # between 1 and L/(L-1) the slowest pair is not squeezed yet, at any length
    for s in (1.0001, L / (L - 1) * 0.99999, L / (L - 1) * 1.00001):
        for l in (L + 1, 2 * L, 32 * L):
            f_slowest = angle_report("dynamic NTK", l, s, max_position_embeddings=L)["fraction"][-1]
            assert (f_slowest < 1) == (s > L / (L - 1))

# %% [markdown]
# That is the trade s > 1 makes. At s = 1 the faster never-turned pairs overshoot (YaRN's
# "slightly extrapolated"); a larger s makes the bracket larger and pulls them back inside, at
# the price of squeezing the slow end; and at a fixed s a longer call can bring the overshoot back:

# %%
for s, l in ((1.0, 8192), (2.0, 8192), (2.0, 32768)):
    r = angle_report("dynamic NTK", l, s, max_position_embeddings=4096)
    print(f"L = 4096, s = {s:g}, l = {l // 4096}L: {r['n_beyond']} of 9 beyond, "
          f"fractions {r['fraction_min']:.3f} .. {r['fraction_max']:.3f}")
    assert (r["n_beyond"], round(r["fraction_min"], 3), round(r["fraction_max"], 3)) == {
        (1.0, 8192): (9, 1.0, 1.196), (2.0, 8192): (0, 0.667, 0.885), (2.0, 32768): (1, 0.533, 1.073)}[s, l]

# %% [markdown]
# A long enough call always brings it back, at any s: with a(l) ≈ s·l/L for large l,
# f_i ≈ (l/L)^(1-2i/(D-2)) · s^(-2i/(D-2)) grows without bound for every pair but the slowest
# (whose f tends to 1/s). On the sliders, up to 131072 tokens, that happens only for small s.
# For every s from 1.5 (below it the fastest never-turned pair never gets inside), checked at
# every whole length past L with the rule above for the fastest never-turned pair:

# %%
first_never_turned = {4096: 23, 2048: 21}
comes_back = {}  # (L, s) -> the first length at which a never-turned pair is beyond again
for L, i0 in first_never_turned.items():
    l = np.arange(L + 1, 131073)
    for s in (1.0, 1.25):
        assert ((l - 1) / (L - 1) > (1 + s * (l / L - 1)) ** (2 * i0 / 62)).all()  # never inside
    for s in np.arange(1.5, 16.01, 0.25):
        beyond = (l - 1) / (L - 1) > (1 + s * (l / L - 1)) ** (2 * i0 / 62)
        assert not beyond[0]  # every never-turned pair is inside one token past L
        if beyond.any():
            first = int(beyond.argmax())
            assert beyond[first:].all()  # and once it is beyond, it stays beyond
            comes_back[L, float(s)] = int(l[first])
for L, s_last, s_none in ((4096, 3.25, 3.5), (2048, 7.25, 7.5)):
    s_back = sorted(s for L_, s in comes_back if L_ == L)
    print(f"L = {L}: back on the slider for s = 1.5 .. {s_last} (at s = {s_last} from l = "
          f"{comes_back[L, s_last]}); for s >= {s_none} every never-turned pair stays inside up to 131072")
    assert s_back == [float(s) for s in np.arange(1.5, s_last + 0.01, 0.25)]
assert comes_back[4096, 3.25] == 112669 and comes_back[2048, 7.25] == 127248

# %% [markdown]
# So the angles differ from training either way: too far at small s, squeezed at large s, with a
# mix in between that moves with l. Lesson 05 tabulates it at the seed's setting.
#
# ### The clock picture
#
# Each pair is a clock hand, one ring per pair: the fastest (pair 0) innermost, the slowest
# (pair 31) outermost; angle 0 points to 3 o'clock and angles grow counter-clockwise. The light
# grey band is the arc a never-turned pair swept in training; blue is the part of the call's arc
# inside it, vermillion the angles it never saw, the black dot the hand at the last position.
# Left: plain RoPE at `seq_len`; right: the method chosen with `method` (dynamic NTK by default)
# at `seq_len` and `scaling_factor`. The saved picture is `seq_len` = 16384 (4L) at s = 1: plain
# RoPE carries all 9 slow pairs far past their bands; dynamic NTK shortens those overshoots, and
# still all 9 end beyond, the slowest by a hair. Move `scaling_factor` to 2: all 9 now stop inside,
# the slowest at 0.57 of its band.

# %%
for s, beyond, slowest in ((1.0, 9, 1.0002), (2.0, 0, 0.57)):
    r = ScaledClockExplorer.compute(seq_len=16384, scaling_factor=s)
    values = ScaledClockExplorer.readout_values(r)
    print({k: format_number(v) for k, v in values.items()})
    assert values["beyond their trained arc"] == beyond and values["plain RoPE: beyond"] == 9
    assert round(values["slowest pair: arc / trained"], 4 if s == 1.0 else 2) == slowest

# %%
ScaledClockExplorer().show()

# %% [markdown]
# ### The fraction view
#
# The same numbers as a plot: for each never-turned pair, f_i on a linear axis, with the line at 1
# (the edge of the trained range). It has its own `scaling_factor`, `method` (plain, dynamic NTK,
# PI, YaRN) and `max_position_embeddings` (4096, or the seed's 2048). The saved picture is
# L = 4096, `seq_len` = 8192, s = 1: all 9 just above the line, from 1.0001 to 1.196. Raise s and
# the line of dots tilts below 1, slowest pair first.

# %%
r = TrainedFractionExplorer.compute(seq_len=8192, scaling_factor=1.0)
print({k: format_number(v) for k, v in TrainedFractionExplorer.readout_values(r).items()})
assert r["n_beyond"] == 9 and round(r["fraction_max"], 3) == 1.196

# %%
TrainedFractionExplorer().show()

# %% [markdown]
# ## 6. Explorer: the new base and every pair
#
# Left: the ratio inv_freq'/inv_freq for every pair (blue dots, "dynamic NTK") against linear
# interpolation by a (orange dashes, 1/a for every pair), on a log axis where a^(-2i/(D-2)) is a
# straight line and whose bottom follows 1/a; the two meet only at the last pair. Right: the
# wavelength of every pair before (black) and after (blue dash-dot) the rebuild, with the trained
# window L (grey dashes) and `seq_len` (green dots). Try `seq_len` at or below
# `max_position_embeddings` (no change at all), then past it with `scaling_factor` 1 and 4;
# change `dim` to see the ends stay at 1 and 1/a.

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
# * s = 1 still rescales (a = l/L, YaRN's dynamic factor max(1, l/L)); s > 1 overshoots the length
#   ratio (s = 4 at 4L gives a = 13).
# * Pair i's frequency is multiplied by a^(-2i/(D-2)): 1 for the highest pair, 1/a for the lowest.
#   That boundary condition is where D/(D-2) comes from (YaRN App. A.1); "NTK" names the
#   Fourier-features argument for keeping high frequencies, not a preserved kernel.
# * PI divides every pair by s and blurs local order; NTK-aware scaling keeps pair 0 and slows the
#   fast pairs far less (at s = 4, pair 8 keeps 0.70 of its speed instead of 0.25).
# * A never-turned pair sweeps f_i = (l-1)/(L-1) · a^(-2i/(D-2)) of its trained range: at s = 1 all
#   of them overshoot (the slowest by a hair), for s > L/(L-1) the slowest is squeezed, and the
#   faster ones overshoot first.
# * Worked values: 25198.42 (D = 8, s = 1, l = 2L); 10002.5 and 20452.2 (D = 64, L = 4096, s = 1,
#   l = 4097 and 8192).

# %% [markdown]
# ## Exercises
#
# Solutions: [solutions/04_dynamic_base.ipynb](solutions/04_dynamic_base.ipynb) (open it after trying). The checkers say
# "not attempted yet" until you replace the `...`.
#
# **1. Predict.** D = 64, b = 10⁴, L = 4096, s = 2, and one call of l = 32L = 131072 tokens. Which
# of the 9 never-turned pairs (23-31) sweep more than their trained angle range? Answer with a set
# of pair indices. Reason from f_i first; then check with the fraction view.

# %%
from rope_course.checks.lesson04 import check_beyond_pairs, check_doubling_length, check_s_min

beyond_pairs = ...
result = check_beyond_pairs(beyond_pairs)

# %% [markdown]
# **2. Derive.** D = 64, L = 4096, s = 2. What is the smallest whole `seq_len` whose rebuild gives
# a base of at least 2b (twice the original)? Solve for the bracket first, then for l.

# %%
doubling_length = ...
result = check_doubling_length(doubling_length)

# %% [markdown]
# **3. Derive.** The seed's setting: D = 64, b = 10⁴, L = 2048, and its long call l = 3000. What is
# the smallest `scaling_factor` at which none of the 11 never-turned pairs (21-31) sweeps more
# than its trained range (f_i ≤ 1 for all of them)? Any real s ≥ 1 counts, not only the slider's
# notches. Give at least three significant digits.

# %%
s_min = ...
result = check_s_min(s_min)
