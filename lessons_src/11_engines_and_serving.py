# %% [markdown]
# # 11 · One config, many behaviours: engines, serving and the traps in the real configs
#
# Nobody runs `modeling_deepseek.py` alone. A checkpoint is loaded into Hugging Face
# `transformers`, served by vLLM, or batched with other requests, and `rope_scaling: dynamic`
# then means different things. This lesson runs the same requests through each engine and
# measures where they part.
#
# **Learning goals.** After this lesson you can
#
# 1. drive the installed `transformers` rotary module with position ids and predict its growth
#    and reset rules, including the gap it still leaves and the regression of transformers 5.0-5.12
#    that lost the reset (fixed in 2026);
# 2. say what vLLM's "dynamic" NTK computes (one base per engine, before and after its 2026 fix);
# 3. show how batching and padding change the base a prompt gets, and give the per-request fix;
# 4. run the traps of the real DeepSeek-V3 / Kimi-K2 configs on the presets;
# 5. read the one table of engine differences, every number measured.
#
# Sources: [HF PR #32135](../SOURCES.md#hf-32135), [HF PR #37249](../SOURCES.md#hf-37249),
# [HF PR #46624](../SOURCES.md#hf-46624), [HF's DeepSeek-V3 port](../SOURCES.md#hf-deepseek-v3),
# [vLLM's file](../SOURCES.md#vllm-dynamic-ntk-file), [vLLM #3488](../SOURCES.md#vllm-3488),
# [#5093](../SOURCES.md#vllm-5093), [#41236](../SOURCES.md#vllm-41236),
# [PR #41277](../SOURCES.md#vllm-41277), [PR #52675](../SOURCES.md#vllm-52675),
# [llama.cpp #8361](../SOURCES.md#llamacpp-8361), [Qwen #401](../SOURCES.md#qwen-401),
# [LightLLM PR #276](../SOURCES.md#lightllm-276), and DeepSeek's attention
# ([`_init_rope`](../SOURCES.md#upstream-init-rope), [softmax scale](../SOURCES.md#upstream-softmax-scale),
# [forward](../SOURCES.md#upstream-attention)).

# %%
import math

import torch

import rope_course as rc
from rope_course.calls import CountingDynamicNTK
from rope_course.engines import batching, traps
from rope_course.engines.differences import ENGINE_DIFFERENCES, format_table, hf_position_id_scenarios, measured_table
from rope_course.engines.hf import TESTED_RANGE, InstalledHFRotary, config_api, transformers_version
from rope_course.engines.hf_rule import HFDynamicRope
from rope_course.engines.vllm import VLLMDynamicNTK, vllm_base_after_fix, vllm_base_before_fix, vllm_bracket_after_fix
from rope_course.explorers.engines import EnginesExplorer
from rope_course.presets import DEEPSEEK_V3, KIMI_K2_INSTRUCT

torch.manual_seed(0)
D, b, L, s = 64, 10000.0, 4096, 2.0  # the setting of every section below
base_at = lambda l, s=s: rc.dynamic_ntk_base(b, D, l, L, s)  # noqa: E731 - the dynamic formula, fresh module

# %% [markdown]
# ## 1. Hugging Face, the real module
#
# `rope_course.engines.hf` builds the installed version's own `DeepseekV3RotaryEmbedding` (the
# native port of DeepSeek-V3) from a config of rope type `"dynamic"`. Version 4 and version 5 of
# `transformers` spell that config differently (`rope_theta` plus `rope_scaling` against one
# `rope_parameters` dict); the adapter builds it both ways, keeps the one that really yields a
# dynamic module, and raises if neither does. The course requires `transformers` in
# `TESTED_RANGE` (section 1.1 says why 5.0-5.12 are outside it). The installed version is
# environment-dependent, so this cell's output is not compared:

# %%
# NBVAL_IGNORE_OUTPUT
from packaging.specifiers import SpecifierSet  # noqa: E402

print("transformers", transformers_version(), "| required:", TESTED_RANGE, "| config API:", config_api())
assert transformers_version() in SpecifierSet(TESTED_RANGE)

