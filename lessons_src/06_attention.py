# %% [markdown]
# # 06 · RoPE inside attention: what dynamic NTK keeps, and what it does not
#
# Lessons 01-05 built the cos/sin tables. Here they meet attention: a query and a key are both
# rotated, and their dot product is what the softmax sees. The seed lesson (4.3.3, "In
# Attention", [seed-4-3-3](../SOURCES.md#seed-4-3-3)) says the *dynamic base makes long-seq
# attention similar to short-seq trained*. We turn that sentence into numbers.
#
# **Learning goals**
#
# 1. Show that after `apply_rotary_pos_emb` the score `q_m · k_n` depends on `m - n` only, and
#    derive the closed form per frequency pair.
# 2. Plot a score against distance inside the trained window `L`, under plain extrapolation past
#    it, and under dynamic NTK.
# 3. For each frequency pair, compare the largest angle a long window reaches with the largest
#    angle the training window reached. The pairs that never completed a turn in training leave
#    their range under dynamic NTK too unless s is large enough for the length, and at a fixed s
#    by more the longer the window, once it is long; say when none do.
# 4. Measure how new the angles are on the circle, where cos and sin repeat: the pairs that
#    turned fall between the L angles they met in training (what Resonance RoPE rounds away); the
#    never-turned ones reach the part of the circle they never met, and only so far.
# 5. State what the seed's sentence does and does not mean, with the numbers.
#
# Notation as before: D = dim, b = base, L = `max_position_embeddings`, s = `scaling_factor`,
# l = sequence length, a(l) = 1 + s(l/L - 1), θ_i = b^(-2i/D).

# %%
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import rope_course as rc
from rope_course.attention import (
    angle_ranges,
    distance_to_trained_angles,
    first_never_turned_pair,
    inv_freq64,
    ones_score,
    resonance_inv_freq,
    rope_score,
    s_min,
)
from rope_course.explorers import style

torch.manual_seed(0)
D, BASE, L = 64, 10000.0, 4096   # DeepSeek-V3's rope width and base; a 4096-token trained window
print("D =", D, " base =", BASE, " L =", L)

# %% [markdown]
# ## 1. The rotation inside attention
#
# DeepSeek's `apply_rotary_pos_emb` de-interleaves q and k and then turns each original adjacent
# pair (x_{2i}, x_{2i+1}) at position p by the angle p·θ_i
# ([upstream-apply-rotary](../SOURCES.md#upstream-apply-rotary)). A rotation matrix R(φ)
# satisfies R(α)ᵀR(β) = R(β - α), so for a query at m and a key at n
#
# q_m · k_n = Σ_i q_iᵀ R(m θ_i)ᵀ R(n θ_i) k_i = Σ_i q_iᵀ R(-(m - n) θ_i) k_i
#
# = Σ_i (q_i · k_i) cos((m - n) θ_i) + (q_i × k_i) sin((m - n) θ_i),
#
# with q_i · k_i = q_{2i} k_{2i} + q_{2i+1} k_{2i+1} and q_i × k_i = q_{2i} k_{2i+1} - q_{2i+1} k_{2i}.
# Only the distance d = m - n appears ([paper-roformer](../SOURCES.md#paper-roformer)). First the
# numbers: rotate one random q and k with the package's table at three (m, n) with the same
# distance 7.

# %%
rotary = rc.RotaryEmbedding(D, max_position_embeddings=L, base=BASE)
q = torch.randn(1, 1, 1, D)   # (batch, heads, seq, D) in the model's own (interleaved) layout
k = torch.randn(1, 1, 1, D)
x = torch.zeros(1, dtype=torch.float32)  # only its dtype and device matter
cos, sin = rotary(x, seq_len=L)


def rotated_score(m, n):
    q_rot, _ = rc.apply_rotary_pos_emb(q, q, cos, sin, torch.tensor([[m]]))
    _, k_rot = rc.apply_rotary_pos_emb(k, k, cos, sin, torch.tensor([[n]]))
    return (q_rot * k_rot).sum().item()


pairs_mn = [(7, 0), (107, 100), (3007, 3000)]
scores = [rotated_score(m, n) for m, n in pairs_mn]
closed = rope_score(q.flatten(), k.flatten(), [7], rotary.inv_freq).item()
for (m, n), value in zip(pairs_mn, scores):
    print(f"m = {m:4d}, n = {n:4d}: q_m . k_n = {value:.3f}")
