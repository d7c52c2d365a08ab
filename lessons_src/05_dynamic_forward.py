# %% [markdown]
# # 05 · The dynamic forward, end to end
#
# Lessons 02-04 took the dynamic class apart: the inherited forward, the rebuild trigger, the new
# base. This lesson puts the pieces back together and follows one call all the way through. Then
# it shows the consequence the seed lesson misses: **what a call returns depends on the calls
# before it**, and compares that with Hugging Face's later rule. It ends with every claim of the
# seed lesson checked one by one, and a check of eight statements about dynamic NTK found in the
# wild.
#
# The seed lesson is "Lesson 4.3.3: RoPE Dynamic NTK Scaling - Forward Method in
# DynamicNTKScalingRotaryEmbedding", in the series vukrosic/kimi-k2-from-scratch, file
# `full_llm_course/module_04_rotary_embedding/lesson_17_dynamic_ntk_forward/teaching.md` at commit
# 171a7f8 ([seed-4-3-3](../SOURCES.md#seed-4-3-3)). The course quotes only the short claims it
# judges.
#
# **Learning goals.** After this lesson you can
#
# 1. trace a forward call of the dynamic class through cache check, overridden builder, new base,
#    overwritten `inv_freq`, table, slice and cast;
# 2. run the seed's example correctly, and name the error upstream raises as written;
# 3. predict the table a short call returns after a long one (history dependence,
#    [HF #25306](../SOURCES.md#hf-25306)), and say what Hugging Face's reset rule changes, what it
#    costs and what it still leaves;
# 4. judge each claim of the seed lesson, with the cell that shows it, at every s and l, not at
#    one setting.
#
# Sources: upstream's forward and dynamic builder
# ([upstream-forward](../SOURCES.md#upstream-forward),
# [upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache)); Hugging Face's rule
# ([hf-rope-utils](../SOURCES.md#hf-rope-utils), [HF #32135](../SOURCES.md#hf-32135),
# [HF #37249](../SOURCES.md#hf-37249), [HF #46624](../SOURCES.md#hf-46624)).

# %%
import inspect
import math

import numpy as np
import torch

import rope_course as rc
from rope_course.angles import angle_report
from rope_course.calls import CountingDynamicNTK, CountingRotaryEmbedding
from rope_course.explorers import format_number
from rope_course.explorers.history import HistoryExplorer, later_call_tables
from rope_course.hf_reset import HFDynamicRope

torch.manual_seed(0)
x32 = torch.zeros(1)  # forward uses x only for device and dtype
x16 = torch.zeros(1, dtype=torch.bfloat16)
Dyn = rc.DynamicNTKScalingRotaryEmbedding

# %% [markdown]
# ## 1. One call, step by step
#
# The seed's setting: D = 64, L = 2048, s = 2, and a first call with `seq_len = 3000` on a fresh
# module. `CountingDynamicNTK` is the package's class plus a log of builder calls.

# %%
rope = CountingDynamicNTK(dim=64, max_position_embeddings=2048, scaling_factor=2.0)
original = rope.inv_freq.clone()

# step 1: forward is the parent's, found through the MRO
assert type(rope).forward is rc.RotaryEmbedding.forward
# step 2: the cache check: None after __init__, so this call must rebuild
assert rope.max_seq_len_cached is None
cos, sin = rope(x32, seq_len=3000)
# step 3: the subclass's builder ran (Python dispatches to the override)
print("builder calls after __init__:", rope.rebuilds)
assert rope.rebuilds == [3000]
# step 4: 3000 > L, so a new base from the bracket a = 1 + 2 (3000/2048 - 1)
a = rc.ntk_bracket(3000, 2048, 2.0)
new_base = rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0)
print(f"a = {a}, new base = {new_base:.1f}")
assert a == 1.9296875 and round(new_base, 1) == 19710.4
# step 5: inv_freq overwritten with the new base's frequencies; no copy of the original is kept
assert torch.equal(rope.inv_freq, rc.inv_freq_for_base(new_base, 64))
print("buffers:", [name for name, _ in rope.named_buffers()])
assert [name for name, _ in rope.named_buffers()] == ["inv_freq", "cos_cached", "sin_cached"]
# step 6: the table, exactly 3000 rows, from the new inv_freq
ref_cos, ref_sin = rc.cos_sin_tables(rope.inv_freq, 3000, torch.float32)
assert torch.equal(rope.cos_cached, ref_cos) and torch.equal(rope.sin_cached, ref_sin)
# step 7 and 8: slice (a view of the cache) and cast (a no-op here: x is float32 like the cache)
assert cos.data_ptr() == rope.cos_cached.data_ptr() and cos.shape == (3000, 64)
print("cos:", tuple(cos.shape), cos.dtype)

# %% [markdown]
# A later call in bf16 takes the other branch of the last step: no rebuild (1000 ≤ 3000), a
# slice of the float32 table, and a cast that copies:

# %%
cos16, _ = rope(x16, seq_len=1000)
print("rebuilds:", rope.rebuilds, "| dtype:", cos16.dtype, "| shares storage with the cache:",
      cos16.data_ptr() == rope.cos_cached.data_ptr())
assert rope.rebuilds == [3000] and cos16.dtype == torch.bfloat16
assert cos16.data_ptr() != rope.cos_cached.data_ptr()
assert torch.equal(cos16, rope.cos_cached[:1000].to(torch.bfloat16))

# %% [markdown]
# ## 2. Short and long, on fresh modules
#
# On a **fresh** module, a call of at most L returns the original table (the builder keeps
# `inv_freq` when `seq_len ≤ L`), and a longer call returns the table of its own new base.

# %%
def fresh_call(seq_len, s=2.0):
    m = Dyn(dim=64, max_position_embeddings=2048, scaling_factor=s)
    m(x32, seq_len=seq_len)
    return m.inv_freq


for l in [1000, 2048, 2049, 3000]:
    b = rc.dynamic_ntk_base(10000, 64, l, 2048, 2.0)
    same = torch.equal(fresh_call(l), original)
    print(f"fresh module, seq_len={l}: base {b:9.1f}, original inv_freq: {same}")
    assert same == (l <= 2048)
    assert torch.equal(fresh_call(l), rc.inv_freq_for_base(b, 64))

# %% [markdown]
# ## 3. The seed's example, done right
#
# The seed calls `rope(x_short)` without `seq_len`. Upstream's forward never looks at `x`'s
# shape ([upstream-forward](../SOURCES.md#upstream-forward)), so `seq_len` stays `None`. What
# happens next depends on the class and on the module's history. The package normally stops such
# a call at its door with a `ValueError`; inside `rc.upstream_errors()` that guard is off and
# upstream's own code path runs, so we see the error upstream raises and the function it comes
# from.

