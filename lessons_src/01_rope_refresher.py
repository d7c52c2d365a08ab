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
# 5. show with numbers that `q . k` after rotation depends only on the distance `m - n`;
# 6. picture each pair as a clock hand, and say which pairs a longer sequence takes past the
#    angles they saw in training.
#
# Every claim about upstream's code cites an entry of the course's [SOURCES.md](../SOURCES.md):
# DeepSeek-V3's `modeling_deepseek.py` ([upstream-file](../SOURCES.md#upstream-file)) and DeepSeek's
# reference `inference/model.py` ([deepseek-v3-inference](../SOURCES.md#deepseek-v3-inference)).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import rope_course as rc
from rope_course.checks import compare
from rope_course.explorers import style

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
# `arange(0, D, 2).float() / D`, so the result is float32;
# [upstream-init](../SOURCES.md#upstream-init)):

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
# ### Where the seed series is wrong
#
# * The tasks of its lesson 4.1.1 call `inv_freq[0] = 1` the "low freq, slow rotation" end and
#   the last index "high freq" ([seed 4.1.1 tasks](../SOURCES.md#seed-4-1-1-tasks)). It is the
#   other way round: index 0 turns fastest (1 rad/token), the last index slowest.
# * The same file computes `10000^0.0156 ~ 1.43` and `inv_freq = [1, 0.7, ...]` for `D = 128`.
#   The ratio between neighbours is `10000^(2/128) ~ 1.155`, so `inv_freq[1] ~ 0.866`.
# * Lesson 4.1.1 says "base=10000 (wavelength 10k tokens)" ([seed 4.1.1](../SOURCES.md#seed-4-1-1)).
#   The longest wavelength is `2*pi*b^((D-2)/D)`: about 47k tokens for `D = 64` and 54k for
#   `D = 128` (cell above).

# %%
inv_freq_128 = rc.inv_freq_for_base(BASE, 128)
ratio = BASE ** (2 / 128)
print(f"10000^(2/128) = {ratio:.4f}   (seed: 1.43)")
print(f"inv_freq[1] for D=128 = {inv_freq_128[1].item():.4f}   (seed: 0.7)")
assert abs(ratio - 1.1548) < 1e-4
assert abs(inv_freq_128[1].item() - 0.8660) < 1e-4

# %% [markdown]
# The wavelengths span four decades, so this one picture uses a log axis (drawn in the course's
# figure style, `rope_course.explorers.style`):