print(f"closed form at d = 7 (float64):     {closed:.3f}")
spread = max(scores) - min(scores)
print("spread over the three below 1e-3 (float32 angles up to 3007 rad):", spread < 1e-3)
assert spread < 1e-3 and abs(scores[0] - closed) < 1e-4

# %% [markdown]
# The three scores agree to float32 precision (the angles at position 3007 are large numbers in
# float32, which costs a few digits), and the closed form of `rc.attention.rope_score` gives
# the same value. Here is that function; it works per pair, exactly as derived:

# %%
print(inspect.getsource(rope_score))

# %% [markdown]
# ## 2. A score against distance
#
# A random q and k give a noisy curve. A structured choice shows the shape: q = k = all ones.
# Each pair then contributes |q_i|² cos(d θ_i) = 2 cos(d θ_i), and dividing by D gives
#
# S(d) = mean_i cos(d θ_i), with S(0) = 1.
#
# It is also the *average* over random keys identical to their query: for Gaussian q = k the
# cross term vanishes and E|q_i|² = 2, so E[q_d · k_0]/D = S(d). A Monte-Carlo check:

# %%
theta = inv_freq64(BASE, D)
distances_check = np.array([0, 1, 5, 50, 500, 4000])
g = torch.Generator().manual_seed(1)
qs = torch.randn(20000, D, generator=g, dtype=torch.float64)
mc = (rope_score(qs, qs, distances_check, theta).mean(dim=0) / D).numpy()
exact = ones_score(theta, distances_check)
for d_, m_, e_ in zip(distances_check, mc, exact):
    print(f"d = {d_:5d}: Monte-Carlo mean {m_:+.4f}   S(d) {e_:+.4f}")
assert np.abs(mc - exact).max() < 0.03

# %% [markdown]
# Now three curves, at l = 4L = 16384 with s = 1 (so a = 4 and b' = b·4^(64/62)):
#
# * **trained**: standard RoPE for distances d < L, the only ones a model trained at L saw;
# * **plain extrapolation**: the same standard table used for L ≤ d < 4L;
# * **dynamic NTK**: the package's `DynamicNTKScalingRotaryEmbedding` asked for 4L rows.

# %%
l_long = 4 * L
dyn = rc.DynamicNTKScalingRotaryEmbedding(D, max_position_embeddings=L, base=BASE, scaling_factor=1.0)
dyn(x, seq_len=l_long)
new_base = rc.dynamic_ntk_base(BASE, D, l_long, L, 1.0)
assert torch.equal(dyn.inv_freq, rc.inv_freq_for_base(new_base, D))
print(f"dynamic NTK base at l = 4L, s = 1: {new_base:.1f}")
assert round(new_base, 1) == 41829.4

d = np.arange(1, l_long)
S_std = ones_score(rotary.inv_freq.double().numpy(), d)   # the modules' own (float32) frequencies
S_dyn = ones_score(dyn.inv_freq.double().numpy(), d)
inside = d < L
min_trained, min_plain, min_dyn = S_std[inside].min(), S_std[~inside].min(), S_dyn.min()
short = d <= 32
short_gap = np.abs(S_dyn[short] - S_std[short]).max()
print(f"lowest S(d) in the trained window d < L:        {min_trained:+.4f}")
print(f"lowest S(d) under plain extrapolation, d >= L:  {min_plain:+.4f}")
print(f"lowest S(d) under dynamic NTK, d < 4L:          {min_dyn:+.4f}")
print(f"largest |dynamic - standard| for d <= 32:       {short_gap:.4f}")
assert round(min_trained, 3) == -0.244 and round(min_plain, 3) == -0.388 and round(min_dyn, 3) == -0.340
assert round(short_gap, 3) == 0.093
freq_change = (dyn.inv_freq.double() / rotary.inv_freq.double()).numpy()
assert freq_change[0] == 1.0 and (freq_change[1:] < 1).all() and round(freq_change[1], 2) == 0.96