# %%
def upstream_error(module, x):
    """Call module(x) without seq_len on upstream's path. Return the TypeError and the innermost
    method of a rotary class it passed through (the functions below that are helpers)."""
    try:
        with rc.upstream_errors():
            module(x)
    except TypeError as exc:
        chain, tb = [], exc.__traceback__
        while tb is not None:
            chain.append(tb.tb_frame.f_code.co_qualname)
            tb = tb.tb_next
        return exc, [name for name in chain if name.split(".")[0].endswith("RotaryEmbedding")][-1]
    raise AssertionError("upstream's path did not raise")


x_short = torch.randn(1, 8, 1000, 64)
rope = Dyn(dim=64, max_position_embeddings=2048, scaling_factor=2.0)
dyn_error, dyn_where = upstream_error(rope, x_short)
print(f"dynamic class, fresh : {type(dyn_error).__name__}: {dyn_error}\n    raised in {dyn_where}")
assert str(dyn_error) == "'>' not supported between instances of 'NoneType' and 'int'"
assert dyn_where == "DynamicNTKScalingRotaryEmbedding._set_cos_sin_cache"

# %% [markdown]
# On a fresh module the cache check `max_seq_len_cached is None` is true, so forward calls the
# builder with `seq_len=None`. The dynamic class's own builder stores it (`max_seq_len_cached =
# None` again) and then tests `seq_len > self.max_position_embeddings`, and that comparison fails
# **before any `arange`**.
# The standard class's builder has no such test, so its first failure is `arange(None)`. After a
# valid call, both classes fail earlier, in forward's own cache check `seq_len > max_seq_len_cached`:

# %%
cases = {}
for cls in (rc.RotaryEmbedding, Dyn):
    for history in ("fresh", "after a call"):
        module = cls(dim=64, max_position_embeddings=2048)
        if history == "after a call":
            module(x32, seq_len=10)
        error, where = upstream_error(module, x_short)
        cases[cls.__name__, history] = (str(error), where)
        print(f"{cls.__name__:32s} {history:13s}: {str(error)[:60]:60s} in {where}")
none_gt_int = "'>' not supported between instances of 'NoneType' and 'int'"
assert cases["RotaryEmbedding", "fresh"][0].startswith("arange() received an invalid combination of arguments")
assert cases["RotaryEmbedding", "fresh"][1] == "RotaryEmbedding._set_cos_sin_cache"
assert cases["DynamicNTKScalingRotaryEmbedding", "fresh"] == (none_gt_int, dyn_where)
for cls_name in ("RotaryEmbedding", "DynamicNTKScalingRotaryEmbedding"):
    assert cases[cls_name, "after a call"] == (none_gt_int, "RotaryEmbedding.forward")

# %% [markdown]
# (The standard class's `arange` runs inside the package's table helper, which
# `RotaryEmbedding._set_cos_sin_cache` calls; upstream writes it inline in the builder.)
#
# Outside `upstream_errors()` the package says what upstream needs, and changes nothing:

# %%
try:
    rope(x_short)
    raised = None
except ValueError as exc:
    raised = exc
print(type(raised).__name__, "-", raised)
assert isinstance(raised, ValueError) and "seq_len is required" in str(raised)
assert rope.max_seq_len_cached is None  # the failed calls changed nothing

# %% [markdown]
# Done right: pass the lengths, as `DeepseekV3Attention` does with `kv_seq_len`
# ([upstream-attention](../SOURCES.md#upstream-attention)).

# %%
x_long = torch.randn(1, 8, 3000, 64)
cos_short, sin_short = rope(x_short, seq_len=1000)
short_uses_original = torch.equal(rope.inv_freq, original)
cos_long, sin_long = rope(x_long, seq_len=3000)
print("after the 1000 call, original inv_freq:", short_uses_original)
print("cos_long.shape:", tuple(cos_long.shape), "| base now:", round(new_base, 1))
assert short_uses_original and tuple(cos_long.shape) == (3000, 64)
assert torch.equal(rope.inv_freq, rc.inv_freq_for_base(new_base, 64))

# %% [markdown]
# ## 4. History: the same short call, before and after a long one
#
# Now repeat the short call on the same module. It does not rebuild (1000 ≤ 3000), so it gets
# the first 1000 rows of the **3000-adjusted** table, not what it got the first time:

# %%
cos_short_again, _ = rope(x_short, seq_len=1000)
diff = (cos_short_again - cos_short).abs().max().item()
print(f"same call, after the 3000 call: max |cos difference| = {diff:.4f}")
assert diff > 1.99

# %% [markdown]
# Nearly 2: some entries flipped sign. The smallest case: D = 8, L = 16, s = 2. A fresh module
# asked for 8 rows uses inv_freq [1, 0.1, 0.01, 0.001]; after one call of 32 the same request uses
# [1, 0.0693, 0.0048, 0.00033], and cos differs by up to 0.12.

# %%
tiny_fresh = Dyn(dim=8, max_position_embeddings=16, scaling_factor=2.0)
cos_a, _ = tiny_fresh(x32, seq_len=8)
tiny = Dyn(dim=8, max_position_embeddings=16, scaling_factor=2.0)
tiny(x32, seq_len=32)
cos_b, _ = tiny(x32, seq_len=8)
print("fresh          :", [f"{v:.3g}" for v in tiny_fresh.inv_freq.tolist()])
print("after l=32 call:", [f"{v:.3g}" for v in tiny.inv_freq.tolist()])
tiny_diff = (cos_a - cos_b).abs().max().item()
print(f"max |cos diff| = {tiny_diff:.3f}")
assert torch.allclose(tiny_fresh.inv_freq, torch.tensor([1, 0.1, 0.01, 0.001]))
assert torch.allclose(tiny.inv_freq, torch.tensor([1, 0.0693, 0.0048, 0.00033]), rtol=2e-2)
assert round(tiny_diff, 2) == 0.12