# %%
L = 4096  # the training window the pictures below assume
longer = wavelength.numpy() > L
with style.context():
    fig, ax = plt.subplots(figsize=style.figsize(3.2), dpi=style.DPI)
    pairs = np.arange(D // 2)
    ax.plot(pairs[~longer], wavelength.numpy()[~longer], "o-", color=style.PLAIN, ms=5,
            label="wavelength 2 pi / inv_freq[i] (tokens)")
    ax.plot(pairs[longer], wavelength.numpy()[longer], "s-", color=style.BEYOND, ms=5,
            label=f"longer than L = {L}: never a full turn in training")
    ax.axhline(L, color=style.REFERENCE, ls="--", lw=1.2, label=f"L = {L} tokens")
    ax.set_yscale("log")
    style.plain_ticks(ax.yaxis, [6.283, 100, 1000, 4096, 47117], ["2 pi", "100", "1000", "4096", "47117"])
    style.plain_ticks(ax.xaxis, [0, 8, 16, 23, 31])
    ax.set_xlabel("pair i (0 = highest frequency), D = 64, b = 10000")
    style.legend(ax, ncols=2)
    fig.tight_layout()
    plt.show()
print("pairs whose wavelength exceeds L:", [int(i) for i in pairs[longer]])
assert list(pairs[longer]) == list(range(23, 32))

# %% [markdown]
# The fast pairs wrap around many times within a few thousand tokens (pair 0 every 6.3 tokens)
# and resolve **local** order; the slow pairs turn less than a full circle even over thousands of
# tokens. They are still **relative**,
# like every pair (section 5 proves that each pair's contribution to `q . k` depends only on
# `m - n`), but coarse: they tell near from far over long distances, where the fast pairs have
# long since wrapped. Section 6 draws this as clocks; lessons 04 and 06 come back to what
# happens to the slow pairs past the trained window.
#
# ## 2. The table: `emb = cat(freqs, freqs)`, pairs `(j, j + D/2)`
#
# `_set_cos_sin_cache` ([upstream-set-cos-sin-cache](../SOURCES.md#upstream-set-cos-sin-cache))
# builds `freqs = outer(t, inv_freq)` of shape
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
# The series' lesson 4.1.1 tasks expect `emb[1, 0:4]` to be `(inv_freq[0], 0, inv_freq[1], 0)`,
# i.e. an interleaved layout with pairs `(2i, 2i+1)`
# ([seed 4.1.1 tasks](../SOURCES.md#seed-4-1-1-tasks)). The table above is half-split:
# `emb[1, 0:4] = inv_freq[0:4]`, and column `j` repeats in column `j + 4`.
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
# `j` and `j + D/2` hold the same angle). The package's code, as upstream's
# ([upstream-rotate-half](../SOURCES.md#upstream-rotate-half)):

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
# `e^{i p theta_i}` ([deepseek-v3-inference](../SOURCES.md#deepseek-v3-inference)). The table
# above pairs `(j, j + D/2)` instead. The remote `modeling_deepseek.py` bridges the two **inside
# `apply_rotary_pos_emb`** ([upstream-apply-rotary](../SOURCES.md#upstream-apply-rotary)): before the
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
# layout (upstream never undoes the permutation), so we de-interleave (b) before comparing. Tables in float64 so that
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
# scores change, so a port that drops the permutation silently breaks the pretrained model:

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
# `Re(z_q conj(z_k) e^{i (m - n) theta})`: the score depends on **m - n only**
# ([paper-roformer](../SOURCES.md#paper-roformer)). Same q and k, placed at different absolute
# positions with the same distance 3:

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

assert max(same_distance_64) - min(same_distance_64) < 1e-13   # exact up to float64 rounding
drift_32 = max(same_distance_32) - min(same_distance_32)
print(f"float32 spread of the five scores: {drift_32:.1e}")
assert 1e-4 < drift_32 < 5e-4                                  # float32 angles: a drift in the 4th decimal
assert all(abs(s - same_distance_64[0]) > 0.1 for s in other.values())  # other distances differ

# %% [markdown]
# In float64 the five scores agree to within 1e-13. In float32, the table the model actually
# uses, they spread by about 2e-4 (the fourth decimal, at position 4000). Which rounding is it?
# Two tables in float64 that each keep one of float32's two roundings tell: the angle
# `p * inv_freq` rounded to float32 (then an exact cosine), or the exact angle with its cosine and
# sine rounded to float32:

# %%
positions_f64 = torch.arange(4096, dtype=torch.float64)
angle_rounded = torch.outer(positions_f64.float(), inv_freq).double()       # float32 product, kept exact after
angle_exact = torch.outer(positions_f64, inv_freq.double())
angle_rounded, angle_exact = torch.cat((angle_rounded, angle_rounded), -1), torch.cat((angle_exact, angle_exact), -1)
spread = {}
for label, cos_t, sin_t in (("angles rounded to float32", angle_rounded.cos(), angle_rounded.sin()),
                            ("cos and sin rounded to float32", angle_exact.cos().float().double(),
                             angle_exact.sin().float().double())):
    scores = [score(m, n, cos_t, sin_t) for m, n in pairs]
    spread[label] = max(scores) - min(scores)
    print(f"{label:31s}: spread {spread[label]:.1e}")
assert abs(spread["angles rounded to float32"] / drift_32 - 1) < 0.1     # the angle rounding is the drift
ratio = spread["angles rounded to float32"] / spread["cos and sin rounded to float32"]
print(f"angle rounding / output rounding: {ratio:.0f}x")
assert ratio > 100                                                          # a few hundred times smaller

# %% [markdown]
# The angle's rounding is the drift: at position 4000 a float32 number is spaced `2^-12 ~ 2.4e-4`
# apart, so `p * inv_freq` can be off by half that before the cosine is taken; the rounding of
# cos and sin themselves is a few hundred times smaller (lesson 08 measures the angle error at
# 100k+ positions).
#
# ## 6. The clock picture: what a longer sequence asks of each pair
#
# Think of each pair as a clock hand. At position `p` hand `i` points at the angle
# `p * inv_freq[i]`; over a window of positions `0 .. n-1` it sweeps the arc
# `(n - 1) * inv_freq[i]`. Training at `L = 4096` positions showed every hand the arc
# `[0, 4095 * inv_freq[i]]`, and nothing else. The picture is drawn in positions, but it is the
# same arc attention sees: by section 5 a score depends only on the angle `(m - n) * inv_freq[i]`
# between query and key, and in a window of `n` tokens the distances `m - n` run over
# `0 .. n-1` too.
#
# * **Fast pairs wrap many times** in training: pair 0 turns 651.7 times over the 4096 positions,
#   and every pair up to 22 completes at least one turn (pair 22: 1.16 turns). They have seen
#   every angle, so any position, however far, shows each of them an angle that is
#   **familiar**. (Two caveats lesson 06 makes exact: "every angle" means the `L` angles met in
#   training, at most `inv_freq[i]` apart, and a new one falls between two of them; and it holds
#   for each pair on its own, while the distance itself, past `L`, was never seen.)
# * **Slow pairs never complete a turn** in training: pairs 23 to 31 (pair 23: 0.87 of a turn,
#   pair 31: 0.087). Only their swept arc is familiar. A longer request carries them past its
#   end: a hand **leaves its arc**, pointing where it never pointed in training, until, far
#   enough out, it completes the turn and comes back in at angle 0, for as long as its trained
#   arc lasts (pair 23: inside again at positions 4712 to 8806, out at 8807 to 9423, and so on;
#   lesson 06 asks what such a return is worth, since the distance is still new).
#
# In the picture each pair is a ring (the fastest innermost; the nine slow rings get more room),
# angle 0 at 3 o'clock, angles counter-clockwise. The light grey band is the arc a slow pair swept
# in training; blue is the part of the request's arc inside it, vermillion the part beyond it; the
# black dot is the hand at the last position. Left: the end of training (`seq_len = L`). Right:
# plain RoPE at `seq_len`. Move `seq_len` past 4096 and watch the slow rings turn vermillion.

# %%
from rope_course.explorers.clock import ClockExplorer

ClockExplorer().show()

# %% [markdown]
# The numbers behind the picture, from the explorer's pure `compute`. Under plain RoPE every
# never-turned pair reaches `(l - 1) / (L - 1)` of its trained arc at a request of `l` tokens:
# all nine leave their arc as soon as `l > L`, at every length the slider offers:

# %%
turns = rc.inv_freq_for_base(BASE, D).double() * (L - 1) / (2 * math.pi)
print("turns in training: pair 0", round(turns[0].item(), 1), "| pair 22", round(turns[22].item(), 2),
      "| pair 23", round(turns[23].item(), 2), "| pair 31", round(turns[31].item(), 3))
assert round(turns[0].item(), 1) == 651.7 and round(turns[22].item(), 2) == 1.16
assert round(turns[23].item(), 2) == 0.87 and round(turns[31].item(), 3) == 0.087
assert list(np.flatnonzero(turns.numpy() < 1)) == list(range(23, 32))
# a hand that leaves its arc comes back in once it completes a turn, and leaves again when the
# arc's length is used up: pair 23 is inside at 0..4095 and 4712..8806, outside at 4096..4711, 8807..9423
theta_23 = rc.inv_freq_for_base(BASE, D).double()[23].item()
far_positions = np.arange(20000)
inside_23 = np.mod(far_positions * theta_23, 2 * math.pi) <= (L - 1) * theta_23
changes = far_positions[1:][np.diff(inside_23.astype(int)) != 0]
print("pair 23 leaves / re-enters its trained arc at positions", changes[:5].tolist())
assert changes[:5].tolist() == [4096, 4712, 8807, 9424, 13519]
assert changes[1] == math.ceil(2 * math.pi / theta_23)        # back in after one full turn

clock_lengths = ClockExplorer().controls["seq_len"].options
for seq_len in (4096, 4097, 8192, 16384, 131072):
    shown = ClockExplorer.readout_values(ClockExplorer.compute(seq_len=seq_len))
    print(f"seq_len {seq_len:6d}: {shown['beyond their trained arc']} of {shown['never-turned pairs']} "
          f"beyond their arc, each at {shown['largest arc / trained']:.4f} of it")
for seq_len in clock_lengths:
    right = ClockExplorer.compute(seq_len=seq_len)["right"]
    slow = right["fraction"][right["never_turned"]]
    assert right["n_never_turned"] == 9
    assert right["n_beyond"] == (9 if seq_len > L else 0)
    assert np.allclose(slow, (seq_len - 1) / (L - 1), rtol=1e-12)

# %% [markdown]
# ## 7. Explorer: where each pair's hand is at position p, plain against dynamic
#
# Lesson 04 derives the dynamic class's answer to the clock picture: past `L` it raises the base,
# which slows every pair except pair 0. This explorer previews it. Move `seq_len` (the last token
# sits at `p = seq_len - 1`) and `scaling_factor`.
#
# * **Left:** where the unit vector `(1, 0)` of five pairs lands at `p` under the dynamic base
#   (the angle modulo `2*pi`, all the dot product can see).
# * **Right:** the fraction view, for the nine never-turned pairs 23 to 31 only: each pair's
#   largest angle at `p` divided by the largest angle it reached in training (at position
#   `L - 1`), for plain RoPE (black squares) and for dynamic NTK with `L = 4096` and the chosen
#   `scaling_factor` (blue circles). The grey dashed line at 1 is the end of the trained arc:
#   above it a hand has left its arc, below it the hand stays inside, squeezed. (Fast pairs are
#   not drawn: they saw every angle, so a "largest trained angle" means nothing for them.) The
#   axis fits the dynamic curve (it always shows 0 to 2.5 at least): plain RoPE puts all nine
#   pairs at `(l - 1) / (L - 1)`, 32 at 131072, and an axis that fitted it would flatten the
#   dynamic curve against 0. When plain RoPE is above the axis, its squares become triangles on
#   the top edge and the title gives its value.

# %%
from rope_course.explorers.rotation import RotationExplorer, rotation_state

RotationExplorer().show()

# %% [markdown]
# What the dynamic base does to the nine slow pairs, over the explorer's whole range
# (`scaling_factor` 1 to 16 in steps of 0.25, every length from 4097 to 131072), computed from the
# formula of lesson 04, `b' = b (1 + s (l/L - 1))^(D/(D-2))`, and checked against the explorer's
# `compute` where they meet. It does **not** put the pairs back where training had them:
#
# * at `s = 1` the slowest pair comes back to its arc's end (1, up to the one-position offset
#   `(l - 1) L / ((L - 1) l)`), and the other eight stay beyond it, the faster the farther: up to
#   1.196 at `l = 2L`, 1.711 at `8L`, 2.446 at `32L`;
# * as `s` grows they are squeezed, from the slow end: for every `s > 1` on the slider the
#   slowest pair stays below 1 at every length, at `s = 2` pairs 26 to 31 do, at `s = 3` pairs 24
#   to 31; the faster ones still leave their arc at long lengths (at `s = 2` at most 3 pairs, from
#   `l` = 22950 on, up to 1.48);
# * from `s = 3.5` on, every slow pair stays inside its arc at every length up to 131072, the
#   slowest most (0.256 of its arc at `s = 4`, 0.064 at `s = 16`, both at 131072).
#
# Either way the angles differ from training: too far at small `s`, too compressed at large `s`.
# And "inside" holds only up to the slider's end. Far out, pair `i`'s fraction grows like
# `s^(-2i/(D-2)) (l/L)^(1 - 2i/(D-2))`, without bound for every pair but the slowest, so at any
# `s` a long enough request takes pair 23 past its arc again (at `s = 3.5` from `l = 141262`,
# just past 131072; the end of the next cell finds it).

# %%
lengths = np.arange(L + 1, 131073, dtype=np.float64)
slow_pairs = np.arange(23, 32)


def dynamic_fractions(s):
    """(l, pair) -> largest angle at l / largest trained angle, dynamic NTK (formula of lesson 04)."""
    new_base = BASE * (1 + s * (lengths / L - 1)) ** (D / (D - 2))
    return (lengths[:, None] - 1) / (L - 1) * (new_base[:, None] / BASE) ** (-2 * slow_pairs / D)


summary = {}
for s in np.arange(1.0, 16.001, 0.25):
    f = dynamic_fractions(s)
    beyond = (f > 1).sum(axis=1)
    summary[float(s)] = dict(most_beyond=int(beyond.max()), largest=float(f.max()), slowest_min=float(f[:, -1].min()),
                             first_beyond=int(lengths[np.argmax(beyond > 0)]) if beyond.any() else None,
                             inside_everywhere=[int(p) for p in slow_pairs[(f < 1).all(axis=0)]])
print(" s     | most pairs beyond | largest fraction | slowest pair, smallest | first l with one beyond")
for s in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.25, 3.5, 4.0, 8.0, 16.0):
    r = summary[s]
    print(f" {s:5.2f} | {r['most_beyond']:17d} | {r['largest']:16.4f} | {r['slowest_min']:22.4f} | {r['first_beyond']}")