with style.context():
    fig, (ax_std, ax_dyn) = plt.subplots(1, 2, figsize=style.figsize(3.8), sharey=True)
    ax_std.plot(d[inside], S_std[inside], color=style.PLAIN, lw=0.8, label="trained window (d < L)")
    ax_std.plot(d[~inside], S_std[~inside], color=style.BEYOND, lw=0.8, label="plain extrapolation (d ≥ L)")
    ax_dyn.plot(d, S_dyn, color=style.DYNAMIC, lw=0.8, label="dynamic NTK (l = 4L, s = 1)")
    for ax, title in ((ax_std, "standard RoPE"), (ax_dyn, "dynamic NTK")):
        first = ax is ax_std
        ax.axhline(min_trained, color=style.REFERENCE, ls=":", lw=1.5,
                   label="lowest trained S(d)" if first else "_nolegend_")
        ax.axvline(L, color=style.REFERENCE, ls="--", lw=1.2, label="_nolegend_" if first else "d = L = 4096")
        ax.set_xscale("log", base=2)
        style.plain_ticks(ax.xaxis, [1, 16, 256, 4096])
        ax.set_xlabel(f"distance d = m - n (log scale, to 4L); {title}")
        style.legend(ax, ncols=2 if first else 1)
    ax_std.set_ylabel("S(d) = ones score / D")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# What the curves say:
#
# * Past L, plain extrapolation produces scores the model never met: S(d) drops to -0.388
#   against a trained minimum of -0.244 (dotted line). The distances themselves are new too.
# * Dynamic NTK stretches the slow part of the curve (the low-frequency pairs turn more slowly),
#   but it does **not** map the long window onto the trained one: distances ≥ L still occur,
#   and at this setting its minimum, -0.340, is below the trained minimum.
# * It also changes short distances: for d ≤ 32 the dynamic curve differs from the standard one by
#   up to 0.093. Only pair 0 (θ_0 = 1 rad/token) is exactly unchanged; pair i's frequency is
#   multiplied by a^(-2i/(D-2)) (lesson 04), which is already 0.96 for i = 1 at a = 4.
#
# The minimum depends on s and l; over the explorer's range:

# %%
print("lowest S(d) under dynamic NTK (trained minimum -0.244)")
print("      l    s=1     s=2     s=4     s=8    s=16")
lowest = {}
for factor in (2, 4, 8, 16, 32):   # up to the explorer's longest seq_len, 131072
    l_ = factor * L
    row = [ones_score(inv_freq64(rc.dynamic_ntk_base(BASE, D, l_, L, s_), D), np.arange(1, l_)).min()
           for s_ in (1, 2, 4, 8, 16)]
    lowest[factor] = row
    print(f"{l_:7d} " + " ".join(f"{v:+.3f}" for v in row))
below = {f: [v < min_trained for v in lowest[f]] for f in lowest}
assert all(below[f][0] for f in below) and not any(below[f][4] for f in below)   # s = 1 always below, s = 16 never
assert [below[f][1:4] for f in (2, 4, 8)] == [[False] * 3, [True, False, False], [False] * 3]
assert all(below[f][1:4] == [True] * 3 for f in (16, 32))                         # s = 2, 4, 8 below from 16L

# %% [markdown]
# So with s = 1 the curve goes below anything the trained window produced at every length in the
# table, and with s = 16 it never does. In between it depends on the length: s = 2, 4 and 8 stay
# above up to 8L (s = 2 dips below at 4L, by a hair), and all three go below at 16L and 32L. One
# curve for one structured q and k is an illustration, though. The per-pair angle count below is
# the precise statement.
#
# ## 3. Per pair: the largest angle against the trained one
#
# Positions run 0 … l-1, so in a window of length l pair i reaches angles up to (l - 1)θ_i, and
# in training it reached (L - 1)θ_i. Two kinds of pairs:
#
# * **Pairs that turned at least once in training**, (L - 1)θ_i ≥ 2π. Their trained angles
#   p·θ_i (mod 2π), p = 0 … L-1, lie all around the circle, never more than θ_i apart. A longer
#   window cannot take them out of their range; section 4 shows where their new angles fall.
# * **Pairs that never completed a turn** in training. They met only the arc from 0 to
#   (L - 1)θ_i. The rest of the circle, from (L - 1)θ_i to 2π, is new to them; an angle past 2π
#   wraps round onto the arc they met.
#
# The measure used here is the ratio of the largest angle reached to the largest angle met in
# training. It says how far a pair goes past its trained range; it does not say how new its
# angles are modulo 2π, where cos and sin repeat (section 4 measures that).
#
# With θ'_i = b'^(-2i/D) and b' = b·a^(D/(D-2)) (lesson 04), θ'_i/θ_i = a^(-2i/(D-2)), so the
# ratio of largest angles is
#
# r_i(l) = (l - 1)/(L - 1) · a^(-2i/(D-2))   (dynamic NTK),   r_i(l) = (l - 1)/(L - 1)   (no scaling),
#
# where the dynamic formula applies for l > L (at l ≤ L the base is unchanged and both agree).
#
# `rc.attention.angle_ranges` computes all of it (float64); here at l = 2L, s = 1.