# %% [markdown]
# This is huggingface/transformers issue **#25306** ("long context inference will impact short
# context inference", [HF #25306](../SOURCES.md#hf-25306)), reported against the Llama class
# DeepSeek's code was copied from. Two fix attempts were closed unmerged
# ([HF #25308](../SOURCES.md#hf-25308), [HF #27033](../SOURCES.md#hf-27033)), and a maintainer
# judged the fixes too slow ([HF #27227](../SOURCES.md#hf-27227)). DeepSeek's file still has the
# behaviour: nothing in the class ever restores `inv_freq`.
#
# ## 5. Hugging Face's later rule: what changed, what it costs, what is left
#
# Hugging Face's current code no longer uses this class. Its rotary module is wrapped by the
# `dynamic_rope_update` decorator ([hf-rope-utils](../SOURCES.md#hf-rope-utils); introduced in
# [HF #32135](../SOURCES.md#hf-32135), moved under the decorator in
# [HF #37249](../SOURCES.md#hf-37249), reset path repaired in [HF #46624](../SOURCES.md#hf-46624)).
# `rope_course.hf_reset.HFDynamicRope` is the course's model of that rule; lesson 11 checks it
# against the installed transformers call for call and drives the real module. What matters here,
# for cost and for history:
#
# 1. **The length comes from the positions**: l = max(position_ids) + 1 over the batch, not an
#    argument (DeepSeek's module receives `kv_seq_len`).
# 2. **One rotary module per model.** HF's native DeepSeek-V3 builds it once in the model and
#    passes cos and sin to every layer ([hf-deepseek-v3](../SOURCES.md#hf-deepseek-v3)); DeepSeek's
#    remote code builds one in every attention layer's `_init_rope`
#    ([upstream-init-rope](../SOURCES.md#upstream-init-rope)), 61 for V3, each with its own table.
# 3. **cos and sin are computed on every forward** from `inv_freq` and the position ids. There is
#    no table to slice, so no discarded init table (lesson 03) and no rebuild of a whole
#    (l, D) table at each decode step: a one-token step computes one position. (Past the longest
#    length seen, each step still recomputes `inv_freq`, D/2 numbers, with a new base.)
# 4. **`trust_remote_code` checkpoints still run DeepSeek's class.** DeepSeek-V3 and Kimi-K2 ship
#    their own `modeling_deepseek.py` with the checkpoint ([upstream-file](../SOURCES.md#upstream-file)):
#    loaded with `trust_remote_code=True`, that file's classes run, and everything in lessons 02-05
#    applies, not HF's rule.
# 5. **The reset fires only for l < L, strictly**, and only while the cached length exceeds L;
#    from L up to (not including) the longest length seen, the module is still history-dependent.
#
# Points 1 and 3 on the model of the rule: a 3-token call at positions 2997-2999 grows the base
# to b'(3000); a decode step computes cos and sin for its one position, where DeepSeek's module
# rebuilds all 3001 rows.

# %%
hf = HFDynamicRope(dim=64, max_position_embeddings=2048, scaling_factor=2.0)
cos_hf, _ = hf.forward(torch.tensor([[2997, 2998, 2999]]))
print("3 tokens at positions 2997-2999: HF's length", hf.max_seq_len_cached, "| cos shape", tuple(cos_hf.shape))
assert hf.max_seq_len_cached == 3000 and hf.base_in_force == new_base and cos_hf.shape == (1, 3, 64)
step_cos, _ = hf.forward(torch.tensor([[3000]]))  # one decode step
deepseek = CountingDynamicNTK(dim=64, max_position_embeddings=2048, scaling_factor=2.0)
deepseek(x32, seq_len=3000)
deepseek(x32, seq_len=3001)  # the same step: kv_seq_len = 3001
print(f"one decode step: HF computes {step_cos.numel()} cos values, DeepSeek's rebuild "
      f"{deepseek.cos_cached.numel()} (a table of {deepseek.rebuilds[-1]} rows)")
assert step_cos.numel() == 64 and deepseek.rebuilds == [3000, 3001] and deepseek.cos_cached.numel() == 3001 * 64
assert hf.max_seq_len_cached == 3001 and hf.base_in_force == rc.dynamic_ntk_base(10000, 64, 3001, 2048, 2.0)

# %% [markdown]
# Point 5, on the tiny example: the reset fires, and the short call gets the fresh table back.

# %%
hf = HFDynamicRope(dim=8, max_position_embeddings=16, scaling_factor=2.0)
hf.update(32)
cos_hf, _ = hf(8)
print("rule applied:", "reset" if torch.equal(hf.inv_freq, hf.original_inv_freq) else "kept",
      "| max |cos diff| from fresh:", (cos_hf - cos_a).abs().max().item())
assert torch.equal(cos_hf, cos_a)

# %% [markdown]
# What is left: between L and the longest length seen, HF is still history-dependent. With
# L = 2048, s = 2: after a 3000-token call, a 2500-token call is not growth (2500 < 3000) and not
# a reset (2500 ≥ 2048), so it keeps the 3000 base instead of its own. A call of exactly L is not
# reset either (the test is strict). In [L, 3000) every call gets the 3000 base; the 3000 call
# itself gets its own (it is the one in force), and a longer one grows to its own.

# %%
for later in [1000, 2047, 2048, 2500, 3000, 3500]:
    t = later_call_tables(3000, later, 2.0)
    print(f"3000 then {later}: fresh base {t['fresh_base']:8.1f} | DeepSeek {t['deepseek_base']:8.1f} | "
          f"HF {t['hf_base']:8.1f} ({t['hf_rule']})")
    if later < 2048:
        assert t["hf_base"] == t["fresh_base"] == 10000 and t["deepseek_base"] == new_base
    elif later < 3000:
        assert t["hf_base"] == t["deepseek_base"] == new_base != t["fresh_base"]
    else:
        assert t["hf_base"] == t["deepseek_base"] == t["fresh_base"]
gap = later_call_tables(3000, 2500, 2.0)
gap_diff = (gap["hf_cos"] - gap["fresh_cos"]).abs().max().item()
print(f"3000 then 2500, HF vs fresh: max |cos diff| = {gap_diff:.3f}")
assert gap_diff > 1.9

# %% [markdown]
# HF also still caches keys after RoPE, so decoding past L mixes bases
# ([HF #25104](../SOURCES.md#hf-25104), lesson 07). Lesson 11 has the rest: batching and padding,
# the releases that lost the reset, and the real module.
#
# ## 6. Explorer: the same later call after a history
#
# `seq_len` is the length of the earlier call, `later_len` the length of the call we look at.
# The curve is cos of pair 16 (wavelength about 628 tokens) over the later call's positions:
# fresh module (thick grey), DeepSeek after the earlier call (vermillion), HF's rule after it
# (blue dashes). The readout gives the largest |cos| difference from the fresh module over the
# whole table and the base each one uses. The saved picture is `seq_len` = 4096, `later_len` =
# 1024, s = 2: DeepSeek has left the fresh curve, HF has reset onto it. Move `later_len` to 2500
# with `seq_len` 3000 to see HF leave it too.

# %%
wavelength_16 = 2 * math.pi / original[16].item()
print(f"pair 16 wavelength: {wavelength_16:.0f} tokens")
assert round(wavelength_16) == 628
r = HistoryExplorer.compute(seq_len=4096, scaling_factor=2.0, later_len=1024)
print({k: format_number(v) for k, v in HistoryExplorer.readout_values(r).items()})
assert r["deepseek_diff"] > 1.9 and r["hf_diff"] == 0.0
r = HistoryExplorer.compute(seq_len=3000, scaling_factor=2.0, later_len=2500)
assert r["deepseek_diff"] == r["hf_diff"] > 1.9
r = HistoryExplorer.compute(seq_len=1024, scaling_factor=2.0, later_len=1024)
assert r["deepseek_diff"] == r["hf_diff"] == 0.0

# %%
explorer = HistoryExplorer()
explorer.show()