# the formula is the explorer's, at the explorer's own lengths (which uses float32 inv_freq, as the module)
for seq_len in (8192, 32768, 131072):
    for s in (1.0, 2.0, 4.0):
        shown = rotation_state(seq_len, s)["fraction_dynamic"]
        assert np.allclose(shown, dynamic_fractions(s)[seq_len - L - 1], rtol=1e-6)
at_s1 = {k: dynamic_fractions(1.0)[k * L - L - 1] for k in (2, 8, 32)}
for k, f in at_s1.items():
    print(f"s = 1, l = {k}L: pairs 23..30 at {f[0]:.3f} .. {f[-2]:.3f}, slowest at {f[-1]:.5f}")
assert all((f[:-1] > 1.01).all() and 1 < f[-1] < 1.00025 for f in at_s1.values())     # 8 beyond, the 9th at 1
assert [round(float(at_s1[k][0]), 3) for k in (2, 8, 32)] == [1.196, 1.711, 2.446]
assert (dynamic_fractions(1.0)[:, :-1] > 1).all() and (dynamic_fractions(1.0) >= 1).all()  # s = 1: at every l
assert summary[2.0]["most_beyond"] == 3 and summary[2.0]["first_beyond"] == 22950
assert (np.diff((dynamic_fractions(2.0) > 1).sum(axis=1)) >= 0).all()                  # ... and from there on
assert round(summary[2.0]["largest"], 2) == 1.48
assert all(summary[s]["most_beyond"] > 0 for s in summary if s <= 3.25)
assert all(summary[s]["most_beyond"] == 0 for s in summary if s >= 3.5)               # all inside from 3.5 on
inside_everywhere = {s: r["inside_everywhere"] for s, r in summary.items()}
print("pairs inside their arc at every length: s = 2:", inside_everywhere[2.0], " s = 3:", inside_everywhere[3.0])
assert all(31 in inside_everywhere[s] for s in summary if s > 1)                       # the slowest squeezed
assert inside_everywhere[2.0] == list(range(26, 32)) and inside_everywhere[3.0] == list(range(24, 32))
assert round(dynamic_fractions(4.0)[-1, -1], 3) == 0.256 and round(dynamic_fractions(16.0)[-1, -1], 3) == 0.064