# %% [markdown]
# Its forward takes `position_ids`, not a length. The length is `max(position_ids) + 1` over the
# whole batch. Next to it runs the course's model of the same rule, `HFDynamicRope`, which does
# HF's arithmetic; every call must agree bit for bit:

# %%
hf = InstalledHFRotary(D, L, b, s)
model = HFDynamicRope(D, L, b, s)
print(f"{'call':<28}{'length':>7}{'rule':>8}{'cached':>8}{'base':>10}")
for what, ids in [
    ("prefill 3000", torch.arange(3000)[None]),
    ("prefill 6000", torch.arange(6000)[None]),
    ("prefill 5000 (in the gap)", torch.arange(5000)[None]),
    ("prefill 4096 (= L)", torch.arange(4096)[None]),
    ("prefill 4095 (< L)", torch.arange(4095)[None]),
    ("decode step at position 7000", torch.tensor([[7000]])),
]:
    cos, sin = hf.forward(ids)
    cos_m, sin_m = model.forward(ids)
    assert torch.equal(cos, cos_m) and torch.equal(sin, sin_m) and torch.equal(hf.inv_freq, model.inv_freq)
    assert hf.max_seq_len_cached == model.max_seq_len_cached
    length = int(ids.max()) + 1
    print(f"{what:<28}{length:>7}{model.last_rule:>8}{hf.max_seq_len_cached:>8}{model.base_in_force:>10.0f}")
assert model.base_in_force == base_at(7001) and tuple(cos.shape) == (1, 1, D)

# %% [markdown]
# Read the table row by row (the rules come from [HF PR #32135](../SOURCES.md#hf-32135); they sit
# in the decorator of [PR #37249](../SOURCES.md#hf-37249)):
#
# * **nothing** for 3000: `max_seq_len_cached` starts at L = 4096; 3000 is not longer, and the
#   reset needs a grown cache;
# * **growth**: 6000 > 4096 cached, so a new base for 6000;
# * **the gap**: 5000 is neither longer than the cache (6000) nor shorter than L, so it keeps
#   the 6000 base, not its own;
# * **strict reset**: 4096 = L is not `< L`, so it keeps the 6000 base too; 4095 resets to b;
# * **the length comes from the positions**: a decode step of one token at position 7000 counts
#   as a call of length 7001 and grows the base.
#
# The same gap, measured over the explorer's range instead of one call: after a call of length
# l₁ > L, every later call of length l₂ in [L, l₁] keeps b'(l₁), and one just below L resets.