# %% [markdown]
# ## 7. The seed lesson's claims, one by one
#
# Each subsection below runs the check for some claims of the seed lesson and records the claim
# id in `shown`, with the subsection number. The table at the end is printed from
# `rope_course.seed_claims.CLAIMS` and checked against `shown`. All claims are quoted from the
# seed lesson 4.3.3 ([seed-4-3-3](../SOURCES.md#seed-4-3-3)).

# %%
shown = {}
fresh_rope = lambda s=2.0: CountingDynamicNTK(dim=64, max_position_embeddings=2048, scaling_factor=s)  # noqa: E731

# %% [markdown]
# ### 7.1 Inheritance (C1, C2)
#
# C1 "identical to the standard variant, inheriting the cache check, slicing, and dtype casting";
# C2 "No override; calls parent forward, using self.cos_cached/sin_cached".

# %%
own = {"__init__", "_set_cos_sin_cache", "forward"} & set(Dyn.__dict__)
print("defined by the dynamic class itself:", sorted(own))
assert own == {"__init__", "_set_cos_sin_cache"} and Dyn.forward is rc.RotaryEmbedding.forward
m = fresh_rope()
c, _ = m(x32, seq_len=100)
assert c.data_ptr() == m.cos_cached.data_ptr()  # the returned table is the cache (a view)
shown.update(C1="7.1", C2="7.1")

# %% [markdown]
# ### 7.2 What triggers the builder, and what it changes (C3, C4, C5, C21, C23)
#
# C3 "Cache check calls overridden _set_cos_sin_cache, which may update inv_freq"; C4 "long seq
# use adjusted inv_freq for that cache"; C5 "When forward triggers _set_cos_sin_cache for seq >
# max"; C21 "adjustment only for long seq"; C23, the seed's code listing of the cache check,
# "if self.max_seq_len_cached is None or seq_len > self.max_seq_len_cached:".

# %%
m = fresh_rope()
m(x32, seq_len=1000)  # C5: 1000 < L = 2048, and still a rebuild: the cache was None
assert m.rebuilds == [1000]
m(x32, seq_len=2048)  # rebuilds at <= L keep the original inv_freq
assert m.rebuilds == [1000, 2048] and torch.equal(m.inv_freq, original)
m(x32, seq_len=4000)  # C3: the override ran and replaced inv_freq
assert m.rebuilds[-1] == 4000 and not torch.equal(m.inv_freq, original)
m(x32, seq_len=3000)  # C4: a long call that does not rebuild keeps b'(4000), not b'(3000)
b4000, b3000 = (rc.dynamic_ntk_base(10000, 64, l, 2048, 2.0) for l in (4000, 3000))
assert m.rebuilds[-1] == 4000 and torch.equal(m.inv_freq, rc.inv_freq_for_base(b4000, 64))
c_short, _ = m(x32, seq_len=500)  # C21: the adjustment now serves a short call too
assert torch.equal(c_short, rc.cos_sin_tables(rc.inv_freq_for_base(b4000, 64), 500, torch.float32)[0])
print(f"rebuilds {m.rebuilds}; base in force for the 3000 and the 500 call: {b4000:.1f} (the 3000's own: "
      f"{b3000:.1f}, the 500's: 10000)")

# C23: the listing's test, evaluated before each call, predicts the module's rebuilds exactly
generator = torch.Generator().manual_seed(5)
for cls in (CountingRotaryEmbedding, CountingDynamicNTK):
    for _ in range(50):
        module = cls(16, 64)  # small L and lengths on both sides of it: the rule does not depend on sizes
        for seq_len in torch.randint(1, 200, (8,), generator=generator).tolist():
            listing_says = module.max_seq_len_cached is None or seq_len > module.max_seq_len_cached
            before = len(module.rebuilds)
            module(x32, seq_len=seq_len)
            assert (len(module.rebuilds) > before) == listing_says
shown.update(C3="7.2", C4="7.2", C5="7.2", C21="7.2", C23="7.2")

# %% [markdown]
# C21 and C8 (below) are one fact: the adjustment is "only for long seq" only on a module that
# has never served a call past L. Once it has, every later call uses the adjusted `inv_freq`,
# the 500-token call above included.
#
# ### 7.3 "NTK-preserving angles" and "better extrapolation in Kimi-K2" (C6, C7)
#
# C6: the rebuilt frequencies keep the highest pair and scale the lowest by exactly 1/a; the
# exponent D/(D-2) is that boundary condition (lesson 04), not something "preserved". C7: build
# the rotary module from the released configs the way `DeepseekV3Attention._init_rope` does
# (`rc.rotary_from_config`, [upstream-init-rope](../SOURCES.md#upstream-init-rope)): both select
# YaRN ([deepseek-v3-config](../SOURCES.md#deepseek-v3-config),
# [kimi-k2-config](../SOURCES.md#kimi-k2-config)). Switched to `"dynamic"`, the class would get
# L = the already-extended `max_position_embeddings`, so it would change nothing up to 163840 (V3)
# or 131072 (K2) tokens.

# %%
ratio = rc.inv_freq_for_base(b3000, 64).double() / original.double()
a3000 = rc.ntk_bracket(3000, 2048, 2.0)
assert ratio[0].item() == 1.0 and math.isclose(ratio[-1].item(), 1 / a3000, rel_tol=1e-6)

for preset in (rc.presets.DEEPSEEK_V3, rc.presets.KIMI_K2_INSTRUCT):
    config = preset.to_config()
    built = rc.rotary_from_config(config)
    print(f"{preset.name}: rope_scaling type {config['rope_scaling']['type']!r} builds {type(built).__name__}")
    assert isinstance(built, rc.YarnRotaryEmbedding) and not isinstance(built, Dyn)
    del built
    switched = rc.rotary_from_config({**config, "rope_scaling": {**config["rope_scaling"], "type": "dynamic"}})
    assert isinstance(switched, Dyn)
    L_config = config["max_position_embeddings"]
    switched(x32, seq_len=L_config)
    unchanged = torch.equal(switched.inv_freq, rc.inv_freq_for_base(config["rope_theta"], 64))
    print(f"  switched to 'dynamic': L = {L_config}; inv_freq after a call of {L_config}: unchanged = {unchanged}")
    assert unchanged
    del switched
shown.update(C6="7.3", C7="7.3")

# %% [markdown]
# ### 7.4 Short calls, and the way cos/sin reach attention (C8, C9)
#
# C8 "Short seq use original": only on a module that has not yet served a call past L (section
# 4). C9 "Returned cos/sin used in
# apply_rotary_pos_emb": rows are picked by absolute `position_ids`, after DeepSeek's
# de-interleave of q and k (lesson 01). Checked against a direct rotation of each adjacent pair
# (x_2i, x_2i+1) by the angle p·inv_freq[i].

