# %% [markdown]
# # 06 · RoPE inside attention: what dynamic NTK keeps, and what it does not
#
# Lessons 01-05 built the cos/sin tables. Here they meet attention: a query and a key are both
# rotated, and their dot product is what the softmax sees. The seed lesson (4.3.3, "In
# Attention") says the *dynamic base makes long-seq attention similar to short-seq trained*.
# We turn that sentence into numbers.
#
# **Learning goals**
#
# 1. Show that after `apply_rotary_pos_emb` the score `q_m · k_n` depends on `m - n` only, and
#    derive the closed form per frequency pair.
# 2. Plot a score against distance inside the trained window `L`, under plain extrapolation past
#    it, and under dynamic NTK.
# 3. For each frequency pair, compare the largest angle a long window reaches with the largest
#    angle the training window reached; count the pairs that leave their trained range with no
#    scaling and with dynamic NTK, and say exactly when the lowest pair stays inside.
# 4. State what the seed's sentence does and does not mean, with the numbers.
#
# Notation as before: D = dim, b = base, L = `max_position_embeddings`, s = `scaling_factor`,
# l = sequence length, a(l) = 1 + s(l/L - 1), θ_i = b^(-2i/D).

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch

import rope_course as rc
from rope_course.attention import angle_ranges, inv_freq64, ones_score, rope_score

torch.manual_seed(0)
D, BASE, L = 64, 10000.0, 4096   # DeepSeek-V3's rope width and base; a 4096-token trained window
print("D =", D, " base =", BASE, " L =", L)

# %% [markdown]
# ## 1. The rotation inside attention
#
# DeepSeek's `apply_rotary_pos_emb` (upstream-rope-facts §1.4) de-interleaves q and k and then
# turns each original adjacent pair (x_{2i}, x_{2i+1}) at position p by the angle p·θ_i. A
# rotation matrix R(φ) satisfies R(α)ᵀR(β) = R(β - α), so for a query at m and a key at n
#
# q_m · k_n = Σ_i q_iᵀ R(m θ_i)ᵀ R(n θ_i) k_i = Σ_i q_iᵀ R(-(m - n) θ_i) k_i
#
# = Σ_i (q_i · k_i) cos((m - n) θ_i) + (q_i × k_i) sin((m - n) θ_i),
#
# with q_i · k_i = q_{2i} k_{2i} + q_{2i+1} k_{2i+1} and q_i × k_i = q_{2i} k_{2i+1} - q_{2i+1} k_{2i}.
# Only the distance d = m - n appears. First the numbers: rotate one random q and k with the
# package's table at three (m, n) with the same distance 7.

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

