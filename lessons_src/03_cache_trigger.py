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
# 3. predict the number of rebuilds of any sequence of calls, including a decode loop, which
#    rebuilds at **every** step;
# 4. see, for the dynamic class, that each of those rebuilds past L picks a new base, and that a
#    later shorter call silently keeps the last one.
#
# Sources: the facts file, §1.1-1.3 (upstream `modeling_deepseek.py`, DeepSeek-V3 copy in
# `intel/auto-round`, V2 copy in `Salanfeng/ktransformers`).

# %%
import inspect

import torch

import rope_course as rc
from rope_course.explorers import format_number
from rope_course.calls import (
    CountingDynamicNTK,
    CountingRotaryEmbedding,
    count_rebuilds,
    simulate_calls,
    two_conversations,
)
from rope_course.explorers.timeline import TimelineExplorer

torch.manual_seed(0)
x = torch.zeros(1)  # forward uses x only for its device and dtype (lesson 02)

# %% [markdown]
# ## 1. `__init__` builds a table, then throws it away
#
# The constructor computes `inv_freq`, calls `_set_cos_sin_cache(seq_len=max_position_embeddings, ...)`
# (upstream's comment says this is to make `torch.jit.trace` work), and then sets
# `max_seq_len_cached = None`. The package keeps that quirk on purpose:

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
# DeepSeek-V3's config has `max_position_embeddings = 163840` and a rotary width
# `qk_rope_head_dim = 64`, and every one of its 61 layers owns a rotary module. Each `__init__`
# builds cos and sin of shape (163840, 64). We build one such module here (once, about 80 MiB)
# and measure its two buffers:

# %%
v3_rope = rc.RotaryEmbedding(dim=64, max_position_embeddings=163840)
per_layer = v3_rope.cos_cached.nbytes + v3_rope.sin_cached.nbytes
MiB, GiB = 2**20, 2**30
print(f"per layer (fp32): {per_layer / MiB:.1f} MiB")
print(f"61 layers (fp32): {61 * per_layer / GiB:.2f} GiB  | in bf16: {61 * per_layer / 2 / GiB:.2f} GiB")
print("used by the first forward?", v3_rope.max_seq_len_cached is not None)
assert per_layer == 2 * 163840 * 64 * 4 == 80 * MiB
assert round(61 * per_layer / GiB, 2) == 4.77
del v3_rope

# %% [markdown]
# About 4.8 GiB of float32 tables (2.4 GiB in bf16) are computed at load time and dropped at the
# first forward. The seed series calls `max_seq_len_cached = None` "track for extension"
# (facts §7.2, error 13): it is the line that discards this work.

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
    print(f"seq_len={seq_len:3d}  rebuilt={rebuilt!s:5}  cached={rope.max_seq_len_cached:3d}  returned rows={cos.shape[0]}")
assert rope.rebuilds == [10, 11, 12]
assert rope.max_seq_len_cached == 12 and tuple(rope.cos_cached.shape) == (12, 64)

# %% [markdown]
# `seq_len=10` after a 10-row build: no rebuild (10 > 10 is false). 11: rebuild to exactly 11.
# 5: the first 5 rows of the 11-row table. 11 again: nothing. 12: rebuild to exactly 12.

# %% [markdown]
# ## 3. A decode loop rebuilds at every step
#
# `DeepseekV3Attention` calls the rotary module with `seq_len = kv_seq_len`, the number of past
# tokens plus the new ones (facts §1.5). Prefill a 5-token prompt, then generate 10 tokens one
# at a time: the lengths asked for are 5, 6, 7, ..., 15. Each is one more than the cached length,
# so each rebuilds the **whole** table.

# %%
decode_calls = [5 + k for k in range(11)]  # prefill 5, then 10 one-token steps
std = CountingRotaryEmbedding(dim=64, max_position_embeddings=2048)
for seq_len in decode_calls:
    std(x, seq_len=seq_len)
rows = sum(std.rebuilds)
print("calls   :", decode_calls)
print("rebuilds:", len(std.rebuilds), "| rows computed:", rows, "| rows the last step needs:", decode_calls[-1])
assert len(std.rebuilds) == 11
assert rows == sum(range(5, 16)) == 110