# past the slider: the first length at which pair 23 leaves its arc again, for s = 3.5 and 4
far_lengths = np.arange(131073, 1 << 19, dtype=np.float64)
first_out = {}
for s in (3.5, 4.0):
    pair23 = (far_lengths - 1) / (L - 1) * (1 + s * (far_lengths / L - 1)) ** (-(2 * 23 / D) * D / (D - 2))
    first_out[s] = int(far_lengths[np.argmax(pair23 > 1)])
print("pair 23 leaves its arc again from l =", first_out)
assert first_out == {3.5: 141262, 4.0: 211145}

# %% [markdown]
# The same story in radians for the slowest pair, from the explorer's `rotation_state`: at the edge
# of training (`seq_len = 4096`) it has turned 0.546 rad, under a tenth of a turn; plain RoPE at
# 131072 tokens turns it 17.5 rad (2.8 turns, angles it never saw); the dynamic base with
# `scaling_factor = 1` brings it back to 0.546 rad (at `s = 1` the slowest pair is scaled exactly
# like interpolation by `l/L`, lesson 04); with `scaling_factor = 4` it is squeezed to 0.140 rad.
# Pair 0, at 1 rad per token, is never rescaled.

# %%
edge = rotation_state(4096, 1.0)
far = rotation_state(131072, 1.0)
far4 = rotation_state(131072, 4.0)
print(f"slowest pair at p=4095:           {edge['lowest_plain']:.4f} rad")
print(f"slowest pair at p=131071, plain:  {far['lowest_plain']:.4f} rad "
      f"= {far['lowest_plain'] / (2 * math.pi):.2f} turns")
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
# * After rotation `q . k` depends only on `m - n` (exactly in float64; to about 2e-4 in float32
#   at position 4000), for the slow pairs as much as for the fast ones: the slow pairs carry a
#   coarse, long-range relative signal.
# * The clock picture: with `L = 4096` (D = 64, b = 10^4) pairs 0 to 22 wrap in training and see
#   every angle; pairs 23 to 31 never complete a turn, and plain RoPE takes all nine past their
#   trained arc at any `l > L`. The dynamic base does not put them back: at `s = 1` eight stay
#   beyond (up to 2.45x at 32L) while the slowest returns to 1; from `s = 3.5` all are squeezed
#   inside up to 131072 (the slider's end), and at any `s` a long enough request takes the
#   faster ones out again.
# * Seed errors corrected here: frequency order, wrong numbers (the `10000^(2/128)` ratio, the
#   "10k tokens" wavelength), the `emb` layout.
#
# ## Exercises
#
# Each checker answers "not attempted yet", "correct", or what is wrong with a hint. Solutions:
# [solutions/01_rope_refresher.ipynb](solutions/01_rope_refresher.ipynb), to open after trying.
#
# **Exercise 1 (derive).** In the cache of `RotaryEmbedding(64)` (base 10000), which angle does
# column 40 of row 1000 hold? That is `emb[1000, 40]`, in radians, before cos and sin are taken
# and not reduced modulo `2*pi`. Work it out from the layout; do not read it back from a table.