fig, (ax_std, ax_dyn) = plt.subplots(1, 2, figsize=(9, 3.2), dpi=80, sharey=True)
ax_std.plot(d[inside], S_std[inside], color="k", lw=0.8, label="trained window (d < L)")
ax_std.plot(d[~inside], S_std[~inside], color="tab:red", lw=0.8, alpha=0.7, label="plain extrapolation (d >= L)")
ax_std.set_title("standard RoPE", fontsize=10)
ax_dyn.plot(d, S_dyn, color="tab:blue", lw=0.8, label="dynamic NTK, l = 4L, s = 1")
ax_dyn.set_title("dynamic NTK at l = 4L", fontsize=10)
for ax in (ax_std, ax_dyn):
    ax.axhline(min_trained, color="k", ls=":", lw=1)
    ax.axvline(L, color="gray", ls="--", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("distance d = m - n (log); dashed: L")
    ax.legend(fontsize=8, loc="lower left")
ax_std.set_ylabel("S(d) = ones score / D")
fig.tight_layout()
plt.show()

# %% [markdown]
# What the curves say:
#
# * Past L, plain extrapolation produces scores the model never met: S(d) drops to -0.388
#   against a trained minimum of -0.244 (dotted line). The distances themselves are new too.
# * Dynamic NTK stretches the slow part of the curve (the low-frequency pairs turn more slowly),
#   but it does **not** map the long window onto the trained one: its minimum, -0.340, is still
#   below the trained minimum, and distances ≥ L still occur.
# * It also changes short distances: for d ≤ 32 the dynamic curve differs from the standard one by
#   up to 0.093. Only pair 0 (θ_0 = 1 rad/token) is exactly unchanged; pair i's frequency is
#   multiplied by a^(-2i/(D-2)) (lesson 04), which is already 0.96 for i = 1 at a = 4.
#
# One curve for one structured q and k is an illustration. The per-pair angle count below is
# the precise statement.
#
# ## 3. Per pair: the largest angle against the trained one
#
# Positions run 0 … l-1, so in a window of length l pair i reaches angles up to (l - 1)θ_i, and
# in training it reached (L - 1)θ_i. Two kinds of pairs:
#
# * **Pairs that turned at least once in training**, (L - 1)θ_i ≥ 2π. They have met every angle
#   modulo 2π; a longer window gives them no new angle on their own.
# * **Pairs that never completed a turn** in training. For them a larger angle is genuinely new.
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
uncycled = np.flatnonzero(~r["cycled"])
print(f"pairs that made less than one turn in training: {uncycled.min()}..{uncycled.max()} "
      f"({r['n_uncycled']} pairs); pair {uncycled.min()} reached {r['trained_max'][uncycled.min()]:.3f} rad, "
      f"pair {uncycled.min() - 1} reached {r['trained_max'][uncycled.min() - 1]:.3f} rad")
print(f"l = 2L, s = 1: new base {r['new_base']:.1f}")
print("  pair  trained max  no scaling  dynamic NTK   (ratios to the trained max)")
for i in [0, 1, 16, 22, 23, 24, 28, 31]:
    print(f"  {i:4d}  {r['trained_max'][i]:11.4f}  {r['plain_ratio'][i]:10.4f}  {r['dynamic_ratio'][i]:11.6f}")
print(f"uncycled pairs beyond their trained max: no scaling {r['n_beyond_plain']}, "
      f"dynamic NTK {r['n_beyond_dynamic']}; worst dynamic ratio {r['worst_dynamic_ratio']:.4f} (pair {uncycled.min()})")
assert list(uncycled) == list(range(23, 32))
assert r["n_beyond_plain"] == 9 and r["n_beyond_dynamic"] == 9
assert round(r["worst_dynamic_ratio"], 3) == 1.196
assert r["dynamic_ratio"][0] == r["plain_ratio"][0]          # pair 0 never changes

# %% [markdown]
# At twice the trained length with s = 1, dynamic NTK leaves **all nine** never-turned pairs
# (23-31) beyond their trained range: pair 23 by 19.6 %, the lowest pair by a hair. Without
# scaling the same nine pairs go to twice their range.
#
# **When does the lowest pair stay inside?** At i = D/2 - 1 the exponent is -1, so
# r_last = (l - 1)/((L - 1)·a). Writing a = 1 + s(l - L)/L and (l - 1)/(L - 1) = 1 + (l - L)/(L - 1):
#
# r_last ≤ 1  ⇔  s(l - L)/L ≥ (l - L)/(L - 1)  ⇔  **s ≥ L/(L - 1)**   (for every l > L).
#
# So with s = 1 the lowest pair overshoots, by the factor (l - 1)L/((L - 1)l) < L/(L - 1)
# (at most 1.000244 for L = 4096); any s ≥ L/(L - 1) keeps it inside at every length.

# %%
for l_ in [L + 1, 2 * L, 8 * L, 32 * L]:
    over = angle_ranges(D, BASE, l_, L, 1.0)["dynamic_ratio"][-1]
    assert np.isclose(over, (l_ - 1) * L / ((L - 1) * l_), rtol=1e-12, atol=0) and over > 1
    s_edge = L / (L - 1)
    inside_at_edge = angle_ranges(D, BASE, l_, L, s_edge)["dynamic_ratio"][-1]
    just_below = angle_ranges(D, BASE, l_, L, 1 + 0.5 / (L - 1))["dynamic_ratio"][-1]
    assert inside_at_edge <= 1 + 1e-12 and just_below > 1
    print(f"l = {l_:6d}: lowest pair ratio with s = 1: {over:.7f};  with s = L/(L-1): {inside_at_edge:.7f}")
print(f"L/(L-1) = {L / (L - 1):.6f}")

# %% [markdown]
# **And all never-turned pairs?** The largest ratio among them is at the smallest such index
# i* = 23, so all stay inside exactly when a ≥ ((l - 1)/(L - 1))^((D - 2)/(2 i*)), that is
#
# s ≥ s_min(l) = (((l - 1)/(L - 1))^((D-2)/(2 i*)) - 1) / (l/L - 1).
#
# This is the YaRN paper's remark on NTK-aware scaling (§3.1; facts §6.1) made exact: some
# dimensions are pushed slightly "out-of-bound", so the factor must be set higher than the
# length ratio.

# %%
i_star = 23
print("   l     s_min(l)   beyond at s_min   beyond just below")
s_mins = {}
for l_ in [2 * L, 4 * L, 8 * L, 32 * L]:
    s_min = (((l_ - 1) / (L - 1)) ** ((D - 2) / (2 * i_star)) - 1) / (l_ / L - 1)
    at = angle_ranges(D, BASE, l_, L, s_min * (1 + 1e-9))["n_beyond_dynamic"]
    below = angle_ranges(D, BASE, l_, L, s_min * (1 - 1e-6))["n_beyond_dynamic"]
    s_mins[l_] = s_min
    print(f"{l_:6d}   {s_min:8.4f}   {at:15d}   {below:17d}")
    assert at == 0 and below == 1
assert round(s_mins[2 * L], 3) == 1.546 and round(s_mins[32 * L], 3) == 3.415

# %% [markdown]
# ## 4. Explorer: angle ranges per pair
#
# D = 64, b = 10⁴, L = 4096. Gray: no scaling, (l - 1)/(L - 1) for every pair. Blue: dynamic
# NTK at `scaling_factor`. The shaded pairs never completed a turn in training; a blue dot above
# the dashed line in the shaded band is a pair beyond its trained range. The readout counts them.
# Try `scaling_factor` 1 against 2 at `seq_len` 8192, and watch the worst ratio grow with
# `seq_len` at s = 1.

# %%
from rope_course.explorers.attention import AttentionRangeExplorer

explorer = AttentionRangeExplorer()
explorer.show()

# %% [markdown]
# ## 5. What "long-sequence attention looks like short-sequence training" means
#
# | the seed's sentence suggests | measured here |
# |---|---|
# | the long window is mapped back into the trained one | **only the lowest pair**: its largest angle returns to its trained range exactly when s ≥ L/(L-1); with s = 1 it overshoots by (l-1)L/((L-1)l) |
# | every pair stays in familiar territory | **no**: at l = 2L, s = 1, all 9 never-turned pairs (23-31) exceed their trained range (worst ×1.196; ×1.43 at 4L, ×2.45 at 32L); none do only when s ≥ s_min(l) (1.546 at 2L, 3.415 at 32L) |
# | nearby tokens are treated as before | **only pair 0 is untouched**; the ones-score changes by up to 0.093 for d ≤ 32 at l = 4L |
# | the model sees trained distances | **no**: distances L … l-1 still occur; dynamic NTK changes angles, not distances, and S(d) still goes below its trained minimum (-0.340 vs -0.244) |
# | holds while generating | **no**: with a post-RoPE KV cache every key keeps the base of its own step (lesson 07, HF #25104) |
# | holds for a short prompt | only on a fresh module: a short call after a long one reuses the long table (lesson 05, HF #25306) |
#
# What remains true: the pairs that already turned in training (0-22 here) meet no angle they
# have not seen, the highest frequency is unchanged, and the lowest is interpolated, as the
# boundary condition of lesson 04 demands. Whether the model *behaves* as at short length is an
# empirical question (lesson 10); the published no-fine-tuning evidence is Qwen-7B's (facts §6.4).
#
# ## Summary
#
# * After the rotation, q_m·k_n = Σ_i (q_i·k_i) cos(dθ_i) + (q_i×k_i) sin(dθ_i) with d = m - n:
#   only the distance matters (checked to float32 precision at positions up to 3007).
# * A pair can leave its trained range only if it made less than one turn in training; for
#   D = 64, b = 10⁴, L = 4096 those are pairs 23-31.
# * No scaling pushes all of them out by (l-1)/(L-1). Dynamic NTK divides pair i's ratio by
#   a^(2i/(D-2)): pair 31 returns inside iff s ≥ L/(L-1), but with s = 1 pairs 23-30 still exceed
#   (×1.196 at 2L); all stay inside only for s ≥ s_min(l).
# * "Similar to short-sequence training" is true for the highest and the lowest pair, and false
#   in between, at short distances, for distances ≥ L, while decoding, and after history.
#
# ## Exercises
#
# Each cell calls a checker: "not attempted yet" until you replace the `raise`, then "correct" or
# the first case that is wrong. Solutions: `lessons/solutions/06_attention.ipynb`.
#
# **Exercise 1.** `score_at_distance(q, k, distance, inv_freq)`: the score q_m·k_n after the
# rotation for m - n = `distance`, from the closed form of section 1 (q, k: 1-D tensors of length
# D in the model's interleaved layout; return a float).

# %%
from rope_course.checks.lesson06 import check_pairs_beyond, check_max_angle_ratios, check_score_at_distance


def score_at_distance(q, k, distance, inv_freq):
    raise NotImplementedError


result = check_score_at_distance(score_at_distance)

# %% [markdown]
# **Exercise 2.** `max_angle_ratios(dim, base, seq_len, max_position_embeddings, scaling_factor)`:
# for every pair, the largest angle reached in a window of `seq_len` with the dynamic NTK base,
# divided by the largest angle reached in the training window (a float64 array of length dim/2).
# Remember positions start at 0.

# %%
def max_angle_ratios(dim, base, seq_len, max_position_embeddings, scaling_factor):
    raise NotImplementedError


result = check_max_angle_ratios(max_angle_ratios)

# %% [markdown]
# **Exercise 3.** `pairs_beyond(dim, base, seq_len, max_position_embeddings, scaling_factor)`:
# how many pairs that made less than one full turn in training ((L-1)θ_i < 2π) exceed their
# trained largest angle under dynamic NTK (an int).

# %%
def pairs_beyond(dim, base, seq_len, max_position_embeddings, scaling_factor):
    raise NotImplementedError


result = check_pairs_beyond(pairs_beyond)
