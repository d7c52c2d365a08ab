# %% [markdown]
# # 05 · The dynamic forward, end to end
#
# Lessons 02-04 took the dynamic class apart: the inherited forward, the rebuild trigger, the new
# base. This lesson puts the pieces back together and follows one call all the way through. Then
# it shows the consequence the seed lesson (4.3.3) misses: **what a call returns depends on the
# calls before it**, and compares that with Hugging Face's later rule. It ends with every claim of
# the seed lesson, checked one by one.
#
# **Learning goals.** After this lesson you can
#
# 1. trace a forward call of the dynamic class through cache check, overridden builder, new base,
#    overwritten `inv_freq`, table, slice and cast;
# 2. run the seed's example correctly (and say why it raises as written);
# 3. predict the table a short call returns after a long one (history dependence, HF issue
#    #25306), and what Hugging Face's reset rule changes and what it still leaves;
# 4. judge each claim of the seed lesson, with the cell that shows it.
#
# Sources: facts §1.3, §2.2-2.3, §5.2-5.3 (huggingface/transformers PRs #32135, #37249, #46624),
# §4 (real configs), §6.1 (YaRN paper), §7.2 (the seed series).

# %%
import inspect
import math

import torch

import rope_course as rc
from rope_course.explorers import format_number
from rope_course.explorers.history import HistoryExplorer, later_call_tables
from rope_course.calls import CountingDynamicNTK
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
# shape: with `seq_len=None` it raises a `TypeError` (`arange(None)` on a fresh module, `None > int`
# afterwards; facts §1.3). The package raises a `ValueError` that says what upstream needs:

# %%
rope = Dyn(dim=64, max_position_embeddings=2048, scaling_factor=2.0)
x_short = torch.randn(1, 8, 1000, 64)
try:
    rope(x_short)
    raised = None
except (TypeError, ValueError) as exc:
    raised = exc
print(type(raised).__name__, "-", raised)
assert isinstance(raised, ValueError) and "seq_len is required" in str(raised)
assert rope.max_seq_len_cached is None  # the failed call changed nothing

# %% [markdown]
# Done right: pass the lengths, as `DeepseekV3Attention` does with `kv_seq_len`.

# %%
x_long = torch.randn(1, 8, 3000, 64)
cos_short, sin_short = rope(x_short, seq_len=1000)
short_uses_original = torch.equal(rope.inv_freq, original)
cos_long, sin_long = rope(x_long, seq_len=3000)
print("after the 1000 call, original inv_freq:", short_uses_original)
print("cos_long.shape:", tuple(cos_long.shape), "| base now:", round(rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0), 1))
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
# Nearly 2: some entries flipped sign. The smallest case, from the facts file (§2.3): D = 8,
# L = 16, s = 2. A fresh module asked for 8 rows uses inv_freq [1, 0.1, 0.01, 0.001]; after one
# call of 32 the same request uses [1, 0.0693, 0.0048, 0.00033], and cos differs by up to 0.12.

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
# context inference"), reported against the Llama class DeepSeek's code was copied from. Two fix
# attempts (PRs #25308 and #27033) were closed unmerged (facts §2.3). DeepSeek's file still has
# the behaviour: nothing in the class ever restores `inv_freq`.
#
# ## 5. Hugging Face's later rule, and the gap it leaves
#
# Hugging Face's current code no longer uses this class. Its `dynamic_rope_update` decorator
# (PR #32135, moved under a decorator in PR #37249, reset path repaired in PR #46624; facts §5.2)
# keeps the original `inv_freq` and, for a call of length l, applies two rules: **grow** when
# l > the longest length cached, and **reset** to the original when l < L while the cache is
# longer than L. `rope_course.hf_reset.HFDynamicRope` models that state (the tests compare it with
# `transformers` itself).
#
# The tiny example again: the reset fires, and the short call gets the fresh table back.

# %%
hf = HFDynamicRope(dim=8, max_position_embeddings=16, scaling_factor=2.0)
hf.update(32)
cos_hf, _ = hf(8)
print("rule applied:", "reset" if torch.equal(hf.inv_freq, hf.original_inv_freq) else "kept",
      "| max |cos diff| from fresh:", (cos_hf - cos_a).abs().max().item())
