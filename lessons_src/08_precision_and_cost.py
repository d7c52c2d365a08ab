# %% [markdown]
# # 08 · Precision and cost of the cos/sin cache
#
# Lessons 03-07 were about *which* numbers the rotary cache holds. This one is about *how well*
# and *at what price* they are computed: floating-point error at long positions, what a cast to
# bf16 does to the positions, the memory the caches take (including the one `__init__` throws
# away), and the time a rebuild costs.
#
# **Learning goals.** After this lesson you can
#
# 1. bound the float32 error of the angles p·inv_freq[i] up to 131072 positions, per pair, say
#    why pair 0 has none, and compare it with the rounding a bf16 model applies to cos and sin
#    anyway (up to 2⁻⁹): the position past which float32's error is the larger one;
# 2. explain why casting the module to bf16 leaves only 641 distinct positions in 0..2047, what
#    torch's CPU `arange` does past 256·W positions (W its vector width: 4096 here), why Hugging
#    Face added a float32 guard, and why
#    DeepSeek's YaRN class is immune (with an explorer comparing float32 and bf16 angle errors);
# 3. compute the memory of the caches from their shapes (80 MiB per layer for DeepSeek-V3's
#    discarded init cache, ≈ 4.8 GiB over 61 layers) and check it against real tensors;
# 4. read the table builder the modules use (cos/sin once on the half, then concatenated), check
#    that it gives upstream's bits on this build, and say what the opt-in fast builder
#    `rope_course.perf` does differently and why;
# 5. count what a decode loop rebuilds.
#
# Sources: upstream's [`__init__`](../SOURCES.md#upstream-init),
# [cache builder](../SOURCES.md#upstream-set-cos-sin-cache), [forward](../SOURCES.md#upstream-forward)
# and [YaRN class](../SOURCES.md#upstream-yarn); Hugging Face's
# [float32 guard](../SOURCES.md#hf-llama-float32), [PR #29285](../SOURCES.md#hf-29285) and
# [#25681](../SOURCES.md#hf-25681).

# %%
import inspect
import pathlib
import resource
import time

import matplotlib.pyplot as plt
import torch

import rope_course as rc
from rope_course import perf
from rope_course.cost import (
    GIB,
    MIB,
    cos_sin_cache_bytes,
    cpu_arange_model,
    decode_rebuild_rows,
    distinct_positions,
    float32_angle_error,
    init_cache_bytes,
    median_times_interleaved,
    model_init_cache_bytes,
    nearest_positions,
    position_rounding_error,
    rounding_error,
)
from rope_course.explorers import style
from rope_course.explorers.precision import PrecisionExplorer
from rope_course.yarn import YarnRotaryEmbedding

torch.manual_seed(0)
# One thread: the timings below are steadier, and on a small shared CPU much faster. It also fixes
# how torch's arange splits its work (section 2 shows why that matters for bf16 positions).
torch.set_num_threads(1)
D, BASE = 64, 10000  # DeepSeek-V3's rotary width (qk_rope_head_dim) and rope_theta

# %% [markdown]
# ## 1. float32 angles at 100k+ positions
#
# The cache builder computes every angle as θ[p, i] = p · inv_freq[i] in float32 (`t` has
# inv_freq's dtype, [upstream's builder](../SOURCES.md#upstream-set-cos-sin-cache)). Two roundings
# enter:
#
# * inv_freq[i] = b^(−2i/D) is stored with a relative error of at most about 2⁻²⁴ (plus what
#   `pow` adds); multiplied by p this becomes an **absolute** error that grows linearly with p;
# * the product p · inv_freq[i] is rounded to float32, an error of at most half a unit in the last
#   place of θ, again proportional to θ.
#
# Integer positions below 2²⁴ are exact in float32, and inv_freq[0] = b⁰ = 1 exactly, so pair 0's
# angle p·1 is **exact**. All other pairs carry an error of order θ·2⁻²⁴ ≈ p·inv_freq[i]·6·10⁻⁸.
# `float32_angle_error` compares the package's float32 angles with p·b^(−2i/D) computed in float64,
# per pair, over all positions 0..131071 (one 131072 × 32 computation):

# %%
print(inspect.getsource(float32_angle_error))

# %%
err = float32_angle_error(BASE, D, torch.arange(131072))
angle_err, cos_err = err["angle"], err["cos"]
worst = int(angle_err.argmax())
print(f"max |angle error| up to p = 131071: {angle_err.max().item():.3e} rad (pair {worst})")
print(f"max |cos error|   up to p = 131071: {cos_err.max().item():.3e}")
print("pair 0 angle error:", angle_err[0].item())
for i in (0, 1, 2, 8, 16, 31):
    print(f"  pair {i:2d}: inv_freq = {BASE ** (-2 * i / D):.3e}   angle error {angle_err[i].item():.2e}"
          f"   cos error {cos_err[i].item():.2e}")
assert angle_err[0].item() == 0.0
assert 1e-3 < angle_err.max().item() < 1e-2
assert cos_err.max().item() < 1e-2
assert worst in (1, 2)

# %% [markdown]
# The measured errors respect the bound the two roundings give, p_max · inv_freq[i] · 2⁻²², for
# every pair. One float32 rounding changes a value by at most 2⁻²⁴ of it; the bound allows four such
# roundings, a generous two for inv_freq (its `pow` and division) and two for the product:

# %%
i = torch.arange(D // 2, dtype=torch.float64)
bound = 131071 * BASE ** (-2 * i / D) * 2.0**-22
print("error / bound, per pair (max):", f"{(angle_err / bound).max().item():.2f}")
assert bool((angle_err <= bound).all())

# %%
with style.context():
    fig, ax = plt.subplots(figsize=style.figsize(3.4))
    ax.semilogy(range(1, D // 2), angle_err[1:], "o-", ms=4, color=style.BLUE, label="max |angle error| (rad)")
    ax.semilogy(range(1, D // 2), bound[1:], "--", color=style.REFERENCE, label="bound p·inv_freq·2⁻²²")
    ax.axhline(2**-9, color=style.SKY_BLUE, ls="-.", label="bf16 rounding of cos/sin, 2⁻⁹")  # as in the explorer
    ax.set_xlabel("pair i (pair 0 is exact: not drawn)")
    ax.set_ylabel("rad (log scale)")
    style.legend(ax)
    style.readout_title(fig, "float32 angles, positions 0..131071, D = 64, b = 10⁴")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# The error grows linearly with the longest position: here are the maxima at a few lengths.

# %%
lengths = [4096, 32768, 131072]
max_err = {l: float32_angle_error(BASE, D, torch.arange(l))["angle"].max().item() for l in lengths[:2]}
max_err[131072] = angle_err.max().item()
for l in lengths:
    print(f"seq_len {l:6d}: max angle error {max_err[l]:.2e} rad")
assert max_err[4096] < max_err[32768] < max_err[131072]
assert max_err[4096] < 2e-4
# linearly: the maximum per position is the same within 10% at every length
assert all(0.9 < (max_err[l] / l) / (max_err[131072] / 131072) < 1.1 for l in lengths)

# %% [markdown]
# ### Is 0.005 rad a lot? Compare it with what a bf16 model does anyway
#
# An error means something only next to the errors that are there regardless. DeepSeek-V3 runs in
# bf16, and `forward` returns `cos_cached[:seq_len].to(x.dtype)`: every cos and sin value is rounded
# to bf16 on its way out, whatever precision the angles had. bf16 keeps 8 significant bits, so a
# value in [0.5, 1) lands on a grid of spacing 2⁻⁸ and is off by up to half of it, **2⁻⁹ ≈ 0.00195**.
# Measured on a real table (max with max; the table's two halves are equal, so one half is enough):

# %%
cos_table, sin_table = rc.cos_sin_tables(rc.inv_freq_for_base(BASE, D), 131072, torch.float32)
cos_table, sin_table = cos_table[:, : D // 2], sin_table[:, : D // 2]
bf16_rounding = max(rounding_error(cos_table, torch.bfloat16), rounding_error(sin_table, torch.bfloat16))
print(f"largest change of a cos/sin value when cast to bf16: {bf16_rounding:.6f}  (2^-9 = {2**-9:.6f})")
assert 0.99 * 2**-9 < bf16_rounding <= 2**-9
del cos_table, sin_table

# %% [markdown]
# A change δ of the angle moves cos and sin by at most |δ|, so float32's angle error stays below
# this unavoidable rounding as long as it is below 2⁻⁹. Where does it first exceed it? For every
# position 0..131071 the cell takes the largest angle error over the 32 pairs, and finds the first
# position above 2⁻⁹, for V3's base and for Kimi-K2's 5·10⁴ (both D = 64); it also counts, per
# window of positions, how often float32's error is the larger one:

# %%
def angle_errors(base, n=131072, n_cos_sin=65536):
    """|float32 angle - exact angle| for every position 0..n-1 and pair, and the cos/sin error for
    the first n_cos_sin positions (enough to find where it first exceeds 2^-9)."""
    p = torch.arange(n)
    angles32 = torch.outer(p.to(torch.float32), rc.inv_freq_for_base(base, D)).double()
    exact = torch.outer(p.double(), base ** (-2.0 * torch.arange(D // 2, dtype=torch.float64) / D))
    a, e = angles32[:n_cos_sin], exact[:n_cos_sin]
    cos_sin = torch.maximum((a.cos() - e.cos()).abs(), (a.sin() - e.sin()).abs())
    return (angles32 - exact).abs(), cos_sin


crossings = {}
for base in (BASE, 50000.0):
    angle, cos_sin = angle_errors(base)
    per_position = angle.amax(dim=1)
    first = int((per_position > 2**-9).nonzero()[0])
    first_cos_sin = int((cos_sin.amax(dim=1) > 2**-9).nonzero()[0])
    crossings[base] = first
    print(f"b = {base:g}: angle error > 2^-9 first at p = {first} (pair {int(angle[first].argmax())}); "
          f"cos/sin error > 2^-9 first at p = {first_cos_sin}")
    for lo, hi in [(0, 32768), (32768, 65536), (65536, 131072)]:
        window = per_position[lo:hi]
        print(f"    positions {lo:6d}..{hi - 1:6d}: max angle error {window.max().item():.2e} rad "
              f"= {window.max().item() / 2**-9:4.2f} x 2^-9; above 2^-9 at "
              f"{100 * (window > 2**-9).double().mean().item():5.1f}% of them")
    if base == BASE:
        assert per_position[:32768].max().item() < 2**-9 and first_cos_sin == first
        assert 2.4 < per_position[65536:131072].max().item() / 2**-9 < 2.6
        assert int(angle[first].argmax()) == 1
        assert 0.08 < (per_position[32768:65536] > 2**-9).double().mean().item() < 0.10
        assert 0.60 < (per_position[65536:131072] > 2**-9).double().mean().item() < 0.62
per_position_k2_max = per_position[65536:131072].max().item()  # the last loop round is b = 5e4
del angle, cos_sin, per_position
inv1 = rc.inv_freq_for_base(BASE, D)[1].item()
print(f"pair 1 (inv_freq {inv1:.6f}) reaches 2^15 rad at p = 2^15 / inv_freq[1] = {2**15 / inv1:.1f}")
assert 2**15 / inv1 < crossings[BASE] < 2**15 / inv1 + 10
assert crossings == {BASE: 43697, 50000.0: 32226}
assert 4.5 < per_position_k2_max / 2**-9 < 4.6

# %% [markdown]
# **The scale.** With D = 64 and b = 10⁴, float32's angle error stays below bf16's rounding of
# cos/sin for every position up to 43696; from p = 43697 on it exceeds it at some positions (9% of
# those in 32768..65535, 61% in 65536..131071), and up to 131071 it is at most 2.5 times that
# rounding. The crossing is where pair 1's angle passes 2¹⁵ rad: float32 then has a spacing of
# 2⁻⁸ rad, so the rounding of the product alone can reach 2⁻⁹, exactly bf16's half-spacing just
# below 1. With Kimi-K2's base 5·10⁴ the crossing comes earlier, at p = 32226 (pair 2), and the
# error reaches 4.6 times the bf16 rounding below 131072.
#
# So, for a bf16 model, float32 angles are more precise than the cos/sin values the model
# receives up to about 32-44 thousand positions; past that, their error is of the same order as
# the rounding the cast makes anyway (2.5 to 4.6 times it at the longest positions). For a float32
# model, the 0.005-0.009 rad is the whole error: half a degree at most. bf16 **positions** are a
# different story.
#
# ## 2. bf16 positions: 641 distinct values in 0..2047
#
# Upstream builds `t = arange(seq_len, dtype=inv_freq.dtype)`. `inv_freq` is a buffer, so
# `model.to(torch.bfloat16)` casts it, and the next rebuild then counts positions in bf16, which
# has 8 significant bits: integers are exact only up to 256, then spaced 2, 4, 8, ... apart
# (Hugging Face issue [#25681](../SOURCES.md#hf-25681) is a wrong cache after such a cast).

# %%
print("distinct positions in arange(2048):")
for dtype in (torch.float32, torch.float16, torch.bfloat16):
    print(f"  {str(dtype):15s} {distinct_positions(2048, dtype)}")
print("largest rounding of a position < 2048 in bf16:", position_rounding_error(2048, torch.bfloat16))
assert distinct_positions(2048, torch.bfloat16) == 641
assert distinct_positions(2048, torch.float32) == 2048
assert position_rounding_error(2048, torch.bfloat16) == 4.0

# %% [markdown]
# Now with a real module: build one, cast it with `.to(torch.bfloat16)` as a whole model would be,
# and ask for 2048 positions. The cast reaches `inv_freq` (a buffer, even though it is not
# persistent), the rebuild uses bf16 positions, and the table has only 641 **different rows**:
# rows 1022 to 1028 all become position 1024.

# %%
rope_bf16 = rc.RotaryEmbedding(D, max_position_embeddings=2048).to(torch.bfloat16)
print("inv_freq dtype after .to(bfloat16):", rope_bf16.inv_freq.dtype)
cos, sin = rope_bf16(torch.zeros(1, dtype=torch.bfloat16), seq_len=2048)
positions_used = torch.arange(2048, dtype=rope_bf16.inv_freq.dtype)
print("positions 1020..1036 as the rebuild sees them:", positions_used[1020:1037].int().tolist())
distinct_rows = cos.unique(dim=0).shape[0]
print("distinct rows in the 2048-row cos table:", distinct_rows)
assert rope_bf16.inv_freq.dtype == torch.bfloat16
assert distinct_rows == 641
assert torch.equal(cos[1022], cos[1028]) and not torch.equal(cos[1028], cos[1029])

# %% [markdown]
# Tokens 1022-1028 get the same rotation, so attention cannot tell them apart through RoPE, and
# inv_freq itself is rounded to bf16 too (relative error up to about 2⁻⁸):

# %%
inv32 = rc.inv_freq_for_base(BASE, D)
rel = ((inv32.to(torch.bfloat16).float() - inv32) / inv32).abs().max().item()
print(f"max relative error of inv_freq in bf16: {rel:.4f}")
assert 1e-3 < rel < 2**-8 + 1e-6 and round(rel, 4) == 0.0037

# %% [markdown]
# ### Past 256·W (4096 here), torch's bf16 `arange` does not even round to the nearest value
#
# On this machine, below 4096 every position in the cast module's `t` is the bf16 value nearest to
# it (ties to the even one), the same as an exact cast `arange(n).to(torch.bfloat16)`. Past 4096
# that stops being true, and the largest rounding below 131072 is not the 256 (half of bf16's spacing of 512 there)
# that rounding to nearest would give. The reason is in how torch's CPU kernel fills the tensor: a
# vector of W values at a time, each vector starting from its **first position rounded to bf16**,
# to which the offsets 0 .. W−1 are added and rounded again. While the vectors' first positions
# are exact in bf16 (below 256·W) nothing changes; past that, a position can be pulled back to its
# vector's rounded start, up to W − 1 further from its true value than rounding to nearest allows. `cpu_arange_model`
# reproduces the rule; the cell finds the W for which it matches torch position by position. W is
# a property of the CPU build (and with several threads the work is split differently), so this
# cell's numbers are this machine's, and its output is not compared under test; the asserts check
# the rule for whatever W is found:

# %%
# NBVAL_IGNORE_OUTPUT
n = 131072
torch_positions = torch.arange(n, dtype=torch.bfloat16)
nearest = nearest_positions(n, torch.bfloat16)
width = next(w for w in (4, 8, 16, 32, 64) if torch.equal(cpu_arange_model(n, w), torch_positions))
first_off = int((torch_positions != nearest).nonzero()[0])
arange_max = position_rounding_error(n, torch.bfloat16)
nearest_max = float((nearest.double() - torch.arange(n, dtype=torch.float64)).abs().max())
print(f"vector width on this build: W = {width}")
print(f"first position where arange differs from the nearest bf16 value: {first_off} "
      f"(arange gives {torch_positions[first_off].item():g}, the nearest is {nearest[first_off].item():g})")
print(f"largest rounding of a position < {n}: arange {arange_max:g}, nearest {nearest_max:g} "
      f"= half the spacing 512; {arange_max:g} = 256 + (W - 1)")
print(f"distinct positions < {n}: arange {torch_positions.unique().numel()}, nearest {nearest.unique().numel()}")
assert first_off == 257 * width + 1  # the first vector whose start (257 W) is not exact, its second entry
assert nearest_max == 256 and arange_max == 256 + width - 1
assert width >= 8 and torch.equal(torch_positions[:2048], nearest[:2048])  # so 641 holds at 2048

# %% [markdown]
# ### The explorer: float32 against a bf16-cast module, up to `seq_len`
#
# Drag `seq_len`. For positions 0..seq_len−1 (up to 512 of them, evenly spaced, the last one
# always included) the picture shows, per pair on a log scale, the largest angle error of a
# float32 module (blue, solid) and of a module cast to bf16 (orange, dashed: bf16 positions from
# torch's `arange`, bf16 inv_freq, bf16 product), against the exact float64 angle; the gray dotted
# line is the float32 bound (seq_len − 1)·inv_freq[i]·2⁻²² from above, and the sky-blue dash-dot
# line is bf16's rounding of cos and sin, 2⁻⁹, which float32's error first exceeds at p = 43697
# (section 1; the readout gives the ratio on the sampled positions). Pair 0's float32 error is
# exactly 0 (drawn at the bottom). The readout also counts the distinct bf16 positions below
# `seq_len`. Try 257 → 258 (position 257 is the first to round), 2048, and 131072, where the cast
# module's fast pairs are off by hundreds of radians.

# %%
explorer = PrecisionExplorer()
explorer.show()

# %% [markdown]
# Hugging Face's Llama code guards the same computation against bf16: its
# [rotary forward](../SOURCES.md#hf-llama-float32) computes the angles in float32 with autocast
# off, under the comment "Force float32 since bfloat16 loses precision on long contexts" and a link
# to [PR #29285](../SOURCES.md#hf-29285), which fixed RoPE computed in bf16 under autocast. (The
# case of this section, a whole model cast to bf16, is the subject of issue #25681.) In that
# forward the positions come from the integer `position_ids`, converted with `.float()`, so they
# are exact even in a cast model; `inv_freq` gets `.float()` too, but that cannot undo a cast that
# has already rounded the buffer to bf16 (the 0.0037 relative error above stays). The DeepSeek
# remote code has **no such guard** for the standard, linear and dynamic classes.
#
# Its **YaRN** class, the one the released configs use (lesson 09), is immune by construction:
# it builds `t` as float32 explicitly and recomputes `inv_freq` in float32 at every rebuild
# ([upstream's YaRN class](../SOURCES.md#upstream-yarn)). The cast still reaches the buffer, but
# the first rebuild replaces it:

# %%
yarn_bf16 = YarnRotaryEmbedding(D, 2048, BASE, scaling_factor=4.0, original_max_position_embeddings=1024)
yarn_bf16 = yarn_bf16.to(torch.bfloat16)
print("YaRN inv_freq dtype after the cast:", yarn_bf16.inv_freq.dtype)
ycos, _ = yarn_bf16(torch.zeros(1, dtype=torch.bfloat16), seq_len=2048)
print("after the first forward:", yarn_bf16.inv_freq.dtype, "| distinct rows:", ycos.unique(dim=0).shape[0])
assert yarn_bf16.inv_freq.dtype == torch.float32
assert ycos.unique(dim=0).shape[0] == 2048

# %% [markdown]
# The practical rule for the other classes: keep the rotary module in float32 (cast the rest of
# the model, not this buffer), or rebuild `inv_freq` in float32 after the cast. `cos`/`sin` are
# cast to `x.dtype` on the way out anyway.
#
# ## 3. Memory: the caches and the one `__init__` throws away
#
# A cache is two tables (cos and sin) of shape (length, D), so it takes 2 · length · D · bytes.
# `cos_sin_cache_bytes` says so; check it against the real tensors of a small module, first the
# discarded init table (built in the default dtype), then a bf16 table from `forward`:

# %%
small = rc.RotaryEmbedding(32, max_position_embeddings=300)
init_nbytes = small.cos_cached.nbytes + small.sin_cached.nbytes
print("init cache:", init_nbytes, "bytes; formula:", init_cache_bytes(300, 32))
small(torch.zeros(1, dtype=torch.bfloat16), seq_len=500)
bf16_nbytes = small.cos_cached.nbytes + small.sin_cached.nbytes
print("bf16 cache of 500 rows:", bf16_nbytes, "bytes; formula:", cos_sin_cache_bytes(500, 32, torch.bfloat16))
assert init_nbytes == init_cache_bytes(300, 32) == 2 * 300 * 32 * 4
assert bf16_nbytes == cos_sin_cache_bytes(500, 32, torch.bfloat16)

# %% [markdown]
# DeepSeek-V3 has `max_position_embeddings = 163840`, D = 64 and 61 decoder layers
# ([config](../SOURCES.md#deepseek-v3-config)), and in the remote code each layer's attention builds
# its own rotary module ([`_init_rope`](../SOURCES.md#upstream-init-rope)). Lesson 03 showed that
# `__init__` builds a table of that length and then sets `max_seq_len_cached = None`
# ([upstream's `__init__`](../SOURCES.md#upstream-init)), so the first forward replaces it. It is
# built all the same (this holds for the YaRN class too: its constructor calls the parent's). One
# real layer's worth:

# %%
v3_layer = rc.RotaryEmbedding(D, max_position_embeddings=163840)
v3_init = v3_layer.cos_cached.nbytes + v3_layer.sin_cached.nbytes
print(f"one layer's init cache: {v3_init / MIB:.0f} MiB (max_seq_len_cached = {v3_layer.max_seq_len_cached})")
v3_layer(torch.zeros(1, dtype=torch.bfloat16), seq_len=10)
print("after the first forward (seq_len=10):", v3_layer.cos_cached.nbytes + v3_layer.sin_cached.nbytes, "bytes")
fp32_total = model_init_cache_bytes(61, 163840, D, torch.float32)
bf16_total = model_init_cache_bytes(61, 163840, D, torch.bfloat16)
print(f"61 layers: {fp32_total / GIB:.2f} GiB in float32, {bf16_total / GIB:.2f} GiB with a bf16 default dtype")
assert v3_init == init_cache_bytes(163840, D, torch.float32) == 80 * MIB
assert round(fp32_total / GIB, 1) == 4.8 and round(bf16_total / GIB, 1) == 2.4
del v3_layer

# %% [markdown]
# ≈ 4.8 GiB of short-lived tables at load time, freed again at the first forward. The cache
# `forward` keeps is sized by the request: a bf16 cache for 131072 positions is 32 MiB per layer.

# %%
keep = cos_sin_cache_bytes(131072, D, torch.bfloat16)
print(f"bf16 cache for 131072 positions: {keep / MIB:.0f} MiB per layer, {61 * keep / GIB:.2f} GiB for 61 layers")
assert keep == 32 * MIB

# %% [markdown]
# ## 4. Time: a rebuild against a cached forward
#
# A cached forward is a slice (a view) and a cast that does nothing when the dtype already
# matches (lesson 02). A rebuild recomputes the whole table. The next cell times both.

# %%
# NBVAL_IGNORE_OUTPUT
# Timings depend on the machine and on what else runs on it, so this output is not compared
# under test; nothing here is asserted. Read the ratio, not the digits.
rope = rc.RotaryEmbedding(D, max_position_embeddings=4096)
xf = torch.zeros(1)
rope(xf, seq_len=4096)
times = median_times_interleaved({
    "rebuild (4096 x 64)": lambda: rope._set_cos_sin_cache(4096, xf.device, xf.dtype),
    "cached forward": lambda: rope(xf, seq_len=4096),
}, repeats=7)
for name, t in times.items():
    print(f"{name:22s} {t * 1e6:9.1f} µs")
print(f"ratio: {times['rebuild (4096 x 64)'] / times['cached forward']:.0f}x")

# %% [markdown]
# ## 5. The builder the modules use: half the transcendental work, the same bits (verified here)
#
# Upstream evaluates cos and sin over `emb = cat(freqs, freqs)`: every value is computed twice,
# once per half. The two halves hold the same numbers, so the package's modules call a builder
# that computes cos and sin once on `freqs` (the half) and concatenates each result with itself.
# This is the code every module in the package runs (`RotaryEmbedding._set_cos_sin_cache` calls
# it; YaRN's class passes float32 positions and its mscale ratio):

# %%
print(inspect.getsource(rc.cos_sin_tables))
assert "cos_sin_tables(self.inv_freq" in inspect.getsource(rc.RotaryEmbedding._set_cos_sin_cache)

# %% [markdown]
# **Why the bits are the same, and why that has to be checked.** Mathematically
# cos(cat(f, f)) = cat(cos f, cos f), and the cast to the target dtype is elementwise too. Bit for
# bit it holds only if the cos and sin kernels return the same float for the same input wherever
# it sits in the tensor. That is a property of the kernels, not a law of arithmetic: a vectorised
# kernel whose tail elements take a scalar path with a different polynomial, or a library that
# picks a different code path for a different length, could round one value differently in the
# longer `emb`. So the claim is: **bit-identical on this build**, checked with `torch.equal` (not
# closeness) against upstream's op sequence (`rc.cos_sin_tables_upstream`), over shapes (half
# widths 1, 4, 32, 33, 64: 33 puts every row at a different offset of a vector), lengths, output
# dtypes and bases, including a dynamic-NTK base and a bf16 `inv_freq` (a cast module), and once at
# (131072, 64) float32. The package's tests repeat it over more shapes and at 1 and 2 threads
# (`tests/test_perf.py`).

# %%
cases = []
dynamic_base = rc.dynamic_ntk_base(10000, 64, 8192, 4096, 2.0)
for dim, base in [(2, 10000), (8, 10000), (64, 10000), (66, 10000), (64, dynamic_base), (128, 5e4)]:
    for seq_len in (1, 7, 4096):
        for dtype in (torch.float32, torch.bfloat16, torch.float16, torch.float64):
            cases.append((rc.inv_freq_for_base(base, dim), seq_len, dtype))
cases.append((rc.inv_freq_for_base(10000, 64).to(torch.bfloat16), 2048, torch.bfloat16))
identical = 0
for inv, seq_len, dtype in cases:
    a, b = rc.cos_sin_tables(inv, seq_len, dtype), rc.cos_sin_tables_upstream(inv, seq_len, dtype)
    identical += torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
print(f"simple builder bit-identical to upstream's op sequence: {identical} of {len(cases)} cases")
assert identical == len(cases) == 73

inv64 = rc.inv_freq_for_base(BASE, D)
big_up = rc.cos_sin_tables_upstream(inv64, 131072, torch.float32)
big_simple = rc.cos_sin_tables(inv64, 131072, torch.float32)
same_big = torch.equal(big_simple[0], big_up[0]) and torch.equal(big_simple[1], big_up[1])
print("(131072, 64) float32, simple builder:", same_big)
assert same_big
del big_simple

# %% [markdown]
# ### The opt-in fast builder, `rope_course.perf`
#
# Half the transcendental work is not the whole cost of a large rebuild on a CPU. Each table is
# memory the process has not touched yet, and every fresh 4 KiB page is a page fault that the
# operating system serves by zeroing the page. Count the fresh memory each builder writes at
# (131072, 64) float32 (the float32 cast is a no-op, so it writes nothing; the positions `t`, 0.5 MiB,
# which every builder makes, are left out):
#
# * upstream: `freqs` (half width), `emb`, `cos`, `sin`;
# * the simple builder: `freqs`, its cos and its sin (half width each), then the two
#   concatenated tables; the same amount;
# * `rope_course.perf.fast_cos_sin_tables`, which exists for `make bench` and for anyone who
#   rebuilds large tables often: besides `t` it allocates the two output tables and nothing else. It computes
#   `freqs`, its sin and its cos **inside the second halves of the outputs' own storage**, then
#   spreads each table in place into rows [c, c] (`spread_second_half`, which copies in chunks
#   that halve so that no row is overwritten before it is read). It also asks Linux to back the
#   outputs with 2 MiB pages (`madvise`, loaded through ctypes on first use, never at import),
#   which cuts the number of faults where the kernel honours that advice: where transparent huge
#   pages (`/sys/kernel/mm/transparent_hugepage/enabled`) are set to `madvise`, only advised
#   memory gets them, and with `never` the advice does nothing. The timing cell below prints the
#   setting (and `defrag`'s, which decides how hard the kernel works to find a 2 MiB block). Tables
#   under 8 MiB, or with an output dtype other than inv_freq's, go to the simple builder.
#
# It is opt-in because it is harder to read, and the modules are what learners read. Its bits are
# checked the same way, verified here, at two shapes where it takes its in-place path:

# %%
table_mib = big_up[0].numel() * big_up[0].element_size() / MIB
fresh_mib = {"upstream": table_mib / 2 + 3 * table_mib, "simple": 3 * table_mib / 2 + 2 * table_mib,
             "fast (perf)": 2 * table_mib}
print(f"one table: {table_mib:.0f} MiB | fresh memory written per rebuild: "
      + ", ".join(f"{k} {v:.0f} MiB" for k, v in fresh_mib.items()))
assert (table_mib, fresh_mib["upstream"], fresh_mib["simple"], fresh_mib["fast (perf)"]) == (32, 112, 112, 64)
positions_mib = 131072 * torch.empty((), dtype=inv64.dtype).element_size() / MIB  # t, made by every builder
assert positions_mib == 0.5
fresh_pages = int(fresh_mib["upstream"] * MIB) // 4096
print(f"112 MiB is {fresh_pages} fresh pages of 4 KiB: a page fault each, when none of it was touched before")
assert fresh_pages == 28672
fast_cases = [(inv64, 131072, torch.float32), (inv64.to(torch.bfloat16), 131072, torch.bfloat16),
              (rc.inv_freq_for_base(BASE, 128), 40000, torch.float32)]
for inv, seq_len, dtype in fast_cases:
    assert seq_len * 2 * inv.numel() * torch.empty((), dtype=dtype).element_size() >= perf.IN_PLACE_MIN_BYTES
    fast, up = perf.fast_cos_sin_tables(inv, seq_len, dtype), rc.cos_sin_tables_upstream(inv, seq_len, dtype)
    same = torch.equal(fast[0], up[0]) and torch.equal(fast[1], up[1])
    print(f"fast builder, ({seq_len}, {2 * inv.numel()}) {str(dtype):14s} bit-identical: {same}")
    assert same
del big_up, fast, up

# %% [markdown]
# And the time and the page faults, at a decode-sized table (4096 × 64) and a long one
# (131072 × 64), as medians of interleaved runs (the builders alternate, so a busy machine slows
# them alike). `make bench` measures the same pairs with more rounds and reports them under
# `"rebuild"` in `benchmarks/results.json`. The mechanism predicts that the simple builder gains
# most at the small size, where the arithmetic dominates, and the fast one at the large size, where
# the page faults do. The cell shows whether this machine agrees in this run (on a shared machine
# one run can differ noticeably from the next, and the saved output is one run); `make bench`, with
# its more rounds, also checks the target set for the fast builder (at least 1.5x upstream at
# 131072 × 64), as a benchmark, never a test. The page faults are counted in this process at that
# moment: memory the allocator kept from earlier builds in this notebook is handed out again
# without a fault, so the counts can be lower than the fresh memory listed above would give (28672
# faults of 4 KiB for 112 MiB).

# %%
# NBVAL_IGNORE_OUTPUT
# Timings and page-fault counts depend on the machine, its load and its kernel settings, so this
# output is not compared under test, and nothing here is asserted.
builders = {"upstream": rc.cos_sin_tables_upstream, "simple": rc.cos_sin_tables,
            "fast (perf)": perf.fast_cos_sin_tables}
for setting in ("enabled", "defrag"):  # the bracketed word is the one in force
    thp_file = pathlib.Path("/sys/kernel/mm/transparent_hugepage") / setting
    print(f"transparent huge pages, {setting}: {thp_file.read_text().strip() if thp_file.exists() else 'n/a'}")


def minor_faults(build, *args):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    tables = build(*args)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del tables
    return faults


for n, repeats in ((4096, 7), (131072, 3)):
    runs = {k: (lambda f=f, n=n: f(inv64, n, torch.float32)) for k, f in builders.items()}
    if n * 64 * 4 < perf.IN_PLACE_MIN_BYTES:  # perf hands small tables to the simple builder
        del runs["fast (perf)"]
    t = median_times_interleaved(runs, repeats=repeats)
    print(f"({n}, 64) float32:")
    for k in runs:
        print(f"  {k:12s} {t[k] * 1e3:8.2f} ms  ({t['upstream'] / t[k]:.2f}x upstream)   "
              f"page faults {minor_faults(builders[k], inv64, n, torch.float32):6d}")
    if "fast (perf)" not in runs:
        print("  fast (perf)  = the simple builder at this size (tables under 8 MiB)")

# %% [markdown]
# ## 6. The price of decoding past L
#
# Lesson 03 showed the decode loop: every step asks for one more row than the cache holds, so
# every step rebuilds the **whole** table. The rows computed by a prefill of P tokens and N steps
# are P + (P+1) + ... + (P+N), quadratic in the length. Counting them on a real module:

# %%
class CountingRope(rc.RotaryEmbedding):
    def _set_cos_sin_cache(self, seq_len, device, dtype):
        super()._set_cos_sin_cache(seq_len, device, dtype)
        self.rebuilds = getattr(self, "rebuilds", 0) + 1
        self.rows = getattr(self, "rows", 0) + seq_len


def decode(rope, prefill, steps):
    rope.rebuilds = rope.rows = 0  # forget the __init__ build
    for length in range(prefill, prefill + steps + 1):
        rope(xf, seq_len=length)
    return rope


start = time.perf_counter()
counted = decode(CountingRope(D, max_position_embeddings=4096), prefill=4096, steps=64)
loop_seconds = time.perf_counter() - start  # printed (not compared) further down
print("rebuilds:", counted.rebuilds, "| rows computed:", counted.rows, "| formula:", decode_rebuild_rows(4096, 64))
assert counted.rebuilds == 65
assert counted.rows == decode_rebuild_rows(4096, 64) == 4096 * 65 + 64 * 65 // 2

# %% [markdown]
# Decoding from 4096 up to 131072 tokens in one layer computes this many rows, against 131072 if
# the cache were built once:

# %%
rows_full = decode_rebuild_rows(4096, 131072 - 4096)
print(f"rows rebuilt: {rows_full:,} = {rows_full / 131072:.0f} x 131072")
assert rows_full == 8_581_613_568
assert round(rows_full / 131072) == 65473

# %% [markdown]
# What that costs in time on this machine, estimated (not measured on the full loop) by scaling
# the row count with a measured time per row. A row does not cost the same in every table: on this
# machine section 5's timings put a 131072-row rebuild at far more than 32 times a 4096-row one
# (fresh memory, and larger angles, which cos and sin reduce more slowly). So the cell gives a
# range: the time per row of the 64-step
# loop above (tables of about 4100 rows) for the low end, and that of one rebuild at 131072 rows
# for the high end:

# %%
# NBVAL_IGNORE_OUTPUT
# A timing (see section 4): not compared under test, nothing asserted.
long_rope = rc.RotaryEmbedding(D, max_position_embeddings=4096)
start = time.perf_counter()
long_rope(xf, seq_len=131072)
long_seconds = time.perf_counter() - start
del long_rope
per_row = {"short tables": loop_seconds / counted.rows, "131072 rows": long_seconds / 131072}
print(f"prefill 4096 + 64 steps: {loop_seconds * 1e3:.0f} ms ({loop_seconds / 65 * 1e3:.2f} ms per rebuild); "
      f"one rebuild at 131072 rows: {long_seconds * 1e3:.0f} ms")
for name, seconds in per_row.items():
    print(f"at the time per row of {name:12s} ({seconds * 1e6:.2f} µs): {rows_full * seconds:6.0f} s per layer, "
          f"{61 * rows_full * seconds / 3600:5.1f} h for 61 layers")

# %% [markdown]
# **Where the seed is wrong.** The seed lesson says the forward has "No Additional Cost"
# ([seed 4.3.3](../SOURCES.md#seed-4-3-3)), and lesson 4.1.3 calls it "O(1) time"
# ([seed 4.1.3](../SOURCES.md#seed-4-1-3)). With `max_seq_len_cached = None` after `__init__` and
# exact-length rebuilds ([upstream's forward](../SOURCES.md#upstream-forward)), the counts above say
# otherwise: every decoding step rebuilds the full O(seq · dim) table, for the standard, linear,
# dynamic and YaRN classes alike.
#
# ## Summary
#
# * float32 angles up to 131072 positions are off by at most ≈ 0.005 rad (pair 1-2), bounded by
#   p · inv_freq[i] · 2⁻²²; pair 0's angle is exact. A bf16 model rounds cos and sin by up to 2⁻⁹
#   anyway: float32's angle error stays below that up to p = 43696 (b = 10⁴; 32225 for b = 5·10⁴)
#   and reaches 2.5 times it below 131072 (4.6 times for b = 5·10⁴).
# * Casting the module to bf16 casts `inv_freq`, and upstream's `t` follows it: 641 distinct
#   positions in 0..2047 (up to 4 tokens off; hundreds past 100k). Past 256·W positions (W the
#   kernel's vector width; 4096 here) torch's CPU `arange` does not even round to nearest (each
#   vector starts from its rounded first position). HF's
#   Llama code computes the angles in float32 (PR #29285); the remote code does not, except YaRN,
#   which works in float32.
# * A cache is 2 · length · D · bytes. DeepSeek-V3's discarded init caches: 80 MiB per layer in
#   float32, ≈ 4.8 GiB over 61 layers (≈ 2.4 GiB in bf16).
# * A rebuild costs far more than a cached forward (a slice), and a decode loop rebuilds at every
#   step: the rows computed grow quadratically with the length (65473 x 131072 rows from 4096 to
#   131072).
# * The modules' builder computes cos/sin once on the half and concatenates: half the
#   transcendental work, bit-identical to upstream's tables on this build (`torch.equal`, 73 small
#   cases and (131072, 64)), a property of the kernels that is checked, not assumed. The opt-in
#   `rope_course.perf` builder also avoids every temporary and asks for huge pages, because page
#   faults dominate a large rebuild; same bits, verified here.
#
# ## Exercises
#
# **1. Derive.** A module cast to bf16 serves a 1500-token prompt, so its rebuild counts the
# positions 0..1499 in bf16 (all below 2048, where each is rounded to the nearest bf16 value, ties
# to even). How many **distinct** positions, and so distinct rotations, does it
# produce? Count by hand, range by range, before you run anything.

# %%
from rope_course.checks.lesson08 import check_distinct_positions_1500, check_fixed_rebuild, check_shared_row_1700

distinct_in_1500 = ...
result = check_distinct_positions_1500(distinct_in_1500)

# %% [markdown]
# **2. Predict.** In the same bf16-cast module with 2048 positions, which positions get exactly
# the same row of the table as position 1700? Give the set of positions, 1700 included.

# %%
positions_like_1700 = ...
result = check_shared_row_1700(positions_like_1700)

# %% [markdown]
# **3. Find the bug.** Below is upstream's cache builder as it runs in a module that was cast with
# `.to(torch.bfloat16)`: `inv_freq` arrives in bf16. Write `fixed_rebuild(base, dim, seq_len,
# dtype)` that returns the `(cos, sin)` tables a float32 module would have built, cast to `dtype`
# at the end (same layout, shape (seq_len, dim)). The checker compares with the float32 tables on
# bf16 and float32 outputs, at lengths where the bug shows.

# %%
def rebuild_in_cast_module(inv_freq, seq_len, dtype):
    t = torch.arange(seq_len, device=inv_freq.device, dtype=inv_freq.dtype)
    freqs = torch.outer(t, inv_freq.to(t.device))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def fixed_rebuild(base, dim, seq_len, dtype):
    raise NotImplementedError


result = check_fixed_rebuild(fixed_rebuild)

# %% [markdown]
# Solutions: [solutions/08_precision_and_cost.ipynb](solutions/08_precision_and_cost.ipynb) (open it after trying).