# %%
gap_rows = 0
for s_ in [1.0, 2.0, 16.0]:
    for first in [4097, 6000, 16384, 131072]:
        for later in sorted({4096, 4097, (4096 + first) // 2, first}):
            rope = HFDynamicRope(D, L, b, s_)
            rope.update(first)
            rope.update(later)
            assert rope.base_in_force == base_at(first, s_) > b
            assert rope.update(L - 1) == "reset" and rope.base_in_force == b
            gap_rows += 1
print(f"{gap_rows} (s, first, later) cases with L <= later <= first: the later call kept the first call's base "
      f"every time, and a call of L - 1 then reset")

# %% [markdown]
# **cos and sin are computed on every forward.** HF's module keeps no table: it has no
# `cos_cached`, and what a call returns has one row per position id it was given, however long
# the sequence is. DeepSeek's class builds and slices a table instead (lessons 02-03).

# %%
buffers = sorted(name for name, _ in hf.module.named_buffers())
cos_step, _ = hf.forward(torch.tensor([[9000], [12]]))  # a decode step, two rows at their own positions
print("buffers:", buffers, "| a two-row decode step returns", tuple(cos_step.shape))
assert buffers == ["inv_freq", "original_inv_freq"] and not hasattr(hf.module, "cos_cached")
assert tuple(cos_step.shape) == (2, 1, D)
# one length per batch: the row at position 12 is rotated with b'(9001)
assert torch.allclose(cos_step[1, 0, : D // 2], torch.cos(12 * rc.inv_freq_for_base(base_at(9001), D)), atol=1e-6)

# %% [markdown]
# ### 1.1 The lost reset (HF PR #46624), and the test that catches it
#
# In transformers 5.0 to 5.12 the growth rule stored the new length in an attribute named
# `f"{layer_type}_max_seq_len_cached"`. For the ordinary path `layer_type` is `None`, so it wrote
# `None_max_seq_len_cached` while the next call read `max_seq_len_cached`, which stayed at L. Two
# consequences: every call longer than L regrew the base for itself, and the reset never fired.
# PR #46624 fixed it in 5.13.0 ([the release wheels](../SOURCES.md#hf-release-wheels): 5.0.0 and
# 5.8.1 to 5.12.1 have the bug; 5.13.0 and every later release opened, up to 5.24.0, do not; 5.1
# to 5.7 were not opened). This is why the course requires `transformers>=5.13,<6`: on 5.0-5.12
# the reset test below and the parity tests fail. `HFDynamicRope` models the bug with
# `lost_reset=True`. A test that would have caught it: after a long call, a short call must get
# the original frequencies back.

# %%
def reset_works(rope) -> bool:
    rope.forward(torch.arange(2 * L)[None])  # a long call ...
    rope.forward(torch.arange(100)[None])  # ... then a short one
    return bool(torch.equal(rope.inv_freq, rope.original_inv_freq)) and int(rope.max_seq_len_cached) == L


verdicts = {
    "installed transformers": reset_works(InstalledHFRotary(D, L, b, s)),
    "model of HF": reset_works(HFDynamicRope(D, L, b, s)),
    "model of HF 5.0-5.12": reset_works(HFDynamicRope(D, L, b, s, lost_reset=True)),
}
print(verdicts)
assert verdicts == {"installed transformers": True, "model of HF": True, "model of HF 5.0-5.12": False}
assert TESTED_RANGE == ">=5.13,<6"  # the range pyproject.toml requires (a test checks they agree)

# %% [markdown]
# The course's test suite runs exactly this check against the installed module
# (`tests/test_engines.py`), and its parity tests drive the installed module and the model over
# random call sequences, batched position ids included (`tests/test_engines_parity.py`).
#
# ## 2. vLLM's "dynamic" was static
#
# vLLM builds one cos/sin cache when the engine starts ([its file](../SOURCES.md#vllm-dynamic-ntk-file)).
# Before [PR #41277](../SOURCES.md#vllm-41277) it set `max_len = L * s` and put that length into
# the dynamic bracket: a = s · (L s) / L − (s − 1) = s² − s + 1, a constant
# ([#3488](../SOURCES.md#vllm-3488), [#5093](../SOURCES.md#vllm-5093),
# [#41236](../SOURCES.md#vllm-41236)). After the fix the bracket is evaluated once at the
# engine's served length M with the trained length L_t: a = s · M / L_t − (s − 1). Either way,
# **one base per engine**, applied to every request, short ones included. Here the fixed engine
# serves M = 16384 = 4L.

# %%
old = VLLMDynamicNTK(D, L, b, s)
new = VLLMDynamicNTK(D, 4 * L, b, s, max_trained_positions=L)
print(f"{'request':>8}{'DeepSeek (fresh)':>18}{'HF (fresh)':>12}{'vLLM old':>10}{'vLLM fixed':>12}")
for n in [100, 1000, 4096, 6000, 8192, 16384]:
    hf_n = HFDynamicRope(D, L, b, s)
    hf_n.update(n)
    print(f"{n:>8}{base_at(n):>18.0f}{hf_n.base_in_force:>12.0f}{old.base_for(n):>10.0f}{new.base_for(n):>12.0f}")
    assert hf_n.base_in_force == base_at(n)
assert math.isclose(old.base, b * (s * s - s + 1) ** (D / (D - 2)), rel_tol=1e-12)
assert math.isclose(new.base, b * (s * 4 - (s - 1)) ** (D / (D - 2)), rel_tol=1e-12)
print(f"a 100-token prompt: vLLM old rotates it with {old.base / b:.2f} b, vLLM fixed with {new.base / b:.2f} b")

# %% [markdown]
# The constant does not depend on the request, over the whole slider range of the explorer
# below (s from 1 to 16, requests from 256 to 131072 tokens):

# %%
requests = [256, 1024, 4096, 4097, 32768, 131072]
for s_ in [1.0, 1.25, 2.0, 4.0, 8.0, 16.0]:
    engine = VLLMDynamicNTK(D, L, b, s_)
    assert {engine.base_for(n) for n in requests} == {engine.base}
    assert math.isclose(engine.base, vllm_base_before_fix(b, D, L, s_)) and engine.cache_len == math.ceil(L * s_)
    for served in [4096, 16384, 131072]:
        fixed = VLLMDynamicNTK(D, served, b, s_, max_trained_positions=L)
        assert {fixed.base_for(n) for n in requests if n <= served} == {vllm_base_after_fix(b, D, served, L, s_)}
print("vLLM before #41277: one base per engine for every s tested; after: one per served length, "
      "whatever the request")

# %% [markdown]
# Served *below* the trained length, the fixed formula turns round: the bracket drops under 1 and
# the base shrinks below b; at M ≤ L_t (s − 1)/s the bracket is ≤ 0. A zero bracket makes the base
# 0 (infinite frequencies for every pair but the first), a negative one gives upstream's
# fractional power a complex base and NaN outputs: that is [PR #52675](../SOURCES.md#vllm-52675)
# (open when the course checked it), which would keep the original base whenever M ≤ L_t. The
# package refuses a bracket ≤ 0 with a `ValueError` (served 2048 of 4096 at s = 2 is the zero
# case). The threshold, over the slider's s:

# %%
below = vllm_base_after_fix(b, D, 3072, L, s)
try:
    vllm_base_after_fix(b, D, 2048, L, s)
    refused = None
except ValueError as exc:
    refused = exc
print(f"served 3072 of 4096 trained: base {below:.0f} (< b); served 2048: {type(refused).__name__}")
assert below < b and isinstance(refused, ValueError)
for s_ in [1.25, 2.0, 4.0, 16.0]:
    zero = L * (s_ - 1) / s_
    for served in [math.floor(zero), math.floor(zero) + 1, L - 1]:
        bracket = vllm_bracket_after_fix(served, L, s_)
        assert (bracket <= 0) == (served <= zero) and bracket < 1
print("for s in 1.25..16 the bracket is <= 0 exactly when M <= L_t (s - 1)/s, and < 1 for every M < L_t")

# %% [markdown]
# llama.cpp, for completeness, has no dynamic NTK at all: the feature request
# ([#8361](../SOURCES.md#llamacpp-8361)) was closed as stale.
#
# ## 3. Batching changes the answer
#
# DeepSeek's attention passes one `seq_len = kv_seq_len` to the rotary module for the whole batch:
# the padded batch length plus the cached length ([forward](../SOURCES.md#upstream-attention)).
# HF takes `max(position_ids) + 1` over the batch. So a short prompt batched with a long one gets
# the long one's base. The same 500-token prompt, alone and then left-padded next to a 6000-token
# prompt:

# %%
effect = batching.batch_effect(500, 6000)
print(f"alone: base {effect.base_alone:.0f} | batched: DeepSeek kv_seq_len {effect.deepseek_kv_seq_len} -> "
      f"base {effect.base_deepseek_batched:.0f}, HF length {effect.hf_seq_len} -> base {effect.base_hf_batched:.0f}")
print(f"the prompt's cos rows: max |batched - alone| = {effect.cos_diff_deepseek:.3f}")
print(f"its attention output (one head, random q, k, v): max |change| / max |output| = "
      f"DeepSeek {effect.attention_change_deepseek:.3f}, HF {effect.attention_change_hf:.3f}, "
      f"per-request fix {effect.attention_change_fix:.3f}")
assert effect.base_alone == b and effect.base_deepseek_batched == effect.base_hf_batched == base_at(6000)
assert effect.cos_diff_deepseek > 1.9 and effect.attention_change_deepseek > 0.1
assert effect.cos_diff_fix == effect.attention_change_fix == 0.0

# %% [markdown]
# The rule in general, over a grid of prompt and neighbour lengths from the explorer's range:
# batched, a prompt is rotated with the base of the longer request; with the fix, with its own.

# %%
checked = 0
for prompt in [256, 1024, 4096, 4097, 6000, 32768]:
    for neighbour in [256, 4096, 6000, 131072]:
        for s_ in [1.0, 2.0, 16.0]:
            lengths = [prompt, neighbour]
            ids, _ = batching.left_padded_batch(lengths)
            batched = rc.dynamic_ntk_base(b, D, batching.deepseek_kv_seq_len(lengths), L, s_)
            assert batched == rc.dynamic_ntk_base(b, D, batching.hf_batch_seq_len(ids), L, s_)
            assert batched == rc.dynamic_ntk_base(b, D, max(prompt, neighbour), L, s_)
            fix = batching.per_request_inv_freq(lengths, D, L, b, s_)[0]
            assert torch.equal(fix, rc.inv_freq_for_base(rc.dynamic_ntk_base(b, D, prompt, L, s_), D))
            checked += 1
print(f"{checked} (prompt, neighbour, s) cases: batched base = base of the longer request; fix = own base")

# %% [markdown]
# **Padding counts in DeepSeek's code.** `kv_seq_len` is the padded width, pads included. Pad two
# prompts of 3000 and 4000 tokens to a multiple of 512 (4608) and both cross L = 4096 in
# DeepSeek's class, although neither prompt does. The position ids HF's generation derives from
# the attention mask ([`attention_mask.cumsum(-1) - 1`](../SOURCES.md#hf-generation-position-ids))
# start every prompt at 0, so its length stays 4000; with plain `arange` positions the pads would
# count there too.

# %%
lengths, width = [3000, 4000], 4608
mask_ids, _ = batching.left_padded_batch(lengths, width=width)
plain_ids, _ = batching.left_padded_batch(lengths, width=width, mask_positions=False)
deepseek_len = batching.deepseek_kv_seq_len(lengths, width=width)
print(f"DeepSeek seq_len {deepseek_len} -> base {base_at(deepseek_len):.0f}; HF, mask ids: length "
      f"{batching.hf_batch_seq_len(mask_ids)} -> base {base_at(batching.hf_batch_seq_len(mask_ids)):.0f}; "
      f"HF, arange ids: length {batching.hf_batch_seq_len(plain_ids)}")
assert base_at(deepseek_len) > b == base_at(batching.hf_batch_seq_len(mask_ids))
assert batching.hf_batch_seq_len(plain_ids) == width

# %% [markdown]
# **The fix** is one length per request: each row gets the base of its own length, whoever it is
# batched with (`batching.per_request_cos_sin`; the parity tests check that every row equals that
# prompt run alone). With continuous batching, where requests join and leave a running batch, a
# per-batch value changes a request's rotation whenever its neighbours change. In
# [Qwen #401](../SOURCES.md#qwen-401) the reporter worried about exactly this for Qwen: one long
# prompt setting the NTK value of a whole padded batch, and continuous batching needing one value
# per request. A Qwen maintainer answered that, in static batching, Qwen already computes the
# value per sample from its actual length: the per-request fix. LightLLM merged a PR titled
# ["fix batch merge for dynamic ntk"](../SOURCES.md#lightllm-276).
#
# ## 4. Traps in the real DeepSeek-V3 / Kimi-K2 configs
#
# Each trap runs on the presets (the released rotary fields, lesson 09).
#
# **Trap 1: switched to "dynamic", the class fires only past `max_position_embeddings`, not past 4096.**
# `_init_rope` passes `config.max_position_embeddings`, already the extended length
# (163840 = 40 × 4096 for V3), and never reads `original_max_position_embeddings`.

# %%
for preset in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
    config = traps.switched_to_dynamic(preset)
    module = rc.rotary_from_config(config)
    start = module.inv_freq.clone()
    module(torch.zeros(1), seq_len=4097)  # just past the pre-training length
    unchanged = torch.equal(module.inv_freq, start)
    first = rc.dynamic_ntk_base(config["rope_theta"], 64, module.max_position_embeddings + 1,
                                module.max_position_embeddings, config["rope_scaling"]["factor"])
    print(f"{preset.name}: {type(module).__name__} with L = {module.max_position_embeddings}; "
          f"at 4097 inv_freq unchanged: {unchanged}; first rescale at {module.max_position_embeddings + 1} "
          f"(base {config['rope_theta']:.0f} -> {first:.0f})")
    assert unchanged and isinstance(module, rc.DynamicNTKScalingRotaryEmbedding)
    assert module.max_position_embeddings == {"DeepSeek-V3": 163840, "Kimi-K2-Instruct": 131072}[preset.name]

# %% [markdown]
# And the factor is used twice: once inside L (163840 = 40 × 4096) and once more in the bracket
# a(l) = 1 + s (l/L − 1) for the part past L. At l = 2L the bracket is 1 + 40 · (2 − 1) = 41 for V3,
# where the length ratio l/L is 2.

# %%
bracket_v3 = rc.ntk_bracket(2 * 163840, 163840, 40)
print(f"V3 switched to dynamic, l = 2L: bracket {bracket_v3:g} for a length ratio of 2")
assert bracket_v3 == 41

# %% [markdown]
# **Trap 2: the softmax scale gets YaRN's mscale² whatever the type.** The attention multiplies
# q_head_dim^(−1/2) by `yarn_get_mscale(factor, mscale_all_dim)²` whenever `mscale_all_dim` is set
# ([softmax scale](../SOURCES.md#upstream-softmax-scale)); HF's port does the same for any
# non-default type ([HF's port](../SOURCES.md#hf-deepseek-v3)).

# %%
for kind in ["yarn", "dynamic", "linear"]:
    config = DEEPSEEK_V3.to_config()
    config["rope_scaling"] = {**config["rope_scaling"], "type": kind}
    factor = traps.softmax_scale(config) / traps.softmax_scale({"rope_scaling": None})
    print(f"V3 with type {kind!r}: softmax scale x {factor:.4f}")
    assert math.isclose(factor, (0.1 * math.log(40) + 1) ** 2, rel_tol=1e-12) and round(factor, 3) == 1.874

# %% [markdown]
# **Trap 3: `_init_rope` reads `rope_scaling["type"]`.** A config written the way newer
# `transformers` writes it (`"rope_type"`) raises a `KeyError` in the remote code. Upstream's own
# message is only `KeyError: 'type'`; the course's names the reason:

# %%
error = traps.init_rope_error(DEEPSEEK_V3.to_config(rope_scaling={"rope_type": "dynamic", "factor": 40}))
print(type(error).__name__, "-", error)
assert isinstance(error, KeyError)

# %% [markdown]
# **Trap 4: `rope_theta` and `factor` double-count when an override changes one of them.** A
# common recipe for static NTK is to raise `rope_theta` to b · s^(D/(D−2))
# ([exllama #126](../SOURCES.md#exllama-126)). Do that while the
# config still says `"dynamic"` with the same factor, and past L the class scales the already
# scaled base again: the base is off by exactly s^(D/(D−2)), at every length past L.

# %%
for preset in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
    L_p = preset.config["max_position_embeddings"]
    for l in [L_p + 1, 2 * L_p, 8 * L_p]:
        r = traps.theta_override_base(preset, l)
        factor = preset.config["rope_scaling"]["factor"]
        assert math.isclose(r["ratio"], factor ** (64 / 62), rel_tol=1e-12)
    print(f"{preset.name}: override theta {r['override_theta']:.3g} instead of {r['rope_theta']:.0f}; "
          f"the base past L is {r['ratio']:.1f} x too large")

# %% [markdown]
# ## 5. The table of engine differences
#
# Every difference above is a named case in one table, `ENGINE_DIFFERENCES`, in one setting
# (D = 64, b = 10⁴, L = 4096, s = 2; vLLM fixed serves 16384). Each row is measured now; its claim
# is asserted here and in the tests. "HF" is transformers' growth-and-reset rule
# ([HF PR #32135](../SOURCES.md#hf-32135) added the reset; earlier releases had none) as 5.13 on run
# it: 4.52.4, 4.57.6, 5.13.0 and 5.24.0 were tested. "HF 5.0-5.12" is the model of the releases
# with the lost reset; it matches the 5.0.0 release bit for bit, which was checked outside this
# notebook, since only one version can be installed at a time.

# %%
rows = measured_table()
print(format_table(rows))
assert [r["name"] for r in rows if not r["holds"]] == []
assert len(rows) == len(ENGINE_DIFFERENCES) == 13

# %% [markdown]
# What each case claims:

# %%
for row in rows:
    print(f"{row['name']:<22} {row['claim']}")

# %% [markdown]
# The "HF" column comes from the course's model. The same scenarios, given to the installed
# module as the position ids it would see (batches, padding and decode steps included), give the
# same inv_freq bit for bit. The V3 rows' HF cells (trigger at 163841, softmax factor 1.874, a
# `"rope_type"` config builds) are checked on the installed module by `tests/test_engines.py`.

# %%
scenarios = hf_position_id_scenarios()  # {row: the position ids of each forward}
hf_cells = {row["name"]: row["values"]["HF"] for row in rows}
for name, calls in scenarios.items():
    installed, modelled = InstalledHFRotary(D, L, b, s), HFDynamicRope(D, L, b, s)
    seen = set()
    for ids in calls:
        cos, _ = installed.forward(ids)
        modelled.forward(ids)
        assert torch.equal(installed.inv_freq, modelled.inv_freq)
        seen.add(tuple(installed.inv_freq.tolist()))
    if name == "decode-step-rows":
        assert cos.shape[-2] == hf_cells[name] == 1  # one row per decode step
    elif name == "decode-base-drift":
        assert len(seen) == hf_cells[name] == 9
    else:
        assert modelled.base_in_force == hf_cells[name]
print(f"installed transformers = model on {len(scenarios)} of the table's HF scenarios")

# %% [markdown]
# Two rows in numbers a learner can feel. **decode-step-rows**: one decode step at kv length 8193
# makes DeepSeek's class rebuild all 8193 rows of its table (it caches exactly the last length,
# lesson 03), where HF computes the one new row: a factor of kv_seq_len. **float32-base**: HF
# computes the grown base from a tensor length, in float32; its inv_freq then differs from
# DeepSeek's in the last bits for some lengths:

# %%
from rope_course.engines.differences import FLOAT32_LENGTHS  # noqa: E402
from rope_course.engines.hf_rule import hf_grown_inv_freq  # noqa: E402

differ = sum(not torch.equal(hf_grown_inv_freq(b, D, n, L, s), rc.inv_freq_for_base(base_at(n), D))
             for n in FLOAT32_LENGTHS)
print(f"{differ} of {len(FLOAT32_LENGTHS)} lengths in (L, 10L] give a different inv_freq; "
      f"the largest relative difference is {hf_cells['float32-base']:.1e}")
assert 0 < differ < len(FLOAT32_LENGTHS) and 0 < hf_cells["float32-base"] < 1e-6
rope = CountingDynamicNTK(D, L, scaling_factor=s)
for n in range(8192, 8192 + 4):
    rope(torch.zeros(1), seq_len=n)
assert rope.rebuilds == [8192, 8193, 8194, 8195]

# %% [markdown]
# ## 6. Explorer: the base each engine uses
#
# `seq_len` is the request, `other_len` the request batched with it, `scaling_factor` is s. The
# bars are the base that rotates the request's tokens: alone (what the per-request fix gives in
# any batch), DeepSeek batched, HF batched, vLLM before and after its fix. Put `seq_len` below
# 4096 and `other_len` above: the batched bars leave the original base; the vLLM bars never move
# with `seq_len`. The two vLLM bars coincide at s = 4, where the fixed engine's served length
# (16384) equals L · s.

# %%
r = EnginesExplorer.compute(seq_len=1024, scaling_factor=2.0, other_len=8192)
print({k: round(v) for k, v in EnginesExplorer.readout_values(r).items()})
assert r["bases"][0] == b and r["bases"][1] == r["bases"][2] == base_at(8192)
for s_ in [1.0, 2.0, 4.0, 16.0]:
    vllm_bars = {tuple(EnginesExplorer.compute(n, s_, 8192)["bases"][3:]) for n in [256, 4097, 131072]}
    assert len(vllm_bars) == 1 and (s_ == 4.0) == (len(set(next(iter(vllm_bars)))) == 1)

# %%
explorer = EnginesExplorer()
explorer.show()

# %% [markdown]
# ## Summary
#
# * HF's module takes its length from `max(position_ids) + 1` over the batch, grows past the
#   longest call, resets only strictly below L, and keeps the longest call's base for every call
#   in [L, longest]; it computes cos/sin on every forward. 5.0 to 5.12 lost the reset
#   (HF PR #46624; 5.0.0 and 5.8.1-5.12.1 checked); a long-then-short test catches it, and the
#   course requires `transformers>=5.13,<6` for that reason.
# * vLLM's "dynamic" NTK is one base per engine: b (s² − s + 1)^(D/(D−2)) before its fix, the served
#   length's base after it, for short requests too; served below (s − 1)/s of the trained length
#   the fixed bracket is ≤ 0 (PR #52675, open). llama.cpp has none.
# * One length per batch (DeepSeek's `kv_seq_len`, HF's max position id) gives a short prompt its
#   neighbour's base; DeepSeek also counts padding. The fix is one length per request.
# * In the real configs: "dynamic" would fire only past 163840 (V3) or 131072 (K2), the softmax
#   scale gets mscale² ≈ 1.874 (V3) under any type, a `"rope_type"` key raises `KeyError`, and a
#   raised `rope_theta` with the factor kept counts the factor twice.
# * Thirteen named differences, one table, each measured and asserted.

# %% [markdown]
# ## Exercises
#
# **1. Predict.** One HF module and one DeepSeek module (D = 64, L = 4096, s = 2) serve the same
# six calls, of lengths 6000, 5000, 4096, 3000, 8000 and 7000, in that order. For which calls
# (numbered from 1) do the two use different bases? And which calls differ between HF 5.0-5.12
# and DeepSeek? Answer with sets of call numbers, without running the engines.

# %%
from rope_course.checks.lesson11 import (  # noqa: E402
    check_fixed_update,
    check_padded_batch,
    check_trace_hf,
    check_trace_lost_reset,
    check_vllm_slowest_pair,
)

calls_where_hf_differs = ...
calls_where_hf_5_0_differs = ...
result = check_trace_hf(calls_where_hf_differs)
result = check_trace_lost_reset(calls_where_hf_5_0_differs)

# %% [markdown]
# **2. Find the bug (a real one).** Below is the update of transformers 5.0-5.12, written for a
# `ToyHFRope` (its `base_in_force` stands in for `inv_freq`, `grown_base(n)` for the init
# function). Find why the reset never runs and fix it in `my_update`; the checker runs your
# version on call sequences and compares the bases with HF's current rule.

# %%
def buggy_update(rope, seq_len, layer_type=None):
    prefix = "" if layer_type is None else f"{layer_type}_"
    cached = getattr(rope, f"{prefix}max_seq_len_cached")
    if seq_len > cached:  # growth
        setattr(rope, f"{prefix}base_in_force", rope.grown_base(seq_len))
        setattr(rope, f"{layer_type}_max_seq_len_cached", seq_len)
    if seq_len < rope.original_max_seq_len and cached > rope.original_max_seq_len:  # reset
        setattr(rope, f"{prefix}base_in_force", rope.original_base)
        setattr(rope, f"{layer_type}_max_seq_len_cached", rope.original_max_seq_len)


def my_update(rope, seq_len, layer_type=None):
    raise NotImplementedError


result = check_fixed_update(my_update)

# %% [markdown]
# **3. Derive.** vLLM before PR #41277 serves a 100-token prompt (far inside L = 4096) with
# D = 128 and s = 3. How much slower than in training does the prompt's slowest pair (index
# D/2 − 1) turn? Give inv_freq_vLLM[D/2 − 1] / inv_freq_trained[D/2 − 1], as an expression or to
# 6 significant digits. Derive it in general first: what does it depend on?

# %%
slowest_pair_ratio = ...
result = check_vllm_slowest_pair(slowest_pair_ratio)

# %% [markdown]
# **4. Predict.** Prompts of 1500, 3000 and 5000 tokens are left-padded to a multiple of 1024 and
# prefilled as one batch (D = 64, b = 10⁴, L = 4096, s = 2). Which base rotates the 1500-token
# prompt in DeepSeek's code, and which in HF's (with mask-derived position ids), each on a fresh
# module? Give a tuple (deepseek_base, hf_base), to 4 significant digits or better.

# %%
padded_batch_bases = ...
result = check_padded_batch(padded_batch_bases)

# %% [markdown]
# Solutions: [solutions/11_engines_and_serving.ipynb](solutions/11_engines_and_serving.ipynb).