assert torch.equal(cos_hf, cos_a)

# %% [markdown]
# What is left (facts §5.3): between L and the longest length seen, HF is still
# history-dependent. With L = 2048, s = 2: after a 3000-token call, a 2500-token call is not growth
# (2500 < 3000) and not a reset (2500 ≥ 2048), so it keeps the 3000 base instead of its own.
# And a call of exactly L is not reset either (the test is strict).

# %%
for later in [1000, 2048, 2500, 3500]:
    t = later_call_tables(3000, later, 2.0)
    print(f"3000 then {later}: fresh base {t['fresh_base']:8.1f} | DeepSeek {t['deepseek_base']:8.1f} | "
          f"HF {t['hf_base']:8.1f} ({t['hf_rule']})")
    if later == 1000:
        assert t["hf_base"] == t["fresh_base"] == 10000 and t["deepseek_base"] == new_base
    if later in (2048, 2500):
        assert t["hf_base"] == t["deepseek_base"] == new_base != t["fresh_base"]
    if later == 3500:
        assert t["hf_base"] == t["deepseek_base"] == t["fresh_base"]
gap = later_call_tables(3000, 2500, 2.0)
gap_diff = (gap["hf_cos"] - gap["fresh_cos"]).abs().max().item()
print(f"3000 then 2500, HF vs fresh: max |cos diff| = {gap_diff:.3f}")
assert gap_diff > 1.9

# %% [markdown]
# HF also still caches keys after RoPE, so decoding past L mixes bases (#25104, lesson 07).
#
# ## 6. Explorer: the same later call after a history
#
# `seq_len` is the length of the earlier call, `later_len` the length of the call we look at.
# The curve is cos of pair 16 (wavelength about 628 tokens) over the later call's positions:
# fresh module (gray), DeepSeek after the earlier call (red), HF's rule after it (blue dashed).
# The readout gives the largest |cos| difference from the fresh module over the whole table and
# the base each one uses. Move `seq_len` above 2048 to see DeepSeek leave the fresh curve; move
# `later_len` to 2500 with `seq_len` 3000 to see HF leave it too.

# %%
wavelength_16 = 2 * math.pi / original[16].item()
print(f"pair 16 wavelength: {wavelength_16:.0f} tokens")
assert round(wavelength_16) == 628
r = HistoryExplorer.compute(seq_len=4096, scaling_factor=2.0, later_len=1024)
print({k: format_number(v) for k, v in HistoryExplorer.readout_values(r).items()})
assert r["deepseek_diff"] > 1.9 and r["hf_diff"] == 0.0
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
# `rope_course.seed_claims.CLAIMS` and checked against `shown`.

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
# ### 7.2 What triggers the builder, and what it changes (C3, C4, C5, C21)
#
# C3 "Cache check calls overridden _set_cos_sin_cache, which may update inv_freq"; C4 "long seq
# use adjusted inv_freq for that cache"; C5 "When forward triggers _set_cos_sin_cache for seq >
# max"; C21 "adjustment only for long seq".

# %%
m = fresh_rope()
m(x32, seq_len=1000)  # C5: 1000 < L = 2048, and still a rebuild: the cache was None
assert m.rebuilds == [1000]
m(x32, seq_len=2048)  # C21: rebuilds at <= L keep the original inv_freq
assert m.rebuilds == [1000, 2048] and torch.equal(m.inv_freq, original)
m(x32, seq_len=4000)  # C3: the override ran and replaced inv_freq
assert m.rebuilds[-1] == 4000 and not torch.equal(m.inv_freq, original)
m(x32, seq_len=3000)  # C4: a long call that does not rebuild keeps b'(4000), not b'(3000)
b4000, b3000 = (rc.dynamic_ntk_base(10000, 64, l, 2048, 2.0) for l in (4000, 3000))
assert m.rebuilds[-1] == 4000 and torch.equal(m.inv_freq, rc.inv_freq_for_base(b4000, 64))
print(f"rebuilds {m.rebuilds}; base in force for the 3000 call: {b4000:.1f} (its own would be {b3000:.1f})")
shown.update(C3="7.2", C4="7.2", C5="7.2", C21="7.2")