# %%
m = fresh_rope()
c_first, _ = m(x32, seq_len=1000)
c_first = c_first.clone()
m(x32, seq_len=3000)
c_later, _ = m(x32, seq_len=1000)
assert torch.equal(c_first[:, :32], torch.cos(torch.outer(torch.arange(1000.0), original)))
assert not torch.equal(c_first, c_later)

q, k = torch.randn(2, 1, 1, 4, 64).unbind(0)
pos = torch.tensor([[0, 5, 999, 2999]])
cos, sin = m(x32, seq_len=3000)
q_rot, _ = rc.apply_rotary_pos_emb(q, k, cos, sin, pos)
angle = pos[0, :, None].double() * m.inv_freq.double()  # (4 positions, 32 pairs)
z = torch.complex(q[0, 0, :, 0::2].double(), q[0, 0, :, 1::2].double()) * torch.exp(1j * angle)
expected = rc.deinterleave(torch.stack([z.real, z.imag], dim=-1).reshape(4, 64))
assert torch.allclose(q_rot[0, 0].double(), expected, atol=1e-4)
shown.update(C8="7.4", C9="7.4")

# %% [markdown]
# ### 7.5 "Long-seq attention similar to short-seq trained" and "closer than standard" (C10, C19)
#
# A measurable reading (lesson 04, section 5): a pair whose trained arc (L-1)·θ_i is shorter than
# one turn has **never turned** in training, and only those angles are familiar to it. At a call
# of length l it sweeps the fraction f_i = (l-1)θ'_i / ((L-1)θ_i) of its trained range: above 1 it
# leaves the range, below 1 it is squeezed inside it. At the seed's D = 64, L = 2048 there are 11
# such pairs (21-31). The table: how many of them leave their range, and the spread of f, for
# s in {1, 2, 4} and l in {2L, 8L, 32L}, plus the seed's own call (s = 2, l = 3000).

# %%
L = 2048
table = {}
print("pairs beyond their range of 11, and the spread of f:")
print(f"{'':8s}" + "".join(f"{f'l = {k}L':<24s}" for k in (2, 8, 32)))
for s in (1.0, 2.0, 4.0):
    cells = []
    for k in (2, 8, 32):
        r = angle_report("dynamic NTK", k * L, s, max_position_embeddings=L)
        table[s, k] = (r["n_beyond"], round(r["fraction_min"], 3), round(r["fraction_max"], 3))
        cells.append(f"{r['n_beyond']:2d}/11, {r['fraction_min']:.3f}-{r['fraction_max']:.3f}")
    print(f"s = {s:g}:  " + "".join(f"{c:<24s}" for c in cells))
slowest_32L = angle_report("dynamic NTK", 32 * L, 1.0, max_position_embeddings=L)["fraction"][-1]
print(f"s = 1, l = 32L: the slowest pair at {slowest_32L:.5f} = (l-1)L/((L-1)l)")
assert math.isclose(slowest_32L, (32 * L - 1) * L / ((L - 1) * 32 * L), rel_tol=1e-12)
seed_call = angle_report("dynamic NTK", 3000, 2.0, max_position_embeddings=L)
print(f"the seed's call, s = 2, l = 3000: {seed_call['n_beyond']}/11 beyond, "
      f"{seed_call['fraction_min']:.3f}-{seed_call['fraction_max']:.3f}")
plain = angle_report("plain", 2 * L, 1.0, max_position_embeddings=L)
print(f"plain RoPE at 2L: all {plain['n_beyond']} beyond, at {plain['fraction_max']:.4f}")
assert list(seed_call["pairs_never_turned"]) == list(range(21, 32))
assert table[1.0, 2] == (11, 1.0, 1.251) and table[1.0, 8][0] == 11 and table[1.0, 32] == (11, 1.0, 3.06)
assert table[2.0, 2] == (0, 0.667, 0.95) and table[2.0, 8][0] == 3 and table[2.0, 32][0] == 5
assert table[4.0, 2] == (0, 0.4, 0.672) and table[4.0, 8][0] == 0 and table[4.0, 32][0] == 2
assert seed_call["n_beyond"] == 0 and round(seed_call["fraction_min"], 3) == 0.759
assert round(seed_call["fraction_max"], 3) == 0.939 and round(slowest_32L, 5) == 1.00047

# %% [markdown]
# At s = 1 every never-turned pair leaves its range (the slowest only by a hair, 1.00047 at 32L:
# the one-position offset of lesson 04), by up to 1.25x at 2L and 3.06x at 32L. At the seed's
# s = 2 and l = 2L or 3000 all 11 are *squeezed*, to 0.67-0.95 of their range; at 8L the three
# fastest leave it again. At s = 4 they are squeezed to 0.40-0.67 at 2L, and two leave at 32L.
#
# The general rule, from f_i = (l-1)/(L-1) · a(l)^(-2i/(D-2)) (lesson 04, checked there over the
# whole slider range): pair i leaves its range iff (l-1)/(L-1) > a(l)^(2i/(D-2)); the fastest
# never-turned pairs leave first; at s = 1 all do, and for every s > L/(L-1) (every slider value
# above 1) the slowest is squeezed.
# So **the angles differ from training at every s and every l > L, in one direction or the
# other**: too far at small s, too compressed at large s, and at a fixed s the mix depends on l.
# By how much depends on l. One token past L the difference is a hair at every s of the slider
# (the worst never-turned pair is off by a factor of at most 1.0073, at s = 16), as it is for
# plain RoPE; at l = 2L no s of the slider keeps the worst pair within 1.15x of its range, and
# s = 16 is off by 8.5x (L = 2048):

# %%
s_slider = [float(s) for s in np.arange(1.0, 16.01, 0.25)]


def worst_factor_off(l, s, L):
    r = angle_report("dynamic NTK", l, s, max_position_embeddings=L)
    return math.exp(np.abs(np.log(r["fraction"][r["never_turned"]])).max())


just_past = [worst_factor_off(2048 + 1, s, 2048) for s in s_slider]
at_2L = [worst_factor_off(2 * 2048, s, 2048) for s in s_slider]
print(f"l = L + 1: worst factor off {min(just_past):.4f} .. {max(just_past):.4f} over s = 1 .. 16")
print(f"l = 2L   : worst factor off {min(at_2L):.3f} (s = {s_slider[int(np.argmin(at_2L))]}) .. "
      f"{max(at_2L):.2f} (s = 16)")
assert round(max(just_past), 4) == 1.0073 and max(just_past) == just_past[-1]
assert round(min(at_2L), 2) == 1.15 and round(at_2L[-1], 1) == 8.5

# %% [markdown]
# That is C10's verdict: a call long enough to need the rule does not sweep the angles of
# training under it (and just past L there was nothing to fix, with the rule or without).
#
# C19 compares with the standard class: "dynamic cos closer to trained short-seq patterns". Plain
# RoPE takes every never-turned pair to P = (l-1)/(L-1) of its range. Measure "closer" by the
# worst factor by which a never-turned pair's range is off, max |ln f_i|, for both. The dynamic
# f_i fall with i and all stay below P, so only the squeezed slow end can be off by more than
# plain's P: dynamic is closer exactly when 1/f_last = a(l)/P < P, that is when a(l) < P², about
# when l > (s - 1)·L. Checked over the sliders' range:

# %%
closer_count = total = 0
for L in (2048, 4096):
    for s in np.arange(1.0, 16.01, 0.25):
        for l in sorted({*np.unique(np.geomspace(L + 1, 131072, 60).astype(int)).tolist(), L + 1, 2 * L, 3000}):
            if l <= L:
                continue
            d = angle_report("dynamic NTK", l, float(s), max_position_embeddings=L)
            p = angle_report("plain", l, 1.0, max_position_embeddings=L)
            worst_dynamic = np.abs(np.log(d["fraction"][d["never_turned"]])).max()
            worst_plain = np.abs(np.log(p["fraction"][p["never_turned"]])).max()
            P = (l - 1) / (L - 1)
            assert (worst_dynamic < worst_plain) == (rc.ntk_bracket(l, L, float(s)) < P * P)
            closer_count += bool(worst_dynamic < worst_plain)
            total += 1
print(f"{total} settings: dynamic is closer than plain at {closer_count}, exactly where a(l) < ((l-1)/(L-1))^2")
for s, l in ((2.0, 2049), (2.0, 3000), (4.0, 2 * 2048), (4.0, 3 * 2048 + 1), (16.0, 2 * 2048)):
    d = angle_report("dynamic NTK", l, s, max_position_embeddings=2048)
    worst = np.abs(np.log(d["fraction"][d["never_turned"]])).max()
    print(f"  s = {s:4.1f}, l = {l:5d}: dynamic off by x{math.exp(worst):.5f}, plain by x{(l - 1) / 2047:.5f}")
four_2L = angle_report("dynamic NTK", 2 * 2048, 4.0, max_position_embeddings=2048)
assert 1 / four_2L["fraction_min"] > 4095 / 2047  # s = 4 at 2L: squeezed 2.5x, worse than plain's 2.0x
shown.update(C10="7.5", C19="7.5")

# %% [markdown]
# So C19 holds only when s is small enough for l: at the seed's s = 2 at every l > L, but at
# s = 4 only from about 3L on (at 2L the slowest pair is squeezed 2.5x, plain overshoots 2.0x),
# at s = 16 only from about 15L. Whether attention *behaves* as in training is a different
# question: lesson 06 measures scores, lesson 10 trained models; during decoding post-RoPE cached
# keys break it further ([HF #25104](../SOURCES.md#hf-25104), lesson 07).
#
# ### 7.6 Cost (C11, C12, C13, C20)
#
# C11 "No Additional Cost", C12 "Forward O(1)", C13 "O(dim + seq * dim/2) for long seq
# recompute", C20 "Dynamic NTK inherits efficiency".

# %%
m = fresh_rope()
assert m.init_builds == [2048] and m.max_seq_len_cached is None  # C20: init table built, dropped
steps = [3000 + k for k in range(11)]  # prefill 3000 then 10 decode steps
for l in steps:
    m(x32, seq_len=l)
bases = {rc.dynamic_ntk_base(10000, 64, l, 2048, 2.0) for l in steps}
print("decode past L: rebuilds", len(m.rebuilds), "| distinct bases", len(bases))
assert len(m.rebuilds) == 11 and len(bases) == 11  # C11, C20
short = fresh_rope()
for l in range(100, 111):  # C13: the same rebuild per step far below L, with no new base
    short(x32, seq_len=l)
assert short.rebuilds == list(range(100, 111)) and torch.equal(short.inv_freq, original)
c, _ = m(x32, seq_len=500)
c16, _ = m(x16, seq_len=500)
assert c.data_ptr() == m.cos_cached.data_ptr()  # C12: a view when nothing is due ...
assert c16.data_ptr() != m.cos_cached.data_ptr()  # ... a copy when the dtype differs
seq, dim = 3000, 64
up_cos, up_sin = rc.cos_sin_tables_upstream(m.inv_freq, seq, torch.float32)
fast_cos, fast_sin = rc.cos_sin_tables(m.inv_freq, seq, torch.float32)
assert torch.equal(up_cos, fast_cos) and torch.equal(up_sin, fast_sin)
upstream_evals = up_cos.numel() + up_sin.numel()  # cos and sin of every entry of cat(freqs, freqs)
seed_count = dim + seq * dim // 2
print(f"cos+sin evaluations per rebuild upstream: {upstream_evals} = 2 x {seq} x {dim} "
      f"(the seed's whole count: {seed_count});\nhalf of them suffice (the same tables, bit for bit on this build: "
      "lesson 08)")
assert upstream_evals == 2 * seq * dim == 384000 and upstream_evals > 3.9 * seed_count
shown.update(C11="7.6", C12="7.6", C13="7.6", C20="7.6")

# %% [markdown]
# C13 is wrong on both counts: the recompute is not "for long seq", it runs at every growth of
# the cache at any length (the 11 rebuilds between 100 and 110 tokens above, far below L), and
# read as a count its terms leave out the work itself: cos and sin over the whole (seq, dim)
# table, 2·seq·dim evaluations, four times its seq·dim/2. (As an order, O(seq·dim), it is right.)
#
# ### 7.7 The formula and the shapes (C14, C15)
#
# C14 writes cos[p, d] = cos(p · inv_freq_new[d//2]). The table is `cat(freqs, freqs)`, so
# column d uses pair d mod D/2: columns d and d + D/2 share an angle (lesson 01). d//2 would be
# the interleaved layout, which only exists after DeepSeek's de-interleave. C15: the shapes.

