# %% [markdown]
# # 08 · Precision and cost of the cos/sin cache
#
# Lessons 03-07 were about *which* numbers the rotary cache holds. This one is about *how well*
# and *at what price* they are computed: floating-point error at long positions, what a cast to
# bf16 does to the positions, the memory the caches take (including the one `__init__` throws
# away), and the time a rebuild costs, with a rebuild that does half the work and gives
# bit-identical tables.
#
# **Learning goals.** After this lesson you can
#
# 1. bound the float32 error of the angles p·inv_freq[i] up to 131072 positions, per pair, and
#    say why pair 0 has none;
# 2. explain why casting the module to bf16 leaves only 641 distinct positions in 0..2047, why
#    Hugging Face added a float32 guard (PR #29285), and why DeepSeek's YaRN class is immune
#    (with an explorer comparing float32 and bf16 angle errors up to any length);
# 3. compute the memory of the caches from their shapes (80 MiB per layer for DeepSeek-V3's
#    discarded init cache, ≈ 4.8 GiB over 61 layers) and check it against real tensors;
# 4. measure a rebuild against a cached forward, and prove that computing cos/sin once on the
#    half and copying it into both halves gives the same bits as upstream's op sequence, for
#    less work (and fewer page faults, the cost that dominates a large rebuild).
#
# Sources: the course's facts file, §1.1-1.3 (upstream `modeling_deepseek.py`: the DeepSeek-V3
# copy in `intel/auto-round`, the V2 copy in `Salanfeng/ktransformers`) and §3.2 (the YaRN class).

# %%
import inspect
import time

import matplotlib.pyplot as plt
import torch

import rope_course as rc
from rope_course.cost import (
    GIB,
    MIB,
    cos_sin_cache_bytes,
    decode_rebuild_rows,
    distinct_positions,
    float32_angle_error,
    init_cache_bytes,
    median_times_interleaved,
    model_init_cache_bytes,
    position_rounding_error,
)
from rope_course.explorers.precision import PrecisionExplorer
from rope_course.yarn import YarnRotaryEmbedding

torch.manual_seed(0)
# One thread: the timings below are steadier, and on a small shared CPU much faster. Results are
# the same bits with any number of threads (cos, sin and the outer product are elementwise).
torch.set_num_threads(1)
D, BASE = 64, 10000  # DeepSeek-V3's rotary width (qk_rope_head_dim) and rope_theta

# %% [markdown]
# ## 1. float32 angles at 100k+ positions
#
# The cache builder computes every angle as θ[p, i] = p · inv_freq[i] in float32 (`t` has
# inv_freq's dtype, facts §1.2). Two roundings enter:
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
# The measured errors respect the bound the two roundings give, p_max · inv_freq[i] · 2⁻²² (a
# generous two units for inv_freq and two for the product), for every pair:

# %%
i = torch.arange(D // 2, dtype=torch.float64)
bound = 131071 * BASE ** (-2 * i / D) * 2.0**-22
print("error / bound, per pair (max):", f"{(angle_err / bound).max().item():.2f}")
assert bool((angle_err <= bound).all())

# %%
fig, ax = plt.subplots(figsize=(7, 3))
ax.semilogy(range(1, D // 2), angle_err[1:], "o-", ms=3, label="max |angle error| (rad)")
ax.semilogy(range(1, D // 2), bound[1:], "--", color="gray", label="bound p·inv_freq·2⁻²²")
ax.set_xlabel("pair i (pair 0 is exact)")
ax.set_title("float32 angles, positions 0..131071, D = 64, b = 10⁴")
ax.legend(fontsize=8)
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

# %% [markdown]
# **What it means.** At 131072 positions the fast pairs' angles are off by about 0.005 rad, and a
# cos value by as much. That is small next to the 1 rad/token step of pair 0, and the slow pairs,
# which carry long-range position, are almost exact. float32 is adequate here; float16 or bf16
# **positions** are a different story.
#
# ## 2. bf16 positions: 641 distinct values in 0..2047
#
# Upstream builds `t = arange(seq_len, dtype=inv_freq.dtype)`. `inv_freq` is a buffer, so
# `model.to(torch.bfloat16)` casts it, and the next rebuild then counts positions in bf16, which
# has 8 significant bits: integers are exact only up to 256, then spaced 2, 4, 8, ... apart.

# %%
print("distinct positions in arange(2048):")
for dtype in (torch.float32, torch.float16, torch.bfloat16):
    print(f"  {str(dtype):15s} {distinct_positions(2048, dtype)}")
print("largest rounding of a position < 2048 in bf16:", position_rounding_error(2048, torch.bfloat16))
print("largest rounding of a position < 131072 in bf16:", position_rounding_error(131072, torch.bfloat16))
assert distinct_positions(2048, torch.bfloat16) == 641
assert distinct_positions(2048, torch.float32) == 2048
assert position_rounding_error(2048, torch.bfloat16) == 4.0
assert position_rounding_error(131072, torch.bfloat16) > 256

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
assert 1e-3 < rel < 2**-8 + 1e-6

# %% [markdown]
# ### The explorer: float32 against a bf16-cast module, up to `seq_len`
#
# Drag `seq_len`. For positions 0..seq_len−1 (up to 512 of them, evenly spaced, the last one
# always included) the picture shows, per pair on a log scale, the largest angle error of a
# float32 module (blue, solid) and of a module cast to bf16 (orange, dashed: bf16 positions,
# bf16 inv_freq, bf16 product), against the exact float64 angle; the gray dotted line is the
# float32 bound (seq_len − 1)·inv_freq[i]·2⁻²² from above. Pair 0's float32 error is exactly 0
# (drawn at the bottom). The readout also counts the distinct bf16 positions below `seq_len`.
# Try 257 → 258 (position 257 is the first to round), 2048, and 131072, where the cast module's
# fast pairs are off by hundreds of radians.

# %%
explorer = PrecisionExplorer()
explorer.show()

# %% [markdown]
# Hugging Face's Llama code forces these computations to float32 for exactly this reason (the
# comment in `modeling_llama.py`, huggingface/transformers @0022728, cites PR #29285). The
# DeepSeek remote code has **no such guard** for the standard, linear and dynamic classes.
#
# Its **YaRN** class, the one the released configs use (lesson 09), is immune by construction:
# it builds `t` as float32 explicitly and recomputes `inv_freq` in float32 at every rebuild
# (facts §3.2). The cast still reaches the buffer, but the first rebuild replaces it:

# %%
yarn_bf16 = YarnRotaryEmbedding(D, 2048, BASE, scaling_factor=4.0, original_max_position_embeddings=1024).to(torch.bfloat16)
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
# DeepSeek-V3 has `max_position_embeddings = 163840` and D = 64, and each of its 61 decoder layers
# owns a rotary module. Lesson 03 showed that `__init__` builds a table of that length and then
# sets `max_seq_len_cached = None`, so the first forward replaces it. It is built all the same
# (this holds for the YaRN class too: its constructor calls the parent's). One real layer's worth:

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
# ≈ 4.8 GiB of short-lived tables at load time (facts §1.1), freed again at the first forward.
# The cache `forward` keeps is sized by the request: a bf16 cache for 131072 positions is
# 32 MiB per layer.

# %%
keep = cos_sin_cache_bytes(131072, D, torch.bfloat16)
print(f"bf16 cache for 131072 positions: {keep / MIB:.0f} MiB per layer, {61 * keep / GIB:.2f} GiB for 61 layers")
assert keep == 32 * MIB

# %% [markdown]
# ## 4. Time: a rebuild against a cached forward
#
# A cached forward is a slice (a view) and a cast that does nothing when the dtype already
# matches (lesson 02). A rebuild recomputes the whole table. Timings depend on the machine, so
# the next cell's output is not compared when the notebook is tested; read them, do not trust
# them to the digit.

# %%
# NBVAL_IGNORE_OUTPUT
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
# ## 5. A rebuild with half the transcendental work, bit for bit
#
# Upstream evaluates cos and sin over `emb = cat(freqs, freqs)`: every value is computed twice,
# once per half. cos and sin act elementwise, so cos(cat(f, f)) = cat(cos f, cos f) **exactly**
# (the same inputs give the same outputs, bit for bit), and the cast to the target dtype is
# elementwise too. The package's builder computes each once on the half and copies it into both
# halves of the row.
#
# At (131072, 64) float32 the arithmetic is not the biggest cost, though: each table is memory
# the process has never touched, and every fresh 4 KiB page is a page fault that the operating
# system serves by zeroing the page. Upstream's sequence writes `freqs`, `emb`, `cos` and `sin`
# (the float32 cast is a no-op); the cell after the proof below counts those bytes. So the
# package's builder also (1) touches no memory beyond its two output tables: `freqs`, its sin and its cos are computed contiguously inside the second halves
# of the outputs and then spread in place into rows [c, c]; and (2) asks Linux for 2 MiB pages
# for the outputs (`madvise`, a hint that changes no number). Read it:

# %%
print(inspect.getsource(rc.cos_sin_tables))

# %% [markdown]
# Proof by `torch.equal` (bit-identity, not closeness) against upstream's op sequence
# (`rc.cos_sin_tables_upstream`), over shapes, dtypes and bases, including a dynamic-NTK base and
# a bf16 `inv_freq` (a cast module), and once at (131072, 64) float32:

# %%
cases = []
for dim, base in [(2, 10000), (8, 10000), (64, 10000), (64, rc.dynamic_ntk_base(10000, 64, 8192, 4096, 2.0)), (128, 5e4)]:
    for seq_len in (1, 7, 4096):
        for dtype in (torch.float32, torch.bfloat16, torch.float16, torch.float64):
            cases.append((rc.inv_freq_for_base(base, dim), seq_len, dtype))
cases.append((rc.inv_freq_for_base(10000, 64).to(torch.bfloat16), 2048, torch.bfloat16))
identical = 0
for inv, seq_len, dtype in cases:
    a, b = rc.cos_sin_tables(inv, seq_len, dtype), rc.cos_sin_tables_upstream(inv, seq_len, dtype)
    identical += torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
print(f"bit-identical: {identical} of {len(cases)} cases")
assert identical == len(cases) == 61

inv64 = rc.inv_freq_for_base(BASE, D)
big_fast = rc.cos_sin_tables(inv64, 131072, torch.float32)
big_up = rc.cos_sin_tables_upstream(inv64, 131072, torch.float32)
same_big = torch.equal(big_fast[0], big_up[0]) and torch.equal(big_fast[1], big_up[1])
print("(131072, 64) float32 bit-identical:", same_big, "| shape:", tuple(big_fast[0].shape))
assert same_big
table_mib = big_up[0].numel() * big_up[0].element_size() / 2**20
upstream_fresh_mib = table_mib / 2 + 3 * table_mib  # freqs (half width), emb, cos, sin
package_fresh_mib = 2 * table_mib  # the two output tables, nothing else
print(f"one table: {table_mib:.0f} MiB | fresh memory written per rebuild: upstream "
      f"{upstream_fresh_mib:.0f} MiB, package {package_fresh_mib:.0f} MiB")
assert (table_mib, upstream_fresh_mib, package_fresh_mib) == (32, 112, 64)
del big_fast, big_up

# %% [markdown]
# And the time, as medians of interleaved runs (the two builders alternate, so a busy machine
# slows both alike). Half the cos/sin work alone would give less than 2x (the outer product and
# the copies remain); fewer and cheaper page faults give the rest. `make bench` measures the
# same ratio with more repeats. Not compared under test (it is a timing):

# %%
# NBVAL_IGNORE_OUTPUT
t = median_times_interleaved({
    "upstream (cos/sin over cat)": lambda: rc.cos_sin_tables_upstream(inv64, 131072, torch.float32),
    "package (half, spread)": lambda: rc.cos_sin_tables(inv64, 131072, torch.float32),
}, repeats=3)
for name, v in t.items():
    print(f"{name:28s} {v * 1e3:7.1f} ms")
print(f"speedup: {t['upstream (cos/sin over cat)'] / t['package (half, spread)']:.2f}x")

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
# What that costs in time on this machine, measured on the 64-step loop above and scaled by the
# row count (rows per second is roughly constant at these sizes; an estimate, not a measurement
# of the full loop). Not compared under test:

# %%
# NBVAL_IGNORE_OUTPUT
rows_per_s = counted.rows / loop_seconds
print(f"prefill 4096 + 64 steps: {loop_seconds * 1e3:.0f} ms ({loop_seconds / 65 * 1e3:.2f} ms per rebuild)")
print(f"estimated rebuild time, 4096 -> 131072 tokens: {rows_full / rows_per_s:.0f} s per layer, "
      f"{61 * rows_full / rows_per_s / 3600:.1f} h for 61 layers")

# %% [markdown]
# **Where the seed is wrong.** The seed lesson says the forward has "no additional cost" and is
# "O(1)"; the facts file (§1.3, §7.2 item 11) and the counts above say otherwise: with
# `max_seq_len_cached = None` after `__init__` and exact-length rebuilds, every decoding step
# rebuilds the full O(seq · dim) table, for the standard, linear, dynamic and YaRN classes alike.
#
# ## Summary
#
# * float32 angles up to 131072 positions are off by at most ≈ 0.005 rad (pair 1-2), bounded by
#   p · inv_freq[i] · 2⁻²²; pair 0's angle is exact. Fine for these lengths.
# * Casting the module to bf16 casts `inv_freq`, and upstream's `t` follows it: 641 distinct
#   positions in 0..2047 (up to 4 tokens off; hundreds past 100k). HF guards against it (PR
#   #29285); the remote code does not, except YaRN, which works in float32.
# * A cache is 2 · length · D · bytes. DeepSeek-V3's discarded init caches: 80 MiB per layer in
#   float32, ≈ 4.8 GiB over 61 layers (≈ 2.4 GiB in bf16).
# * A rebuild costs far more than a cached forward (a slice), and a decode loop rebuilds at every
#   step: the rows computed grow quadratically with the length (65473 x 131072 rows from 4096 to 131072).
# * cos/sin computed once on the half and concatenated are bit-identical to upstream's tables
#   (`torch.equal`, 61 small cases and once at (131072, 64) float32), for half the transcendental work.
#
# ## Exercises
#
# **1.** Write `cache_bytes(seq_len, dim, bytes_per_element)`: the bytes of one module's
# `cos_cached` plus `sin_cached`.

# %%
from rope_course.checks.lesson08 import check_cache_bytes, check_distinct_bf16_positions, check_half_work_tables


def cache_bytes(seq_len, dim, bytes_per_element):
    raise NotImplementedError


result = check_cache_bytes(cache_bytes)

# %% [markdown]
# **2.** Write `distinct_bf16_positions(n)`: how many distinct values the positions 0..n−1 have
# once they are bf16 (as upstream's `t` is in a cast module).

# %%
def distinct_bf16_positions(n):
    raise NotImplementedError


result = check_distinct_bf16_positions(distinct_bf16_positions)

# %% [markdown]
# **3.** Write `half_work_tables(inv_freq, seq_len)` returning `(cos, sin)` in upstream's
# half-split layout, each of shape (seq_len, 2·len(inv_freq)), computing cos and sin only on the
# (seq_len, len(inv_freq)) angles. Positions are `arange(seq_len)` in `inv_freq`'s dtype.

# %%
def half_work_tables(inv_freq, seq_len):
    raise NotImplementedError


result = check_half_work_tables(half_work_tables)

# %% [markdown]
# Solutions: `lessons/solutions/08_precision_and_cost.ipynb` (open it after trying).