# %% [markdown]
# ### 7.3 "NTK-preserving angles" and "better extrapolation in Kimi-K2" (C6, C7)
#
# C6: the rebuilt frequencies keep the highest pair and scale the lowest by exactly 1/a; the
# exponent D/(D-2) is that boundary condition (YaRN App. A.1, lesson 04), not something
# "preserved". C7: the released configs (facts §4) select YaRN; the type-to-class choice of
# `_init_rope` (facts §1.5, point 7) never builds the dynamic class for them. Even switched to
# `"dynamic"`, L would be the already-extended `max_position_embeddings`, so nothing would change
# below 131072 (K2) or 163840 (V3) tokens.

# %%
ratio = rc.inv_freq_for_base(b3000, 64).double() / original.double()
a3000 = rc.ntk_bracket(3000, 2048, 2.0)
assert ratio[0].item() == 1.0 and math.isclose(ratio[-1].item(), 1 / a3000, rel_tol=1e-6)

configs = {  # values from the facts file, §4 (config.json of each release)
    "DeepSeek-V3": {"rope_theta": 10000, "max_position_embeddings": 163840, "rope_scaling": {"type": "yarn", "factor": 40}},
    "Kimi-K2-Instruct": {"rope_theta": 50000.0, "max_position_embeddings": 131072, "rope_scaling": {"type": "yarn", "factor": 32.0}},
}
class_for_type = {None: "RotaryEmbedding", "linear": "LinearScaling", "dynamic": "DynamicNTKScaling", "yarn": "Yarn"}
for name, cfg in configs.items():
    chosen = class_for_type[(cfg["rope_scaling"] or {}).get("type")]
    unchanged = rc.dynamic_ntk_base(cfg["rope_theta"], 64, cfg["max_position_embeddings"], cfg["max_position_embeddings"],
                                    cfg["rope_scaling"]["factor"]) == cfg["rope_theta"]
    print(f"{name}: builds {chosen}; if switched to dynamic, base unchanged up to {cfg['max_position_embeddings']}: {unchanged}")
    assert chosen == "Yarn" and unchanged
shown.update(C6="7.3", C7="7.3")

# %% [markdown]
# ### 7.4 Short calls, and the way cos/sin reach attention (C8, C9)
#
# C8 "Short seq use original": only on a fresh module (section 4). C9 "Returned cos/sin used in
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
# ### 7.5 "Long-seq attention similar to short-seq trained" (C10, C19)
#
# A measurable reading: during training (positions below L) pair i saw angles up to
# (L-1)·inv_freq[i]. Pairs whose trained range is under one turn (2π) never saw larger angles.
# At l = 2L (s = 1, D = 64, L = 2048) compare the largest angle at position l-1 with the trained
# one, for the standard class and after the dynamic rebuild.

# %%
L, l = 2048, 4096
theta = original.double()
trained = (L - 1) * theta
under_one_turn = trained < 2 * math.pi
standard_over = ((l - 1) * theta / trained)[under_one_turn]
dyn_theta = rc.inv_freq_for_base(rc.dynamic_ntk_base(10000, 64, l, L, 1.0), 64).double()
dynamic_over = ((l - 1) * dyn_theta / trained)[under_one_turn]
pairs = under_one_turn.nonzero().flatten().tolist()
print("pairs that never completed a turn in training:", pairs[0], "...", pairs[-1])
print("largest angle / trained largest, standard:", [round(v, 2) for v in standard_over.tolist()])
print("largest angle / trained largest, dynamic :", [round(v, 2) for v in dynamic_over.tolist()])
assert pairs == list(range(21, 32))
assert all(round(v, 2) == 2.0 for v in standard_over.tolist())
assert bool((dynamic_over < standard_over).all())  # C19: closer, for these pairs
assert int((dynamic_over > 1.01).sum()) == 10  # C10: only the lowest pair is back in range
assert round(dynamic_over[0].item(), 2) == 1.25
shown.update(C10="7.5", C19="7.5")