# %%
cos, _ = m(x32, seq_len=3000)
p = torch.arange(3000.0)[:, None]
d = torch.arange(64)
right = torch.cos(p * m.inv_freq[d % 32])
seed_formula = torch.cos(p * m.inv_freq[d // 2])
print("max |diff|, d mod D/2:", (cos - right).abs().max().item(),
      "| d//2:", round((cos - seed_formula).abs().max().item(), 3))
assert torch.allclose(cos, right, atol=1e-6) and (cos - seed_formula).abs().max() > 1.9
c16, s16 = m(x16, seq_len=1000)
assert c16.shape == s16.shape == (1000, 64) and c16.dtype == torch.bfloat16
shown.update(C14="7.7", C15="7.7")

# %% [markdown]
# ### 7.8 The seed's example (C16, C17, C18, C22, C24)
#
# Section 3 ran it: `rope(x_short)` raises (C16), on a fresh dynamic module with upstream's
# `'>' not supported between instances of 'NoneType' and 'int'` from the class's own builder;
# the 1000-token call uses the original `inv_freq` because it runs first on a fresh module (C17);
# `cos_long.shape` is (3000, 64) once `seq_len=3000` is passed (C18), and its table is built
# from b'(3000) (C24, whose "better long-seq performance" is a claim about a model, which the
# seed never tests; lesson 10 measures it on small trained ones). C22 "forward API consistent":
# it is the standard forward itself, so its signature is the same, `seq_len=None` default (which
# always raises) included.

# %%
sig = inspect.signature(Dyn.forward)
print("forward", sig)
assert Dyn.forward is rc.RotaryEmbedding.forward and sig.parameters["seq_len"].default is None
assert dyn_where == "DynamicNTKScalingRotaryEmbedding._set_cos_sin_cache" and "NoneType" in str(dyn_error)
assert isinstance(raised, ValueError) and short_uses_original and tuple(cos_long.shape) == (3000, 64)
assert torch.equal(cos_long, rc.cos_sin_tables(rc.inv_freq_for_base(new_base, 64), 3000, torch.float32)[0])
shown.update(C16="7.8", C17="7.8", C18="7.8", C22="7.8", C24="7.8")

# %% [markdown]
# ### The table

# %%
from rope_course.seed_claims import CLAIMS, claims_table, verdict_counts

print(claims_table())
print()
print(verdict_counts())
assert {c["id"]: c["cell"] for c in CLAIMS} == shown  # every claim backed by its subsection
assert verdict_counts() == {"holds": 7, "holds only when": 9, "wrong": 8}

# %% [markdown]
# The reasons, one line each:

# %%
for c in CLAIMS:
    print(f"{c['id']:<4} {c['verdict']:<16} {c['why']}")

# %% [markdown]
# ## Summary
#
# * One call: inherited forward → cache check (None or strictly longer) → the subclass's builder
#   → past L a new base → `inv_freq` overwritten for good → table of exactly `seq_len` rows →
#   slice (a view) → cast (a copy only if the dtype differs).
# * `seq_len` is required. The seed's `rope(x_short)` raises, on a fresh dynamic module in the
#   class's own builder (`None > int`), not at `arange(None)` (that is the standard class).
# * The table a call returns depends on earlier calls: after a long call, short calls reuse the
#   long call's base (HF #25306); D = 8, L = 16, s = 2 gives a cos difference of 0.12, the seed's
#   own setting almost 2.
# * Hugging Face's later rule takes the length from the position ids, keeps one module per model,
#   computes cos/sin on every forward, and resets below L; it stays history-dependent inside
#   [L, longest seen). Checkpoints loaded with `trust_remote_code` still run DeepSeek's class.
# * The never-turned pairs sweep their trained range at no s and l > L: too far at small s, too
#   compressed at large s, by a hair just past L and by more as l grows. Dynamic NTK is closer to
#   training than plain RoPE (by the worst factor off) iff a(l) < P², P = (l-1)/(L-1).
# * Of the seed lesson's 24 claims: 7 hold, 9 hold only under a condition, 8 are wrong (counts
#   asserted in section 7).

# %% [markdown]
# ## Exercises
#
# Solutions: [solutions/05_dynamic_forward.ipynb](solutions/05_dynamic_forward.ipynb) (open it after trying).
#
# **1. Derive.** A fresh DeepSeek dynamic module (base 10000, dimension `dim`,
# `max_position_embeddings = L`, `scaling_factor = s`) serves forward calls of the lengths in
# `calls`, in order. Its base afterwards depends on the calls only through one number. Find it,
# and write `base_after(calls, dim, L, s)` as a single expression of that number, without
# replaying the calls one by one.

# %%
from rope_course.checks.lesson05 import check_base_after, check_hf_trace, check_misconceptions


def base_after(calls, dim, L, s):
    raise NotImplementedError


result = check_base_after(base_after)

# %% [markdown]
# **The closed form** (read it after exercise 1). A call rebuilds iff it is the first or longer
# than every call before it, so the cached length is the running maximum of the calls. The call
# that first reaches the maximum M = max(calls) rebuilds, sets the base from M when M > L, and no
# later call rebuilds again. So after **any** call sequence DeepSeek's state is a function of the
# longest call alone:
#
#     inv_freq = inv_freq_for_base(dynamic_ntk_base(b, D, max(calls), L, s))
#     max_seq_len_cached = max(calls)
#
# which is the original `inv_freq` when M ≤ L. The order of the calls does not matter, only their
# maximum. Checked here on random call sequences, bit for bit, and in the course's tests by a
# property test over call lists, widths, bases and scaling factors
# (`tests/test_closed_form_state.py`):

# %%
generator = torch.Generator().manual_seed(11)
for _ in range(100):
    L, s = 512, float(torch.randint(4, 65, (1,), generator=generator)) / 4
    calls = torch.randint(1, 4 * L, (int(torch.randint(1, 10, (1,), generator=generator)),),
                          generator=generator).tolist()
    module = Dyn(dim=32, max_position_embeddings=L, scaling_factor=s)
    for seq_len in calls:
        module(x32, seq_len=seq_len)
    assert torch.equal(module.inv_freq, rc.inv_freq_for_base(rc.dynamic_ntk_base(10000, 32, max(calls), L, s), 32))
    assert module.max_seq_len_cached == max(calls)
print("100 random call sequences: the state equals the closed form of max(calls)")


def hf_final_base(calls):
    rule = HFDynamicRope(dim=64, max_position_embeddings=2048, scaling_factor=2.0)
    for seq_len in calls:
        rule.update(seq_len)
    return rule.base_in_force


print("HF's rule, same calls in two orders:", hf_final_base([3000, 1000]), "vs", round(hf_final_base([1000, 3000]), 1))
assert hf_final_base([3000, 1000]) == 10000 != hf_final_base([1000, 3000])

# %% [markdown]
# HF's rule has no such closed form: its reset makes the order of the calls matter.
#
# **2. Predict.** One module under Hugging Face's rule (D = 64, L = 2048, s = 2) serves calls of
# 3000, 2500, 1000, 2500, 4000 and 2048 tokens, in that order. For each call, which length l's
# base b'(l) serves it? Write L (2048) for the original base, since b'(L) = b. Answer with a tuple
# of six lengths, without running the model of the rule.

# %%
hf_trace = ...
result = check_hf_trace(hf_trace)

# %% [markdown]
# **3. Misconception check.** Eight statements about RoPE and dynamic NTK, found in the wild
# (most in the seed series itself). Which are true? Answer with the set of their numbers, e.g.
# `{1, 4}`. The cells after the checker demonstrate each one; decide before you read them.
#
# 1. "RoPE frequencies never change during inference." (a common assumption)
# 2. NTK, the "Neural Tangent Kernel", "linearizes attention for long seq" (lesson 4.3.1's tasks,
#    [seed-4-3-1](../SOURCES.md#seed-4-3-1)).
# 3. "Dynamic NTK allows Kimi-K2 to handle ultra-long contexts" (lesson 4.3.1,
#    [seed-4-3-1](../SOURCES.md#seed-4-3-1)).
# 4. "scaling_factor=1.0 (no scale)" (lesson 4.3.1, [seed-4-3-1](../SOURCES.md#seed-4-3-1)).
# 5. The dynamic base "'stretches' high frequencies less than low ones" (lesson 4.3.1,
#    [seed-4-3-1](../SOURCES.md#seed-4-3-1)).
# 6. "Updating inv_freq overwrites the original buffer" (a true/false question of lesson 4.3.2's
#    tasks, [seed-4-3-2](../SOURCES.md#seed-4-3-2)).
# 7. "For multiple calls, consistent? (Yes, since seq increasing in generation.)" (lesson 4.3.2's
#    tasks, [seed-4-3-2](../SOURCES.md#seed-4-3-2)).
# 8. "Caching makes RoPE O(1) per token after init" (lesson 4.1.2,
#    [seed-4-1-2](../SOURCES.md#seed-4-1-2)).

# %%
true_statements = ...
result = check_misconceptions(true_statements)

# %% [markdown]
# ### The demonstrations, one cell each
#
# **1. False.** A dynamic module's frequencies change at the first call past L, during inference:

# %%
m = Dyn(dim=64, max_position_embeddings=2048)
before = m.inv_freq.clone()
m(x32, seq_len=2049)
print("inv_freq changed by a call of L + 1:", not torch.equal(before, m.inv_freq))
assert not torch.equal(before, m.inv_freq)

# %% [markdown]
# **2. False.** The rule only swaps the base: the new frequencies are plain RoPE's for b', and
# the score of two all-ones vectors at distance d stays proportional to Σ_i cos(d·θ'_i), a sum of
# cosines, far from a line. The name comes from a Fourier-features argument that uses the neural tangent kernel
# ([paper-fourier-features](../SOURCES.md#paper-fourier-features), lesson 04, section 5); nothing
# is linearized.

# %%
m = Dyn(dim=64, max_position_embeddings=2048)
m(x32, seq_len=8192)
b_8192 = rc.dynamic_ntk_base(10000, 64, 8192, 2048, 1.0)
assert torch.equal(m.inv_freq, rc.inv_freq_for_base(b_8192, 64))
distance = torch.arange(0, 8192, 256, dtype=torch.float64)
score = torch.cos(distance[:, None] * m.inv_freq.double()).sum(-1)
second_difference = (score[2:] - 2 * score[1:-1] + score[:-2]).abs().max().item()
print(f"inv_freq = plain RoPE with base {b_8192:.1f}; largest second difference of the score: {second_difference:.2f}")
assert second_difference > 1

# %% [markdown]
# **3. False.** Kimi-K2's released config selects YaRN; the dynamic class is never built for it:

# %%
chosen = rc.presets.rotary_class_for(rc.presets.KIMI_K2_INSTRUCT.config["rope_scaling"])
print("Kimi-K2-Instruct's rope_scaling builds", chosen.__name__)
assert chosen is rc.YarnRotaryEmbedding

# %% [markdown]
# **4. False.** With s = 1 the base still grows past L (lesson 04):

# %%
print("s = 1, l = 2L: base", round(rc.dynamic_ntk_base(10000, 64, 4096, 2048, 1.0), 1))
assert rc.dynamic_ntk_base(10000, 64, 4096, 2048, 1.0) > 20000

# %% [markdown]
# **5. True.** The wavelength of pair i grows by a^(2i/(D-2)): 1 for the highest frequency, a for
# the lowest, increasing in between:

# %%
stretch = (original.double() / rc.inv_freq_for_base(b_8192, 64).double()).tolist()  # wavelength' / wavelength
print(f"wavelength stretch: pair 0 x{stretch[0]:.3f}, pair 16 x{stretch[16]:.3f}, pair 31 x{stretch[31]:.3f}")
assert stretch[0] == 1.0 and all(u < v for u, v in zip(stretch, stretch[1:]))

# %% [markdown]
# **6. True.** The new `inv_freq` is registered over the old one; no buffer keeps the original,
# and a short call afterwards does not bring it back:

# %%
m = Dyn(dim=64, max_position_embeddings=2048)
m(x32, seq_len=3000)
m(x32, seq_len=10)
print("a buffer still holds the original inv_freq:", any(torch.equal(v, original) for _, v in m.named_buffers()))
assert not any(torch.equal(v, original) for _, v in m.named_buffers())

# %% [markdown]
# **7. False.** Generation past L is exactly where the calls are inconsistent: every decode step
# rebuilds with a new base, while keys cached at earlier steps keep theirs (lesson 07,
# [HF #25104](../SOURCES.md#hf-25104)):

# %%
m = Dyn(dim=64, max_position_embeddings=2048)
slowest = []
for seq_len in range(2048, 2052):  # prefill L, then three decode steps
    m(x32, seq_len=seq_len)
    slowest.append(m.inv_freq[-1].item())
print("slowest frequency after each call:", [f"{v:.6e}" for v in slowest])
assert len(set(slowest[1:])) == 3 and slowest[0] == original[-1].item()

# %% [markdown]
# **8. False.** Each decode step rebuilds the whole table (lesson 03):

# %%
m = CountingRotaryEmbedding(dim=64, max_position_embeddings=2048)
for seq_len in range(100, 105):
    m(x32, seq_len=seq_len)
print("rows rebuilt at each of 5 steps:", m.rebuilds)
assert m.rebuilds == [100, 101, 102, 103, 104]

# %% [markdown]
# **4. Find the bug.** A reader wants to remove the history dependence of section 4 and proposes
# this subclass: keep a copy of the original frequencies, and let the builder put them back
# whenever it runs for a length of at most L.
#
# ```python
# class RestoringDynamicNTK(rc.DynamicNTKScalingRotaryEmbedding):
#     def __init__(self, *args, **kwargs):
#         super().__init__(*args, **kwargs)
#         self.original_inv_freq = self.inv_freq.clone()
#
#     def _set_cos_sin_cache(self, seq_len, device, dtype):
#         if seq_len <= self.max_position_embeddings and hasattr(self, "original_inv_freq"):
#             self.register_buffer("inv_freq", self.original_inv_freq.clone(), persistent=False)
#         super()._set_cos_sin_cache(seq_len, device, dtype)
# ```
#
# (`hasattr`, because the parent's `__init__` already calls the builder, before the copy exists.)
# One module of this class (D = 64, L = 2048, s = 2) serves calls of 3000, 1000, 2048 and 3000
# tokens, in that order. For each call: is the cos it returns exactly the cos that a *fresh*
# module of upstream's class returns for that length? Answer with a tuple of four bools, without
# running it. Then say where the fix would have to go instead.

# %%
from rope_course.checks.lesson05 import check_restoring_fix

restoring_fix = ...
result = check_restoring_fix(restoring_fix)