# %%
r = angle_ranges(D, BASE, 2 * L, L, 1.0)
never = np.flatnonzero(~r["cycled"])
i_star = first_never_turned_pair(D, BASE, L)
print(f"pairs that made less than one turn in training: {never.min()}..{never.max()} "
      f"({r['n_uncycled']} pairs); pair {i_star} reached {r['trained_max'][i_star]:.3f} rad, "
      f"pair {i_star - 1} reached {r['trained_max'][i_star - 1]:.3f} rad")
print(f"l = 2L, s = 1: new base {r['new_base']:.1f}")
print("  pair  trained max  no scaling  dynamic NTK   (ratios to the trained max)")
for i in [0, 1, 16, 22, 23, 24, 26, 28, 30]:
    print(f"  {i:4d}  {r['trained_max'][i]:11.4f}  {r['plain_ratio'][i]:10.4f}  {r['dynamic_ratio'][i]:11.4f}")
print(f"never-turned pairs beyond their trained max: no scaling {r['n_beyond_plain']}, "
      f"dynamic NTK {r['n_beyond_dynamic']}; worst dynamic ratio {r['worst_dynamic_ratio']:.4f} (pair {i_star})")
assert list(never) == list(range(23, 32)) and i_star == 23
assert r["n_beyond_plain"] == 9 and r["n_beyond_dynamic"] == 9
assert round(r["worst_dynamic_ratio"], 3) == 1.196
assert r["dynamic_ratio"][0] == r["plain_ratio"][0]          # pair 0 never changes

# %% [markdown]
# At twice the trained length with s = 1, dynamic NTK leaves **the never-turned pairs beyond
# their trained range**: pair 23 by 19.6 %, pair 24 by 17 %, and so on down the band. Without
# scaling the same nine pairs go to twice their range. Dynamic NTK pulls them back part of the
# way, not inside. Pair 23 has gone past a full turn, though: its largest angle, 1.196 × 5.461 =
# 6.53 rad, is more than 2π, so the last positions wrap round onto angles it met (section 4
# measures how far its new angles really are).

# %%
assert r["dynamic_max"][i_star] > 2 * math.pi > r["trained_max"][i_star]           # pair 23 wrapped
assert (r["dynamic_max"][i_star + 1:] < 2 * math.pi).all()                          # pairs 24-31 did not
print(f"pair {i_star} at l = 2L, s = 1: largest angle {r['dynamic_max'][i_star]:.2f} rad (2π = {2 * math.pi:.2f})")

# %% [markdown]
# And for long windows it gets worse with length. The worst ratio and the number of never-turned
# pairs beyond their range, over the explorer's range of s:

# %%
factors, s_values = (2, 4, 8, 32), (1.0, 2.0, 4.0, 8.0, 16.0)
grid = {(f, s_): angle_ranges(D, BASE, f * L, L, s_) for f in factors for s_ in s_values}
print("worst never-turned ratio (pairs beyond)")
print("      l " + "".join(f"{'s = ' + format(s_, 'g'):>14}" for s_ in s_values))
for f in factors:
    cells = [f"{grid[f, s_]['worst_dynamic_ratio']:8.3f} ({grid[f, s_]['n_beyond_dynamic']})" for s_ in s_values]
    print(f"{f * L:7d} " + "".join(f"{c:>14}" for c in cells))
worst_s1 = [grid[f, 1.0]["worst_dynamic_ratio"] for f in factors]
assert [round(v, 3) for v in worst_s1] == [1.196, 1.430, 1.711, 2.446]
assert all(grid[f, 1.0]["n_beyond_dynamic"] == 9 for f in factors)
assert all(grid[2, s_]["worst_dynamic_ratio"] > grid[4, s_]["worst_dynamic_ratio"] for s_ in (4.0, 8.0, 16.0))
for s_ in s_values:   # from 4L on, the worst ratio grows with l at every s
    assert all(grid[a, s_]["worst_dynamic_ratio"] < grid[b, s_]["worst_dynamic_ratio"]
               for a, b in ((4, 8), (8, 32)))