# %%
from rope_course.checks.lesson01 import check_half_fixed_port, check_interleave, check_never_turned, check_table_angle

answer = ...  # radians
result = check_table_angle(answer)

# %% [markdown]
# **Exercise 2 (derive).** Kimi-K2's rotary has `D = 64` and `rope_theta = 50000`. With a training
# window of `L = 4096` positions, how many of its 32 pairs never complete a turn in training, i.e.
# sweep less than `2*pi` over positions `0 .. L-1`? Derive the bound on `i` first.

# %%
answer = ...  # a number of pairs
result = check_never_turned(answer)

# %% [markdown]
# **Exercise 3 (predict).** A port of DeepSeek's `apply_rotary_pos_emb` de-interleaves `q` but
# forgets to de-interleave `k`:
#
# ```python
# def port_apply_rotary(q, k, cos, sin, position_ids):
#     cos, sin = cos[position_ids].unsqueeze(1), sin[position_ids].unsqueeze(1)
#     q = deinterleave(q)                      # k is left as it is
#     return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
# ```
#
# With this port, and `q` at position `m`, `k` at position `n`: (a) does the score `q . k` still
# depend only on `m - n`? (b) Is it the score DeepSeek's function gives? Answer `(a, b)`, two
# booleans, before trying it.

# %%
answer = ...  # (True or False, True or False)
result = check_half_fixed_port(answer)

# %% [markdown]
# **Exercise 4 (implement the inverse).** DeepSeek's outputs stay in the de-interleaved layout.
# Write `my_interleave(x)`, which puts them back: it maps `[x0, x2, ..., x1, x3, ...]` to
# `[x0, x1, x2, x3, ...]` on the last axis, for any number of leading axes, so that
# `my_interleave(rc.deinterleave(x))` is `x`.

# %%
def my_interleave(x):
    raise NotImplementedError  # your code here


result = check_interleave(my_interleave)
