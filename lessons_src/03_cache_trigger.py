# %% [markdown]
# # 03 · When does the cache rebuild?
#
# Lesson 02 showed that the dynamic class inherits `forward`: a cache check, a slice, a cast.
# This lesson is about the first of those three steps, the only one that does real work:
# **when does `_set_cos_sin_cache` run?**
#
# **Learning goals.** After this lesson you can
#
# 1. explain why the table that `__init__` builds is never used (`max_seq_len_cached is None`),
#    and what it costs for DeepSeek-V3;
# 2. state the rebuild rule exactly: cache empty, or `seq_len` *strictly* greater than the cached
#    length, and a rebuild caches *exactly* `seq_len` rows;
# 3. predict the rebuilds of any sequence of calls, including a decode loop, which rebuilds at
#    **every** step;
# 4. see, for the dynamic class, that each of those rebuilds past L picks a new base, and that a
#    later shorter call silently keeps the last one.
#
# Sources: upstream's `__init__`, cache builder and forward
# ([upstream-init](../SOURCES.md#upstream-init),
# [upstream-set-cos-sin-cache](../SOURCES.md#upstream-set-cos-sin-cache),
# [upstream-forward](../SOURCES.md#upstream-forward)), the dynamic builder
# ([upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache)) and the attention that calls
# them ([upstream-attention](../SOURCES.md#upstream-attention)).

# %%
import inspect

import torch

import rope_course as rc
from rope_course.calls import CountingDynamicNTK, CountingRotaryEmbedding, two_conversations
from rope_course.explorers import format_number
from rope_course.explorers.timeline import TimelineExplorer

torch.manual_seed(0)
x = torch.zeros(1)  # forward uses x only for its device and dtype (lesson 02)

# %% [markdown]
# ## 1. `__init__` builds a table, then throws it away
#
# The constructor computes `inv_freq`, calls `_set_cos_sin_cache(seq_len=max_position_embeddings, ...)`
# (upstream's comment says this is to make `torch.jit.trace` work), and then sets
# `max_seq_len_cached = None` ([upstream-init](../SOURCES.md#upstream-init)). The package keeps
# that quirk on purpose:

# %%
print(inspect.getsource(rc.RotaryEmbedding.__init__))

# %% [markdown]
# So right after construction the table exists, but the length that would let `forward` use it is
# `None`. `CountingRotaryEmbedding` (in `rope_course.calls`) is the package's
# module plus a log of every `_set_cos_sin_cache` call: `init_builds` during `__init__`,
# `rebuilds` afterwards.

# %%
rope = CountingRotaryEmbedding(dim=64, max_position_embeddings=2048)
print("built during __init__:", rope.init_builds)
print("max_seq_len_cached   :", rope.max_seq_len_cached)
print("cos_cached.shape     :", tuple(rope.cos_cached.shape))
assert rope.init_builds == [2048]
assert rope.max_seq_len_cached is None
assert tuple(rope.cos_cached.shape) == (2048, 64)

# %% [markdown]
# The first `forward` sees `None` and rebuilds, whatever the length asked for, and the 2048-row
# table is replaced by one of exactly that length:

# %%
cos, sin = rope(x, seq_len=10)
print("rebuilds:", rope.rebuilds, "| max_seq_len_cached:", rope.max_seq_len_cached,
      "| cos_cached.shape:", tuple(rope.cos_cached.shape))
assert rope.rebuilds == [10]
assert tuple(rope.cos_cached.shape) == (10, 64)

# %% [markdown]
# ### What the thrown-away table costs in DeepSeek-V3
#
# DeepSeek-V3's config has `max_position_embeddings = 163840`, a rotary width
# `qk_rope_head_dim = 64` and 61 layers ([deepseek-v3-config](../SOURCES.md#deepseek-v3-config)),
# and every attention layer builds its own rotary module
# ([upstream-init-rope](../SOURCES.md#upstream-init-rope)). The config selects the YaRN class
# (lesson 09), whose `__init__` goes through the same parent constructor: it builds cos and sin of
# shape (163840, 64) and sets `max_seq_len_cached = None`. We build one such module here from the
# config (once, about 80 MiB) and measure its two buffers:

# %%
v3_config = rc.presets.DEEPSEEK_V3.to_config()  # the course's copy of the released config
assert (v3_config["max_position_embeddings"], v3_config["qk_rope_head_dim"]) == (163840, 64)
v3_rope = rc.rotary_from_config(v3_config)  # the class the config selects, as _init_rope does
print("class:", type(v3_rope).__name__, "| cos_cached.shape:", tuple(v3_rope.cos_cached.shape))
assert isinstance(v3_rope, rc.YarnRotaryEmbedding) and tuple(v3_rope.cos_cached.shape) == (163840, 64)
per_layer = v3_rope.cos_cached.nbytes + v3_rope.sin_cached.nbytes
MiB, GiB = 2**20, 2**30
print(f"per layer (fp32): {per_layer / MiB:.1f} MiB")
print(f"61 layers (fp32): {61 * per_layer / GiB:.2f} GiB  | in bf16: {61 * per_layer / 2 / GiB:.2f} GiB")
print("used by the first forward?", v3_rope.max_seq_len_cached is not None)
assert per_layer == 2 * 163840 * 64 * 4 == 80 * MiB
assert round(61 * per_layer / GiB, 2) == 4.77
del v3_rope

# %% [markdown]
# About 4.8 GiB of float32 tables (2.4 GiB if the default dtype is bf16) are computed at load
# time and dropped at the first forward. The seed series' lesson 4.1.1 calls
# `max_seq_len_cached = None` "Track for extension" ([seed-4-1-1](../SOURCES.md#seed-4-1-1)): it
# is the line that discards this work.

# %% [markdown]
# ## 2. The rule: strictly greater, exactly that long
#
# Here is the forward the dynamic class inherits (the package's copy; upstream's differs only in
# the input checks):

# %%
print(inspect.getsource(rc.RotaryEmbedding.forward))

# %% [markdown]
# Two details decide everything:
#
# * the test is `seq_len > max_seq_len_cached`: asking for the cached length again does **not**
#   rebuild, asking for one more row does;
# * the builder sets `max_seq_len_cached = seq_len`: the cache is never larger than the longest
#   request so far. There is no doubling, no headroom.
#
# The same module as above (cached length 10):

# %%
for seq_len in [10, 11, 5, 11, 12]:
    before = len(rope.rebuilds)
    cos, _ = rope(x, seq_len=seq_len)
    rebuilt = len(rope.rebuilds) > before
    print(f"seq_len={seq_len:3d}  rebuilt={rebuilt!s:5}  cached={rope.max_seq_len_cached:3d}  "
          f"returned rows={cos.shape[0]}")
assert rope.rebuilds == [10, 11, 12]
assert rope.max_seq_len_cached == 12 and tuple(rope.cos_cached.shape) == (12, 64)

# %% [markdown]
# `seq_len=10` after a 10-row build: no rebuild (10 > 10 is false). 11: rebuild to exactly 11.
# 5: the first 5 rows of the 11-row table. 11 again: nothing. 12: rebuild to exactly 12.

# %% [markdown]
# ## 3. A decode loop rebuilds at every step
#
# `DeepseekV3Attention` calls the rotary module with `seq_len = kv_seq_len`, the number of past
# tokens plus the new ones ([upstream-attention](../SOURCES.md#upstream-attention)). Prefill a
# 5-token prompt, then generate 10 tokens one at a time: the lengths asked for are 5, 6, 7, ...,
# 15. Each is one more than the cached length, so each rebuilds the **whole** table.

# %%
decode_calls = [5 + k for k in range(11)]  # prefill 5, then 10 one-token steps
std = CountingRotaryEmbedding(dim=64, max_position_embeddings=2048)
for seq_len in decode_calls:
    std(x, seq_len=seq_len)
rows = sum(std.rebuilds)
print("calls   :", decode_calls)
print("rebuilds:", len(std.rebuilds), "| rows computed:", rows, "| rows the last step needs:", decode_calls[-1])
assert std.rebuilds == decode_calls
assert rows == sum(range(5, 16)) == 110

# %% [markdown]
# Eleven calls, eleven rebuilds, each of the whole table. Every generated token costs a table as
# long as the sequence so far, so the total work is quadratic in the number of generated tokens
# (exercise 2 asks for the exact count). The seed series says the opposite:
# "Caching makes RoPE O(1) per token after init" (lesson 4.1.2,
# [seed-4-1-2](../SOURCES.md#seed-4-1-2)) and "No Additional Cost" (lesson 4.3.3,
# [seed-4-3-3](../SOURCES.md#seed-4-3-3)).