assert [grid[f, 2.0]["n_beyond_dynamic"] > 0 for f in factors] == [False, False, True, True]
assert all(grid[f, s_]["n_beyond_dynamic"] == 0 for f in factors for s_ in (4.0, 8.0, 16.0))

# %% [markdown]
# At s = 1 the worst ratio climbs from ×1.196 at 2L to ×1.43 at 4L, ×1.71 at 8L and ×2.45 at
# 32L. A larger s pushes the problem to longer windows but does not remove it: at s = 2 the
# never-turned pairs are inside at 2L and 4L and beyond their range from 8L on (at s = 4, 8 and
# 16 they stay inside up to 32L). At s ≥ 4 the worst ratio even dips from 2L to 4L (while l is
# short, a^(2i*/(D-2)) grows faster than l - 1), but from 4L on it climbs at every s, and at a
# fixed s it grows without bound (exercise 1 asks how fast).
# That is a statement about the largest angle; on the circle, a pair that has wrapped stops
# getting newer angles (section 4).
#
# The slowest pair, i = D/2 - 1, is the exception: dynamic NTK divides its frequency by exactly
# a, so distance d gets the angle distance d/a had in training and the window reaches
# (l - 1)/((L - 1)a) of the trained range. At s = 1 (a = l/L) that is its range edge, above it
# only by the one-position offset (l - 1)L/((L - 1)l) (at most 1.00024 here, so it is among the
# nine counted beyond, by a hair). Lesson 04 showed that any s > L/(L-1) (every slider value
# above 1) squeezes it inside; the cell below shows how far: into two thirds of its range at
# s = 2 and 2L, less the longer the window, never below 1/s. It is the pairs between i* = 23 and
# the slowest that carry the effect.

# %%
for f in factors:
    l_ = f * L
    assert np.isclose(grid[f, 1.0]["dynamic_ratio"][-1], (l_ - 1) * L / ((L - 1) * l_), rtol=1e-12, atol=0)
assert grid[32, 1.0]["dynamic_ratio"][-1] < 1.00024
# for s > L/(L-1) the slowest pair is squeezed inside: a request of l tokens covers
# (l - 1)/((L - 1) a) of its range, a = s l/L - (s - 1); less the longer the window, never below 1/s
slowest_share = {(f, s_): float(grid[f, s_]["dynamic_ratio"][-1]) for f in factors for s_ in s_values}
print("slowest pair's share of its trained range, s = 2:", {f"{f}L": round(slowest_share[f, 2.0], 3) for f in factors})
for (f, s_), share in slowest_share.items():
    a = s_ * f - (s_ - 1)
    assert np.isclose(share, (f * L - 1) / ((L - 1) * a), rtol=1e-12)
    assert share > 1 / s_ and (share > 1) == (s_ == 1.0) and share < 1.00024
for s_ in s_values[1:]:
    assert all(slowest_share[f, s_] > slowest_share[g_, s_] for f, g_ in zip(factors, factors[1:]))
assert [round(slowest_share[f, 2.0], 3) for f in factors] == [0.667, 0.572, 0.533, 0.508]

# %% [markdown]
# **When are all never-turned pairs inside?** The largest ratio among them is at the smallest
# such index, i* = 23, so all stay inside exactly when a ≥ ((l - 1)/(L - 1))^((D - 2)/(2 i*)),
# that is
#
# s ≥ s_min(l) = (((l - 1)/(L - 1))^((D-2)/(2 i*)) - 1) / (l/L - 1).
#
# This is the YaRN paper's remark on NTK-aware scaling
# ([paper-yarn-3-1](../SOURCES.md#paper-yarn-3-1)), made exact for the dynamic class: some
# dimensions are pushed slightly "out-of-bound", so the factor must be set higher than the length
# ratio. The package's
# `rc.attention.s_min(seq_len, max_position_embeddings, dim, base)` is this formula; the table
# checks it against `angle_ranges`, which knows nothing of it. Lesson 10 puts the prediction to
# a trained model.

# %%
print("   l     s_min(l)   beyond at s_min   beyond just below")
s_mins = {}
for f in factors:
    l_ = f * L
    s_mins[f] = s_min(l_, L, D, BASE)
    at = angle_ranges(D, BASE, l_, L, s_mins[f] * (1 + 1e-9))["n_beyond_dynamic"]
    below = angle_ranges(D, BASE, l_, L, s_mins[f] * (1 - 1e-6))["n_beyond_dynamic"]
    print(f"{l_:6d}   {s_mins[f]:8.4f}   {at:15d}   {below:17d}")
    assert at == 0 and below == 1