# %% [markdown]
# Eleven calls, eleven rebuilds (facts §1.3). The work grows like the square of the generated
# length: generating n tokens after a prompt rebuilds n tables of growing size. This is the
# opposite of the seed series' "O(1) per token after init" (L4.1.2) and "No additional cost"
# (L4.3.3) (facts §7.2, error 11).
#
# The rule is simple enough to simulate without tensors. `simulate_calls` replays it on a list of
# lengths; it must agree with the real module:

# %%
sim = simulate_calls(decode_calls, dynamic=False)
print([int(r.rebuilt) for r in sim])
assert [r.seq_len for r in sim if r.rebuilt] == std.rebuilds
assert count_rebuilds(decode_calls) == 11

# %% [markdown]
# ### For the dynamic class, every rebuild past L picks a new base
#
# The dynamic class has the same trigger, and its builder recomputes the base whenever the
# rebuild is for `seq_len > L` (lesson 04 derives the formula). With L = 16, s = 2, D = 64, a
# prefill of 16 then 8 decode steps: 9 rebuilds, and the base moves at each of the 8 steps.

# %%
dyn = CountingDynamicNTK(dim=64, max_position_embeddings=16, scaling_factor=2.0)
bases = []
for seq_len in [16 + k for k in range(9)]:
    dyn(x, seq_len=seq_len)
    bases.append(rc.dynamic_ntk_base(10000, 64, seq_len, 16, 2.0))
print("rebuilds:", len(dyn.rebuilds))
print("base per call:", [round(b, 1) for b in bases])
assert len(dyn.rebuilds) == 9
assert round(bases[1], 1) == 11292.8 and round(bases[-1], 1) == 20452.2
assert torch.equal(dyn.inv_freq, rc.inv_freq_for_base(bases[-1], 64))

# %% [markdown]
# From 11292.8 at the first step to 20452.2 at the eighth (facts §2.4). Lesson 07 follows what
# this does to keys that were cached with earlier bases. The seed series says dynamic NTK is
# "best for generation where seq grows gradually" (facts §7.2, error 10): growing one token at a
# time is exactly what triggers a rebuild and a base change at every step.

# %% [markdown]
# ## 4. Explorer: two conversations on one module
#
# One dynamic module (D = 64, L = 4096, base 10000) serves two conversations:
# a prefill of `seq_len` tokens and 8 decode steps, then a new prompt of 6000 tokens and 8 steps.
# Left: the length each call asks for (gray), the cached length after it (blue) and the calls that
# rebuild (red triangles). Right: the base in force after each call (red) against the base a
# fresh module would use for that call (green dots).
#
# Drag `seq_len` past 6000: the second conversation stops rebuilding, and from then on it runs on
# the first conversation's base, not on its own. Drag `scaling_factor`: the bases move (past L),
# the rebuild count does not.

# %%
r = TimelineExplorer.compute(seq_len=5000, scaling_factor=1.0)
print({k: format_number(v) for k, v in TimelineExplorer.readout_values(r).items()})
assert r["rebuilds"] == 18 and r["final_cached"] == 6008
assert r["final_base"] == r["fresh_final_base"]
r = TimelineExplorer.compute(seq_len=8192, scaling_factor=1.0)
print({k: format_number(v) for k, v in TimelineExplorer.readout_values(r).items()})
assert r["rebuilds"] == 9 and r["final_cached"] == 8200
assert r["final_base"] == rc.dynamic_ntk_base(10000, 64, 8200, 4096, 1.0) != r["fresh_final_base"]

# %% [markdown]
# The simulation behind the picture agrees with the real module for these call sequences:

# %%
for seq_len in [5000, 8192]:
    m = CountingDynamicNTK(dim=64, max_position_embeddings=4096)
    calls = two_conversations(seq_len)
    for l in calls:
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
# **1.** Write `count_rebuilds(calls)`: given the `seq_len` of each forward call on a **fresh**
# module, return how many of them rebuild the cache. (Think about the first call and about
# equal lengths.)

# %%
from rope_course.checks.lesson03 import check_count_rebuilds, check_rows_built


def my_count_rebuilds(calls):
    raise NotImplementedError


result = check_count_rebuilds(my_count_rebuilds)

# %% [markdown]
# **2.** Write `rows_built(calls)`: the total number of table rows that `forward`'s rebuilds
# compute for the same sequence (the discarded `__init__` table does not count). This is the
# work the "no additional cost" claim forgets.

# %%
def my_rows_built(calls):
    raise NotImplementedError


result = check_rows_built(my_rows_built)

# %% [markdown]
# Solutions: `lessons/solutions/03_cache_trigger.ipynb` (open it after trying).