# %% [markdown]
# ### For the dynamic class, every rebuild past L picks a new base
#
# The dynamic class has the same trigger, and its builder recomputes the base whenever the
# rebuild is for `seq_len > L`. Write b'(l) for the base a rebuild at length l computes
# (`rc.dynamic_ntk_base`; lesson 04 derives the formula); b'(l) = b for l ≤ L. With L = 16, s = 2,
# D = 64, a prefill of 16 then 8 decode steps: 9 rebuilds, and the base moves at each of the 8
# steps.

# %%
dyn = CountingDynamicNTK(dim=64, max_position_embeddings=16, scaling_factor=2.0)
bases = []
for seq_len in [16 + k for k in range(9)]:
    dyn(x, seq_len=seq_len)
    bases.append(rc.dynamic_ntk_base(10000, 64, seq_len, 16, 2.0))
print("rebuilds:", len(dyn.rebuilds))
print("base per call:", [round(b, 1) for b in bases])
assert len(dyn.rebuilds) == 9 and len(set(bases[1:])) == 8
assert round(bases[1], 1) == 11292.8 and round(bases[-1], 1) == 20452.2
assert torch.equal(dyn.inv_freq, rc.inv_freq_for_base(bases[-1], 64))

# %% [markdown]
# From 11292.8 at the first step to 20452.2 at the eighth. Lesson 07 follows what this does to
# keys that were cached with earlier bases ([HF #25104](../SOURCES.md#hf-25104)). The seed
# series' lesson 4.3.1 says dynamic NTK is "best for generation where seq grows gradually"
# ([seed-4-3-1](../SOURCES.md#seed-4-3-1)): growing one token at a time is exactly what triggers
# a rebuild and a base change at every step.

# %% [markdown]
# ## 4. Explorer: two conversations on one module
#
# One dynamic module (D = 64, L = 4096, base 10000) serves two conversations: a prefill of
# `seq_len` tokens and 8 decode steps, then a new prompt of 6000 tokens and 8 steps. Both panels
# have linear axes from 0.
#
# * Left: the length each call asks for (grey dots), the cached length after it (blue line), the
#   calls that rebuild (vermillion triangles) and L (dashed).
# * Right: the base in force after each call (vermillion line) against the base a fresh module
#   would use for that call (green dots).
#
# The saved picture is the default `seq_len = 8192`. The first conversation rebuilds at each of
# its 9 calls and leaves the cache at 8200 rows. The second conversation's calls (6000 to 6008)
# are all shorter, so none of them rebuilds: all 9 run on the first conversation's base b'(8200)
# ≈ 20473, while a fresh module would give each its own, from b'(6000) ≈ 14830 to b'(6008) ≈ 14850.
# Drag `seq_len` below 5992 (the first conversation then ends before 6000) and every call of the
# second conversation rebuilds and gets its own base again. In between only its later calls do:
# at the notch 5996 the first conversation ends at 6004, so the calls 6000-6004 keep b'(6004) and
# 6005-6008 rebuild. Drag `scaling_factor`: the bases move (past L), the rebuild count does not.

# %%
r = TimelineExplorer.compute(seq_len=8192, scaling_factor=1.0)
print({k: format_number(v) for k, v in TimelineExplorer.readout_values(r).items()})
second = slice(9, 18)
assert r["rebuilds"] == 9 and r["final_cached"] == 8200 and not any(r["rebuilt"][second])
assert r["base"][second] == [rc.dynamic_ntk_base(10000, 64, 8200, 4096, 1.0)] * 9
assert round(r["final_base"]) == 20473 and round(r["fresh_final_base"]) == 14850
assert round(r["fresh_base"][9]) == 14830  # b'(6000)
r = TimelineExplorer.compute(seq_len=5000, scaling_factor=1.0)
print({k: format_number(v) for k, v in TimelineExplorer.readout_values(r).items()})
assert r["rebuilds"] == 18 and r["final_cached"] == 6008
assert r["final_base"] == r["fresh_final_base"]
r = TimelineExplorer.compute(seq_len=5996, scaling_factor=1.0)
assert r["rebuilt"][second] == [False] * 5 + [True] * 4
assert r["base"][9:14] == [rc.dynamic_ntk_base(10000, 64, 6004, 4096, 1.0)] * 5