assert [round(s_mins[f], 3) for f in factors] == [1.546, 1.827, 2.213, 3.415]

# %% [markdown]
# ## 4. Between the trained angles
#
# A pair that turned in training did not meet "every angle". It met L of them, p·θ_i mod 2π for
# p = 0 … L-1, at most θ_i apart around the circle. A new position's angle is almost never one of
# them: it falls between two, up to θ_i/2 from the nearest. That is a law (the trained angles
# leave no gap wider than θ_i); the sharp bound is half the widest gap between a pair's trained
# angles, which the cell computes too. `distance_to_trained_angles` measures the distance
# exactly: per pair, the largest distance (radians, on the circle) from an angle at positions
# 0 … l-1 to the nearest trained one. The same measure, in the same unit, says how new the
# never-turned pairs' angles are, modulo 2π.

# %%
turned = r["cycled"]   # pairs 0..22
print("largest distance to a trained angle (rad), dynamic NTK, s = 1")
print("      l   pairs that turned   never-turned pairs   pair 23   slowest pair")
distances = {}
for f in (2, 8, 32):
    l_ = f * L
    theta_now = inv_freq64(rc.dynamic_ntk_base(BASE, D, l_, L, 1.0), D)
    dist = distance_to_trained_angles(theta, theta_now, L, l_)
    distances[f] = dist
    assert np.all(dist[turned] <= theta[turned] / 2 + 1e-12)          # the law: at most half a step
    print(f"{l_:7d}   {dist[turned].max():17.4f}   {dist[~turned].max():18.3f}   {dist[i_star]:7.3f}"
          f"   {dist[-1]:12.1e}")
assert [round(distances[f][turned].max(), 3) for f in (2, 8, 32)] == [0.026, 0.026, 0.026]
assert [round(distances[f][~turned].max(), 2) for f in (2, 8, 32)] == [0.69, 1.52, 1.73]
assert [round(distances[f][i_star], 3) for f in (2, 8, 32)] == [0.411, 0.411, 0.411]
assert all(1e-4 < distances[f][-1] < 1.4e-4 for f in (8, 32)) and distances[2][-1] < 1e-4
# the farthest any angle can be from a turned pair's trained ones: half the widest gap between them
half_gap = np.empty(turned.sum())
for i in np.flatnonzero(turned):
    met = np.sort(np.mod(np.arange(L) * theta[i], 2 * math.pi))
    half_gap[i] = np.diff(np.append(met, met[0] + 2 * math.pi)).max() / 2
print(f"half the widest gap, pairs that turned: at most {half_gap.max():.4f} rad "
      f"(pair {half_gap.argmax()}; θ_0/2 = {theta[0] / 2:.1f})")
assert round(half_gap.max(), 3) == 0.026 and half_gap.argmax() == 6
assert np.all(half_gap <= theta[turned] / 2 + 1e-12)
assert all(np.all(distances[f][turned] <= half_gap + 1e-12) for f in distances)

# %% [markdown]
# Like with like, in radians from the nearest angle met in training:
#
# * the never-turned pairs are up to **0.69 rad** away at 2L, 1.52 at 8L, 1.73 at 32L: on the
#   part of the circle where nothing was trained;
# * pair 23, the one with the largest ratio (×1.196 at 2L, ×2.45 at 32L), is **0.41 rad** away
#   at all three lengths: once its angles have swept round the part of its circle it never met,
#   a longer window takes it no farther, however large its ratio grows. The ratio measures how
#   far a pair goes past the largest angle it met; this distance measures how new its angles are
#   (exercise 3 asks how far a never-turned pair can get at most);
# * the pairs that turned stay within **0.026 rad** of a trained angle: new positions
#   interpolate between angles the model met. That is half the widest gap between pair 6's
#   trained angles (the widest of pairs 0-22), so it holds at every length, every s and for any
#   method, not only in this table; the law θ_i/2 is far looser (0.5 rad for pair 0);
# * the slowest pair's one-position overshoot is about 1e-4 rad (0.7e-4 at 2L, 1.3e-4 at 32L).
#
# Those 0.026 rad are what **Resonance RoPE**
# ([paper-resonance-rope](../SOURCES.md#paper-resonance-rope)) removes: it rounds every
# wavelength 2π/θ_i to an integer λ, so that the angle at position p is the angle at p mod λ.
# For the pairs whose rounded wavelength is at most L, every later position then repeats an
# angle met in training exactly. The frequencies move by a few percent, so a model has to be
# trained (or fine-tuned) with them; the paper combines the rounding with YaRN, which handles
# the never-turned pairs that rounding cannot help (their wavelengths exceed L).

