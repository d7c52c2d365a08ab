# %% [markdown]
# # 01 · RoPE refresher: frequencies, the table layout, and DeepSeek's de-interleave
#
# Before the dynamic class can make sense, the plain rotary embedding has to be exact in your
# head, including two details that most write-ups (and the seed lesson series) get wrong: the
# **order** of the frequencies, and the **layout** of the cos/sin table that DeepSeek's
# `apply_rotary_pos_emb` undoes with a permutation.
#
# **Learning goals.** After this lesson you can
# 1. compute `inv_freq[i] = b^(-2i/D)` and say which end is fast (index 0: 1 radian per token);
# 2. read a row of the cos/sin cache: `emb[p, j] = p * inv_freq[j mod D/2]` (the
#    `cat(freqs, freqs)` layout pairs component `j` with `j + D/2`);
# 3. explain `rotate_half` as a 90-degree turn of each `(j, j + D/2)` pair;
# 4. explain DeepSeek's de-interleave and check that it turns the half-split formula into
#    ordinary adjacent-pair (complex-number) RoPE;
# 5. show with numbers that `q . k` after rotation depends only on the distance `m - n`.
#
# Sources for every claim about upstream: `shared/reference/upstream-rope-facts.md` (§1.2,
# §1.4, §7.2), which reads DeepSeek-V3's `modeling_deepseek.py` (intel/auto-round copy) and
# DeepSeek's reference `inference/model.py`.

# %%
import math

import matplotlib.pyplot as plt
import torch

import rope_course as rc
from rope_course.checks import compare

torch.manual_seed(0)
D, BASE = 64, 10000  # DeepSeek-V3's qk_rope_head_dim and rope_theta

# %% [markdown]
# ## 1. `inv_freq`: one frequency per pair, fastest first
#
# RoPE splits the `D` rotary components of a query or key into `D/2` two-dimensional pairs and
# turns pair `i` by the angle `p * inv_freq[i]` at position `p`, with
#
# $$\text{inv\_freq}[i] = b^{-2i/D}, \qquad i = 0, 1, \dots, D/2 - 1.$$
#
# The exponent `2i/D` grows from 0 to `(D-2)/D`, so `inv_freq` **falls**: index 0 is
# `b^0 = 1` radian per token, the **highest** frequency, one full turn every `2*pi ~ 6.28`
# tokens; the last index is the **lowest** frequency, with wavelength `2*pi / inv_freq[-1] =
# 2*pi * b^((D-2)/D)`. The package computes it exactly as upstream does (exponents from
# `arange(0, D, 2).float() / D`, so the result is float32):

# %%
inv_freq = rc.inv_freq_for_base(BASE, D)
wavelength = 2 * math.pi / inv_freq.double()
print("dtype:", inv_freq.dtype, " pairs:", inv_freq.numel())
print("inv_freq[:4]  =", [round(v, 4) for v in inv_freq[:4].tolist()])
print(f"inv_freq[0]   = {inv_freq[0].item():.6f} rad/token, wavelength {wavelength[0].item():.4f} tokens")
print(f"inv_freq[-1]  = {inv_freq[-1].item():.6e} rad/token, wavelength {wavelength[-1].item():.0f} tokens")
print(f"rc.longest_wavelength(10000, 64)  = {rc.longest_wavelength(BASE, 64):.0f} tokens")
print(f"rc.longest_wavelength(10000, 128) = {rc.longest_wavelength(BASE, 128):.0f} tokens")

assert inv_freq.dtype == torch.float32 and inv_freq.numel() == D // 2
assert inv_freq[0].item() == 1.0                                    # the fastest pair: 1 rad/token
assert bool((inv_freq[1:] < inv_freq[:-1]).all())                   # strictly slower with i
assert abs(wavelength[0].item() - 2 * math.pi) < 1e-12              # ~6.28 tokens
assert abs(wavelength[-1].item() / rc.longest_wavelength(BASE, 64) - 1) < 1e-6
assert round(rc.longest_wavelength(BASE, 64)) == 47117              # ~47k tokens for D = 64
assert round(rc.longest_wavelength(BASE, 128)) == 54410             # ~54k tokens for D = 128

# %% [markdown]
# ### Where the seed series is wrong (facts §7.2, items 3 and 14)
#
# * Its L4.1.1 tasks call `inv_freq[0] = 1` the "low freq, slow rotation" end and the last
#   index "high freq". It is the other way round: index 0 turns fastest (1 rad/token), the last
#   index slowest.
# * The same file computes `10000^0.0156 ~ 1.43` and `inv_freq = [1, 0.7, ...]` for `D = 128`.
#   The ratio between neighbours is `10000^(2/128) ~ 1.155`, so `inv_freq[1] ~ 0.866`.
# * L4.1.1 says "base=10000 (wavelength 10k tokens)". The longest wavelength is
#   `2*pi*b^((D-2)/D)`: about 47k tokens for `D = 64` and 54k for `D = 128` (cell above).