# %% [markdown]
# Over every `seq_len` of the slider and several `scaling_factor`s: the second conversation never
# rebuilds exactly when `seq_len` ≥ 6000 (then none of its calls, up to 6008, is longer than the
# first conversation's last one, `seq_len` + 8), every one of its calls rebuilds exactly when
# `seq_len` + 8 < 6000, and the number of rebuilds does not depend on `scaling_factor`.

# %%
slider_lengths = list(TimelineExplorer().controls["seq_len"].options)
for seq_len in slider_lengths:
    counts = set()
    for s in (1.0, 2.0, 4.0, 16.0):
        r = TimelineExplorer.compute(seq_len=seq_len, scaling_factor=s)
        assert (not any(r["rebuilt"][second])) == (seq_len >= 6000)
        assert all(r["rebuilt"][second]) == (seq_len + 8 < 6000)
        counts.add(r["rebuilds"])
    assert len(counts) == 1
print(f"checked {len(slider_lengths)} slider positions ({slider_lengths[0]} to {slider_lengths[-1]}) "
      "x 4 scaling factors")

# %% [markdown]
# The simulation behind the picture agrees with the real module for these call sequences:

# %%
for seq_len in [5000, 8192]:
    m = CountingDynamicNTK(dim=64, max_position_embeddings=4096)
    for l in two_conversations(seq_len):
        m(x, seq_len=l)
    expected = TimelineExplorer.compute(seq_len=seq_len, scaling_factor=1.0)
    print(seq_len, "rebuilds:", len(m.rebuilds))
    assert len(m.rebuilds) == expected["rebuilds"]
    assert torch.equal(m.inv_freq, rc.inv_freq_for_base(expected["final_base"], 64))

# %%
explorer = TimelineExplorer()
explorer.show()

# %% [markdown]
# ## Summary
#
# * `__init__` builds a full (L, D) table and sets `max_seq_len_cached = None`, so the first
#   forward rebuilds anyway: 80 MiB per layer, about 4.8 GiB over DeepSeek-V3's 61 layers (fp32),
#   computed and dropped.
# * A call rebuilds iff the cache is empty or `seq_len > max_seq_len_cached` (strict); the rebuild
#   caches exactly `seq_len` rows.
# * A decode loop asks for one more row each step, so it rebuilds at every step: prefill 5 plus
#   10 steps is 11 rebuilds, 110 rows for a 15-row need.
# * In the dynamic class each rebuild past L also picks a new base; a call that does not rebuild
#   keeps whatever base the last rebuild left (lesson 05).

# %% [markdown]
# ## Exercises
#
# Solutions: [solutions/03_cache_trigger.ipynb](solutions/03_cache_trigger.ipynb) (open it after trying).
#
# **1. Predict.** One fresh dynamic module (D = 64, L = 4096, s = 1) serves these calls, in this
# order: 4000, 4001, 6000, 6001, 5000, 5001, 6002. Without running anything, predict (a) how many
# of the seven calls rebuild the cache, and (b) the length l whose base b'(l) serves the sixth
# call (the 5001). Answer with a tuple `(a, b)`.

# %%
from rope_course.checks.lesson03 import check_count_rebuilds, check_decode_rows, check_trace_prediction

trace_prediction = ...
result = check_trace_prediction(trace_prediction)

# %% [markdown]
# **2. Derive.** A fresh module serves a prompt of P = 4096 tokens, then n = 4096 one-token decode
# steps: the calls ask for `seq_len` = 4096 (the prompt), 4097, ..., 8192. How many table rows do
# forward's rebuilds compute in total (the discarded `__init__` table does not count)? Derive the
# sum in closed form for any P and n first, then give the number.

# %%
decode_rows = ...
result = check_decode_rows(decode_rows)

# %% [markdown]
# **3. Find the bug.** Someone wrote this counter to predict the rebuilds of a fresh module from
# its call lengths. It follows forward's rule line by line, except for one planted bug. Find a
# call sequence on which it is wrong, then write the fixed version as `my_count_rebuilds(calls)`.

# %%
def buggy_count_rebuilds(calls, max_position_embeddings=2048):
    cached = max_position_embeddings  # __init__ built this many rows
    rebuilds = 0
    for seq_len in calls:
        if seq_len > cached:
            cached = seq_len
            rebuilds += 1
    return rebuilds


def my_count_rebuilds(calls):
    raise NotImplementedError


result = check_count_rebuilds(my_count_rebuilds)