# %%
theta_res = resonance_inv_freq(BASE, D)
wavelengths = 2 * math.pi / theta_res
repeats = wavelengths <= L - 1
dist_res = distance_to_trained_angles(theta_res, theta_res, L, 8 * L)
dist_std = distance_to_trained_angles(theta, theta, L, 8 * L)
move = np.abs(theta_res / theta - 1)
print(f"pairs with an integer wavelength <= L - 1: {np.flatnonzero(repeats).min()}..{np.flatnonzero(repeats).max()}")
print(f"largest distance to a trained angle up to 8L, those pairs: standard {dist_std[repeats].max():.4f} rad, "
      f"Resonance {dist_res[repeats].max():.1e} rad")
print(f"largest change of a frequency by the rounding: {move.max():.1%} (pair {move.argmax()})")
assert list(np.flatnonzero(repeats)) == list(np.flatnonzero(turned))
assert dist_res[repeats].max() < 1e-9 and round(dist_std[repeats].max(), 3) == 0.026
assert round(move.max(), 3) == 0.047

# %% [markdown]
# ## 5. Explorer: angle ranges per pair
#
# D = 64, b = 10⁴, L = 4096. Black squares: no scaling, (l - 1)/(L - 1) for every pair. Blue
# dots: dynamic NTK at `scaling_factor`. Grey dashed line: the trained range (a ratio of 1). The
# shaded band holds the pairs that never completed a turn in training; a blue dot above the
# dashed line inside the band is a pair beyond its trained range, and the readout counts them.
# The y axis is linear from 0 and follows the data. Try `scaling_factor` 1 against 2 at
# `seq_len` 8192. Then hold s and move `seq_len` past L: at s = 1 every dot in the band climbs;
# at s = 4 the band first sinks (pair 23 lowest, 0.588, at 11585) and then its fast end climbs
# again (0.890 at 131072), while the slowest pair keeps sinking (its share falls with l, section 3).

# %%
from rope_course.explorers.attention import AttentionRangeExplorer

explorer = AttentionRangeExplorer()
band = ~grid[2, 1.0]["cycled"]
long_lengths = [n for n in explorer.controls["seq_len"].options if n > L]
sweep = {s_: np.array([AttentionRangeExplorer.compute(n, s_)["dynamic_ratio"][band] for n in long_lengths])
         for s_ in (1.0, 4.0)}
assert (np.diff(sweep[1.0], axis=0) > 0).all()                      # s = 1: every band pair climbs
worst4 = sweep[4.0][:, 0]                                            # pair 23, the worst at every length
assert long_lengths[worst4.argmin()] == 11585 and round(worst4.min(), 3) == 0.588
assert round(worst4[-1], 3) == 0.890 and (np.diff(sweep[4.0][:, -1]) < 0).all()
explorer.show()