# %% [markdown]
# The dynamic base brings the lowest pair back into its trained range and shrinks the overshoot of
# the others (up to 25% past their range instead of 100%), but 10 of the 11 slow pairs still leave
# it: the YaRN paper notes that NTK-aware scaling extrapolates some dimensions (facts §6.1).
# Whether attention "looks like" training is lesson 06's subject; during decoding it is broken
# further by post-RoPE cached keys (#25104, lesson 07).
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
      f"(the seed's count: {seed_count}); half of them suffice, with identical tables")
assert upstream_evals == 2 * seq * dim == 384000 and upstream_evals > 3.9 * seed_count
shown.update(C11="7.6", C12="7.6", C13="7.6", C20="7.6")

# %% [markdown]
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
print("max |diff|, d mod D/2:", (cos - right).abs().max().item(), "| d//2:", round((cos - seed_formula).abs().max().item(), 3))
assert torch.allclose(cos, right, atol=1e-6) and (cos - seed_formula).abs().max() > 1.9
c16, s16 = m(x16, seq_len=1000)
assert c16.shape == s16.shape == (1000, 64) and c16.dtype == torch.bfloat16
shown.update(C14="7.7", C15="7.7")

# %% [markdown]
# ### 7.8 The seed's example (C16, C17, C18, C22)
#
# Section 3 ran it: `rope(x_short)` raises (C16); the 1000-token call uses the original
# `inv_freq` because it runs first on a fresh module (C17); `cos_long.shape` is (3000, 64) once
# `seq_len=3000` is passed (C18). C22 "forward API consistent": same signature as the standard
# forward, whose `seq_len=None` default always raises.

# %%
sig = inspect.signature(Dyn.forward)
print("forward", sig)
assert sig.parameters["seq_len"].default is None
assert isinstance(raised, ValueError) and short_uses_original and tuple(cos_long.shape) == (3000, 64)
shown.update(C16="7.8", C17="7.8", C18="7.8", C22="7.8")

# %% [markdown]
# ### The table

# %%
from rope_course.seed_claims import CLAIMS, claims_table, verdict_counts

print(claims_table())
print()
print(verdict_counts())
assert {c["id"]: c["cell"] for c in CLAIMS} == shown  # every claim backed by its subsection
assert verdict_counts() == {"holds": 6, "holds only when": 10, "wrong": 6}

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
# * `seq_len` is required; the seed's `rope(x_short)` raises.
# * The table a call returns depends on earlier calls: after a long call, short calls reuse the
#   long call's base (HF #25306); D = 8, L = 16, s = 2 gives a cos difference of 0.12, the seed's
#   own setting almost 2.
# * Hugging Face's later rule resets below L (PRs #32135, #37249, #46624) but stays
#   history-dependent inside (L, longest seen]: 3000 then 2500 keeps the 3000 base.
# * Of the seed lesson's 22 claims: 6 hold, 10 hold only under a condition, 6 are wrong (counts asserted in section 7).

# %% [markdown]
# ## Exercises
#
# **1.** Write `inv_freq_after(calls, dim, L, s)`: the `inv_freq` a fresh DeepSeek dynamic module
# (base 10000) holds after forward calls with the lengths in `calls`. Use `rc.dynamic_ntk_base`
# and `rc.inv_freq_for_base`, but not the module itself.

# %%
from rope_course.checks.lesson05 import check_hf_base_after, check_inv_freq_after


def my_inv_freq_after(calls, dim, L, s):
    raise NotImplementedError


result = check_inv_freq_after(my_inv_freq_after)

# %% [markdown]
# **2.** Write `hf_base_after(calls, dim, L, s)`: the base in force after the same calls under
# Hugging Face's rule (grow past the longest cached length, which starts at L; reset when a call
# is strictly shorter than L while the cache is longer than L).

# %%
def my_hf_base_after(calls, dim, L, s):
    raise NotImplementedError


result = check_hf_base_after(my_hf_base_after)

# %% [markdown]
# Solutions: `lessons/solutions/05_dynamic_forward.ipynb`.