# %%
inv_freq_128 = rc.inv_freq_for_base(BASE, 128)
ratio = BASE ** (2 / 128)
print(f"10000^(2/128) = {ratio:.4f}   (seed: 1.43)")
print(f"inv_freq[1] for D=128 = {inv_freq_128[1].item():.4f}   (seed: 0.7)")
assert abs(ratio - 1.1548) < 1e-4
assert abs(inv_freq_128[1].item() - 0.8660) < 1e-4

# %%
fig, ax = plt.subplots(figsize=(7, 2.6), dpi=80)
ax.semilogy(range(D // 2), wavelength.numpy(), ".-")
ax.axhline(4096, color="gray", ls="--", lw=1)
ax.text(0.5, 4096 * 1.3, "4096 tokens", fontsize=8, color="gray")
ax.set_xlabel("pair index i (0 = highest frequency)")
ax.set_ylabel("wavelength (tokens)")
ax.set_title("wavelength 2*pi / inv_freq[i], D = 64, b = 10000", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# The fast pairs wrap around many times inside any context and encode **local** order; the slow
# pairs turn less than a full circle even over thousands of tokens and act like a smooth
# **absolute** position. Lessons 04 and 06 come back to what happens to the slow pairs past the
# trained window.
#
# ## 2. The table: `emb = cat(freqs, freqs)`, pairs `(j, j + D/2)`
#
# `_set_cos_sin_cache` (facts §1.2) builds `freqs = outer(t, inv_freq)` of shape
# `(seq_len, D/2)` and then **concatenates it with itself**: `emb = cat(freqs, freqs)`, so
#
# $$\text{emb}[p, j] = p \cdot \text{inv\_freq}[j \bmod D/2],$$
#
# and `cos_cached = cos(emb)`, `sin_cached = sin(emb)`. Components `j` and `j + D/2` share one
# angle: those are the pairs this formula rotates. We read the angles back out of the
# package's own table with `atan2(sin, cos)` (valid while every angle is below `pi`, so we use
# `D = 8` and positions 0..3):

# %%
small = rc.RotaryEmbedding(8)
cos8, sin8 = small(torch.zeros(1), seq_len=4)   # x only supplies dtype/device (lesson 02)
angles8 = torch.atan2(sin8, cos8)
inv8 = rc.inv_freq_for_base(BASE, 8)
print("inv_freq (D=8):", [float(f"{v:.4g}") for v in inv8.tolist()])
print("emb[1, :] recovered from the table:", [round(v, 6) for v in angles8[1].tolist()])
print("emb[1, 0:4] =", [round(v, 6) for v in angles8[1, :4].tolist()], " (seed: (inv_freq[0], 0, inv_freq[1], 0))")

positions = torch.arange(4.0).unsqueeze(1)
assert torch.allclose(angles8, positions * torch.cat((inv8, inv8)), atol=1e-6)  # emb[p, j] = p * inv_freq[j mod 4]
assert torch.equal(cos8[:, :4], cos8[:, 4:]) and torch.equal(sin8[:, :4], sin8[:, 4:])  # halves repeat
assert torch.allclose(angles8[1, :4], inv8, atol=1e-6)

# %% [markdown]
# The seed's L4.1.1 tasks claim `emb[1, 0:4] = (inv_freq[0], 0, inv_freq[1], 0)`, i.e. an
# interleaved layout with pairs `(2i, 2i+1)` (facts §7.2 item 15). The table above is
# half-split: `emb[1, 0:4] = inv_freq[0:4]`, and column `j` repeats in column `j + 4`.
#
# ## 3. `rotate_half`: a quarter turn of every `(j, j + D/2)` pair
#
# Split `x` into halves `x1 = x[:D/2]`, `x2 = x[D/2:]`; `rotate_half(x) = cat(-x2, x1)`. Then
#
# $$y = x \cos + \text{rotate\_half}(x) \sin \quad\Longrightarrow\quad
# \begin{aligned} y_j &= x_j \cos\theta_j - x_{j+D/2} \sin\theta_j,\\
# y_{j+D/2} &= x_{j+D/2} \cos\theta_j + x_j \sin\theta_j, \end{aligned}$$
#
# exactly the 2-D rotation of the pair `(x_j, x_{j+D/2})` by `theta_j` (the two table columns
# `j` and `j + D/2` hold the same angle). The package's code:

# %%
import inspect

print(inspect.getsource(rc.rotate_half))
x = torch.arange(1.0, 9.0)
print("x              =", x.tolist())
print("rotate_half(x) =", rc.rotate_half(x).tolist())
assert rc.rotate_half(x).tolist() == [-5.0, -6.0, -7.0, -8.0, 1.0, 2.0, 3.0, 4.0]
assert torch.equal(rc.rotate_half(rc.rotate_half(x)), -x)  # two quarter turns = a half turn

# %%
p = 3
y = x * cos8[p] + rc.rotate_half(x) * sin8[p]
theta = p * inv8
expected_y = torch.cat((x[:4] * theta.cos() - x[4:] * theta.sin(), x[4:] * theta.cos() + x[:4] * theta.sin()))
compare("y vs 2-D rotation formula", y, expected_y)
pair_norms_before = x[:4] ** 2 + x[4:] ** 2
pair_norms_after = y[:4] ** 2 + y[4:] ** 2
compare("pair lengths kept", pair_norms_after, pair_norms_before)
assert torch.allclose(y, expected_y, atol=1e-6)
assert torch.allclose(pair_norms_after, pair_norms_before, rtol=1e-6)

# %% [markdown]
# ## 4. DeepSeek's de-interleave: the weights want adjacent pairs
#
# DeepSeek-V3 was trained with **adjacent** pairs `(x_{2i}, x_{2i+1})`: its reference
# `inference/model.py` views each adjacent pair as one complex number and multiplies it by
# `e^{i p theta_i}` (facts §1.4). The table above pairs `(j, j + D/2)` instead. The remote
# `modeling_deepseek.py` bridges the two **inside `apply_rotary_pos_emb`**: before the
# half-split formula it views q and k as `(..., D/2, 2)`, swaps the last two axes and flattens
# back, which sends `[x0, x1, x2, x3, ...]` to `[x0, x2, ..., x1, x3, ...]`. Each adjacent pair
# `(x_{2i}, x_{2i+1})` lands at `(i, i + D/2)`, exactly where the half-split formula rotates it
# by `theta_i`. Llama's function, which this one claims to copy, has no such step.

# %%
print(inspect.getsource(rc.deinterleave))
v = torch.arange(8.0)
print("x               =", v.tolist())
print("deinterleave(x) =", rc.deinterleave(v).tolist())
assert rc.deinterleave(v).tolist() == [0.0, 2.0, 4.0, 6.0, 1.0, 3.0, 5.0, 7.0]
# adjacent pair (2i, 2i+1) ends up at (i, i + D/2):
for i in range(4):
    assert rc.deinterleave(v)[i] == 2 * i and rc.deinterleave(v)[i + 4] == 2 * i + 1

# %% [markdown]
# **Proof by numbers** that de-interleave + half-split = adjacent-pair complex RoPE. For random
# q and k (`D = 64`) at ten positions, compute (a) `rc.apply_rotary_pos_emb` (DeepSeek's path)
# and (b) the complex-number version written from scratch: `z_i = x_{2i} + i x_{2i+1}`, times
# `e^{i p inv_freq[i]}`, back to real adjacent pairs. The outputs of (a) stay in the permuted
# layout (facts §1.4), so we de-interleave (b) before comparing. Tables in float64 so that
# only the method, not float32 rounding, is compared:

# %%
def complex_rope(x, pos, inv):
    """Adjacent-pair RoPE: pair (x[2i], x[2i+1]) as a complex number times e^(i * pos * inv[i])."""
    z = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())
    turn = torch.polar(torch.ones_like(inv), pos.unsqueeze(-1) * inv)
    return torch.view_as_real(z * turn).reshape(x.shape)


q = torch.randn(1, 2, 10, D, dtype=torch.float64)    # (batch, heads, seq, D)
k = torch.randn(1, 2, 10, D, dtype=torch.float64)
position_ids = torch.arange(100, 110).unsqueeze(0)   # absolute positions 100..109
cos64, sin64 = rc.cos_sin_tables(inv_freq.double(), 128, torch.float64)
q_ds, k_ds = rc.apply_rotary_pos_emb(q, k, cos64, sin64, position_ids)
pos = position_ids[0].double().view(1, 1, 10)
q_cx = complex_rope(q, pos, inv_freq.double())
k_cx = complex_rope(k, pos, inv_freq.double())
compare("q: DeepSeek vs complex", q_ds, rc.deinterleave(q_cx))
compare("k: DeepSeek vs complex", k_ds, rc.deinterleave(k_cx))
compare("scores q.k", q_ds @ k_ds.transpose(-1, -2), q_cx @ k_cx.transpose(-1, -2))
assert torch.allclose(q_ds, rc.deinterleave(q_cx), atol=1e-12)
assert torch.allclose(k_ds, rc.deinterleave(k_cx), atol=1e-12)
# the layout does not matter for attention: q and k are permuted alike
assert torch.allclose(q_ds @ k_ds.transpose(-1, -2), q_cx @ k_cx.transpose(-1, -2), atol=1e-10)

# %% [markdown]
# And without the de-interleave (Llama's formula applied to DeepSeek's weights) the rotation
# pairs the wrong components: `x_0` is turned together with `x_32` instead of `x_1`. The
# scores change, so a port that drops the permutation silently breaks the pretrained model
# (facts, pitfall 4):

# %%
cos_rows, sin_rows = cos64[position_ids].unsqueeze(1), sin64[position_ids].unsqueeze(1)
q_llama = q * cos_rows + rc.rotate_half(q) * sin_rows
k_llama = k * cos_rows + rc.rotate_half(k) * sin_rows
scores_ds = q_ds @ k_ds.transpose(-1, -2)
scores_llama = q_llama @ k_llama.transpose(-1, -2)
gap = (scores_ds - scores_llama).abs().max().item()
print(f"largest score difference without the de-interleave: {gap:.2f}")
assert gap > 1.0

# %% [markdown]
# ## 5. The relative-position property
#
# Rotating q at position m by `m*theta` and k at position n by `n*theta` leaves, for every pair,
# `Re(z_q conj(z_k) e^{i (m - n) theta})`: the score depends on **m - n only**. Same q and k,
# placed at different absolute positions with the same distance 3:

# %%
rope = rc.RotaryEmbedding(D)
cos32, sin32 = rope(torch.zeros(1), seq_len=4096)   # float32, the model's table
q1 = torch.randn(1, 1, 1, D)
k1 = torch.randn(1, 1, 1, D)


def score(m, n, cos, sin, q=q1, k=k1):
    """q placed at position m, k at position n, both rotated DeepSeek's way; returns q.k."""
    q_rot, _ = rc.apply_rotary_pos_emb(q.to(cos.dtype), q.to(cos.dtype), cos, sin, torch.tensor([[m]]))
    k_rot, _ = rc.apply_rotary_pos_emb(k.to(cos.dtype), k.to(cos.dtype), cos, sin, torch.tensor([[n]]))
    return (q_rot * k_rot).sum().item()


pairs = [(3, 0), (5, 2), (105, 102), (1005, 1002), (4000, 3997)]
cos_d, sin_d = rc.cos_sin_tables(inv_freq.double(), 4096, torch.float64)
same_distance_64 = [score(m, n, cos_d, sin_d) for m, n in pairs]
same_distance_32 = [score(m, n, cos32, sin32) for m, n in pairs]
for (m, n), s64, s32 in zip(pairs, same_distance_64, same_distance_32):
    print(f"m={m:5d} n={n:5d}  m-n={m - n}:  score (float64 table) {s64:.10f}   (float32 table) {s32:.6f}")
other = {d: score(10 + d, 10, cos_d, sin_d) for d in (0, 1, -3, 8)}
print("other distances:", {d: round(s, 4) for d, s in other.items()})

assert max(same_distance_64) - min(same_distance_64) < 1e-10   # exact up to float64 rounding
assert max(same_distance_32) - min(same_distance_32) < 1e-3    # float32 angles: small drift
assert all(abs(s - same_distance_64[0]) > 0.1 for s in other.values())  # other distances differ

# %% [markdown]
# In float64 the five scores agree to about 1e-12. In float32, the table the model actually
# uses, they drift in the fourth decimal at position 4000, because `p * inv_freq` is rounded to
# float32 before the cosine (lesson 08 measures this at 100k+ positions).
#
# ## 6. Explorer: how far each pair has turned at position p
#
# Move `seq_len` (the last token sits at `p = seq_len - 1`; click a handle and press
# ArrowRight to move one notch). **Left:** where the unit vector `(1, 0)` of five pairs lands
# (angle modulo `2*pi`, all the dot product sees), under the base actually used. **Right:**
# the unwrapped angle in turns for all 32 pairs: plain RoPE (gray), dynamic NTK with
# `L = 4096` and the chosen `scaling_factor` (blue), and the largest angle each pair reached
# inside a 4096-token training window (green, dashed). Past 4096 the slow pairs of plain RoPE
# leave their trained range; the dynamic base (lesson 04) pulls them back.

# %%
from rope_course.explorers.rotation import RotationExplorer, rotation_state

explorer = RotationExplorer()
explorer.show()

# %% [markdown]
# The explorer's numbers are plain functions you can call. At the edge of training
# (`seq_len = 4096`) the slowest pair has turned 0.546 rad, under a tenth of a turn; plain RoPE
# at 131072 tokens turns it 17.5 rad (2.8 turns, angles it never saw); the dynamic base with
# `scaling_factor = 1` brings it back to 0.546 rad, because at `s = 1` the slowest pair is
# scaled exactly like interpolation by `l/L` (lesson 04). With `scaling_factor = 4` it
# overshoots to 0.14 rad:

# %%
edge = rotation_state(4096, 1.0)
far = rotation_state(131072, 1.0)
far4 = rotation_state(131072, 4.0)
print(f"slowest pair at p=4095:           {edge['lowest_plain']:.4f} rad")
print(f"slowest pair at p=131071, plain:  {far['lowest_plain']:.4f} rad = {far['lowest_plain'] / (2 * math.pi):.2f} turns")
print(f"slowest pair at p=131071, s=1:    {far['lowest_dynamic']:.4f} rad (base {far['base']:.1f})")
print(f"slowest pair at p=131071, s=4:    {far4['lowest_dynamic']:.4f} rad (base {far4['base']:.1f})")
assert abs(edge["lowest_plain"] - 0.5461) < 1e-4
assert abs(far["lowest_plain"] - 17.4786) < 1e-4
assert abs(far["lowest_dynamic"] / edge["lowest_plain"] - 1) < 1e-3
assert abs(far4["lowest_dynamic"] - 0.1398) < 1e-4
assert far["angles_dynamic"][0] == far["angles_plain"][0] == 131071.0  # pair 0 never changes

# %% [markdown]
# ## Summary
#
# * `inv_freq[i] = b^(-2i/D)`, float32; index 0 = 1 rad/token (highest frequency, wavelength
#   `2*pi`), last index lowest (wavelength `2*pi*b^((D-2)/D)`, ~47k tokens for D = 64).
# * The cache is `cos/sin(cat(freqs, freqs))`: `emb[p, j] = p*inv_freq[j mod D/2]`, pairs
#   `(j, j + D/2)`; `rotate_half` turns each such pair by a quarter turn, so
#   `x cos + rotate_half(x) sin` rotates it by `theta_j`.
# * DeepSeek's weights pair adjacent components; its `apply_rotary_pos_emb` de-interleaves q and
#   k first, which makes the half-split formula equal to adjacent-pair complex RoPE (checked to
#   1e-12). Dropping that step changes the scores.
# * After rotation `q . k` depends only on `m - n` (exactly in float64; to ~1e-4 in float32 at
#   position 4000).
# * Seed errors corrected here: frequency order (§7.2 item 3), wrong numbers (item 14), the
#   `emb` layout (item 15).
#
# ## Exercises
#
# Each checker answers "not attempted yet", "correct", or the first case that is wrong with
# expected vs got. Solutions: `lessons/solutions/01_rope_refresher.ipynb`.
#
# **Exercise 1.** Write `my_inv_freq(base, dim)` returning the float32 tensor of the `dim/2`
# inverse frequencies, index 0 first (highest).

# %%
from rope_course.checks.lesson01 import check_deinterleave, check_inv_freq, check_rope_adjacent


def my_inv_freq(base, dim):
    raise NotImplementedError  # your code here


result = check_inv_freq(my_inv_freq)

# %% [markdown]
# **Exercise 2.** Write `my_deinterleave(x)` that maps `[x0, x1, x2, x3, ...]` to
# `[x0, x2, ..., x1, x3, ...]` on the last axis, for any number of leading axes.

# %%
def my_deinterleave(x):
    raise NotImplementedError  # your code here


result = check_deinterleave(my_deinterleave)

# %% [markdown]
# **Exercise 3.** Write `my_rope_adjacent(x, position, inv_freq)` for a 1-D float64 `x` of
# length `D`: turn each adjacent pair `(x[2i], x[2i+1])` by `position * inv_freq[i]`
# (counter-clockwise) and return the result in the **same adjacent layout**. Use any method
# (complex numbers, or de-interleave + half-split + undo the permutation); the checker compares
# against the package's DeepSeek path.

# %%
def my_rope_adjacent(x, position, inv_freq):
    raise NotImplementedError  # your code here


result = check_rope_adjacent(my_rope_adjacent)