# %% [markdown]
# ## 6. What "long-sequence attention looks like short-sequence training" means
#
# What the seed's sentence suggests, against what this lesson measured (D = 64, b = 10⁴,
# L = 4096):
#
# * *The long window is mapped back into the trained one.* **No.** At s = 1 the never-turned
#   pairs (23-31) go past the largest angle they met in training, the worst by ×1.196 at 2L,
#   ×1.71 at 8L and ×2.45 at 32L, and at any fixed s that ratio grows without bound. Modulo 2π
#   their angles reach up to 0.69 rad (2L) to 1.73 rad (32L) from the nearest angle met in training.
#   All of them stay inside only for s ≥ s_min(l) (1.546 at 2L, 3.415 at 32L).
# * *The other pairs stay in familiar territory.* **Between trained angles.** They cannot leave
#   their range, but new positions fall between the L angles they met, up to 0.026 rad away
#   (Resonance RoPE's integer wavelengths make them repeat exactly).
# * *Nearby tokens are treated as before.* **Only pair 0 is untouched**; the ones-score changes
#   by up to 0.093 for d ≤ 32 at l = 4L, s = 1.
# * *The model sees trained distances.* **No**: distances L … l-1 still occur; dynamic NTK
#   changes angles, not distances.
# * *It holds while generating.* **No**: with a post-RoPE KV cache every key keeps the base of
#   its own step (lesson 07, [HF #25104](../SOURCES.md#hf-25104)).
# * *It holds for a short prompt.* Only on a fresh module: a short call after a long one reuses
#   the long table (lesson 05, [HF #25306](../SOURCES.md#hf-25306)).
#
# What is exactly true: the highest frequency is unchanged, and the slowest pair's frequency is
# divided by exactly a, the boundary condition of lesson 04 (distance d gets the angle distance
# d/a had in training). At s = 1 that maps the window onto the slowest pair's trained range up to
# a one-position offset; for s > L/(L-1) onto part of it (section 3). Whether the
# model *behaves* as at short length is an empirical question (lesson 10); published evidence
# without fine-tuning is Qwen-7B's perplexity with its own dynamic NTK implementation
# ([qwen-readme](../SOURCES.md#qwen-readme)).
#
# ## Summary
#
# * After the rotation, q_m·k_n = Σ_i (q_i·k_i) cos(dθ_i) + (q_i×k_i) sin(dθ_i) with d = m - n:
#   only the distance matters (checked to float32 precision at positions up to 3007).
# * A pair can leave its trained range only if it made less than one turn in training; for
#   D = 64, b = 10⁴, L = 4096 those are pairs 23-31.
# * No scaling pushes all of them out by (l-1)/(L-1). Dynamic NTK divides pair i's ratio by
#   a^(2i/(D-2)), which at s = 1 is not enough for any of them (pairs 23-30 clearly, the slowest
#   by a hair, at most ×1.00024): the worst ratio is ×1.196 at 2L and ×2.45 at 32L. On the
#   circle, where cos and sin repeat, their new angles are up to 0.69 (2L) to 1.73 rad (32L)
#   from one met in training; a pair whose angles wrap past 2π (pair 23 by 2L) gets no farther.
#   All stay inside only for s ≥ s_min(l), a factor that grows with l.
# * The pairs that did turn met L discrete angles; new positions fall between them, within half
#   the widest gap (at most θ_i/2; 0.026 rad here, pair 6's, at any length and s). Resonance RoPE
#   rounds wavelengths to integers so they repeat exactly.
# * "Similar to short-sequence training" is exactly true for the highest pair only, at distances
#   below L (its frequency never changes). The slowest pair is interpolated: its frequency is
#   divided by exactly a, so distance d gets the angle distance d/a had in training. At s = 1 the
#   window then spans its trained range, up to a one-position offset (at most ×1.00024); for
#   s > L/(L-1), every slider value above 1, it stays inside, in (l-1)/((L-1)a) of the range
#   (0.667 at s = 2 and 2L, falling toward 1/s with l), like a window shorter than the trained
#   one. It is false for the never-turned band, at short distances, for distances ≥ L, while
#   decoding, and after history.
#
# ## Exercises
#
# Each cell calls a checker: "not attempted yet" until you answer, then "correct" or what is
# wrong, with a hint. Solutions: [solutions/06_attention.ipynb](solutions/06_attention.ipynb).
#
# **Exercise 1 (derive).** At a fixed s the worst never-turned ratio r_{i*}(l) grows like l^k
# for long l. Take Llama 2's rotary setting, D = 128, b = 10⁴, L = 4096, and give k (a number;
# first find i* for this D).

# %%
from rope_course.checks.lesson06 import check_farthest_new_angle, check_growth_exponent, check_longest_safe_length

answer = ...
result = check_growth_exponent(answer)

# %% [markdown]
# **Exercise 2 (compute).** With `scaling_factor` 1.75 (D = 64, b = 10⁴, L = 4096), what is the
# longest `seq_len` at which no never-turned pair exceeds its trained range? One integer; the
# tools of section 3 are enough.

# %%
answer = ...
result = check_longest_safe_length(answer)

# %% [markdown]
# **Exercise 3 (derive).** Pair 24 never completed a turn in training (D = 64, b = 10⁴,
# L = 4096). Over every angle on the circle, what is the largest distance (radians, on the
# circle) to the nearest of the L angles pair 24 met in training? That is as far as any
# `seq_len`, any `scaling_factor`, any method can take it. Work it out by hand: θ_24 is a round
# number.

# %%
answer = ...
result = check_farthest_new_angle(answer)
