# %% [markdown]
# # 09 · Real models: DeepSeek-V3 and Kimi-K2 use YaRN, and what comes next
#
# Lessons 01-08 took the dynamic NTK class apart. This lesson asks which class the released
# checkpoints actually build, and the answer is: **not that one**. DeepSeek-V3 and Kimi-K2 ship
# `rope_scaling.type = "yarn"`, so `_init_rope` builds the YaRN class that sits in the same file.
#
# **Learning goals.** After this lesson you can
#
# 1. read the rotary fields of DeepSeek-V3's and Kimi-K2's configs and say which class each one
#    builds, and how `rope_scaling["type"]` picks it (including the two error cases);
# 2. explain why switching such a config to `"dynamic"` would do nothing below 163840 tokens;
# 3. compare linear, NTK-aware, dynamic NTK and YaRN frequency by frequency, with an explorer;
# 4. locate YaRN's temperature (the softmax scale, mscale² ≈ 1.874 for V3) and see that cos/sin
#    stay unscaled for the real configs;
# 5. correct the seed's Kimi-K2 claims, and quote what published numbers do and do not show.
#
# Sources: the course's facts file, §1.5 (how the attention builds and uses the rotary module),
# §2.5, §3 (the Linear and YaRN classes, `modeling_deepseek.py`), §4 (the real configs, with
# where each value comes from), §5 (Hugging Face today) and §6 (papers and published tables).

# %%
import math

import matplotlib.pyplot as plt
import torch

import rope_course as rc
from rope_course.explorers.scaling_compare import ScalingCompare, scaling_ratios
from rope_course.presets import (
    DEEPSEEK_V3,
    KIMI_K2_INSTRUCT,
    KIMI_K2_INSTRUCT_0905,
    PRESETS,
    rotary_class_for,
    rotary_from_config,
)
from rope_course.yarn import YarnRotaryEmbedding, yarn_get_mscale

torch.manual_seed(0)
torch.set_num_threads(1)  # steadier on a small shared CPU; results are identical

# %% [markdown]
# ## 1. The configs, as data
#
# `rope_course.presets` holds the rotary fields of the three released configs, each value with
# the source the facts file (§4) gives for it. Kimi-K2's `config.json` declares
# `architectures: ["DeepseekV3ForCausalLM"]` and an `auto_map` to `modeling_deepseek`, so it
# runs the very same file as DeepSeek-V3.

# %%
fields = ["rope_theta", "max_position_embeddings", "qk_rope_head_dim"]
scaling = ["type", "factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "mscale", "mscale_all_dim"]
print(f"{'field':46s}" + "".join(f"{name:>23s}" for name in PRESETS))
for key in fields:
    print(f"{key:46s}" + "".join(f"{str(p.config[key]):>23s}" for p in PRESETS.values()))
for key in scaling:
    print(f"{'rope_scaling.' + key:46s}" + "".join(f"{str(p.config['rope_scaling'][key]):>23s}" for p in PRESETS.values()))
print()
for p in PRESETS.values():
    print(p.name)
    for what, src in {**p.sources, **p.notes}.items():
        print(f"  {what}: {src}")
assert all(p.config["rope_scaling"]["type"] == "yarn" for p in PRESETS.values())
assert DEEPSEEK_V3.config["rope_scaling"]["factor"] == 40 and KIMI_K2_INSTRUCT.config["rope_scaling"]["factor"] == 32.0
assert KIMI_K2_INSTRUCT_0905.config["max_position_embeddings"] is None  # not verified

# %% [markdown]
# Note the lengths: `max_position_embeddings` is already the **extended** context, the factor
# times the 4096-token pre-training length.

# %%
for p in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
    rs = p.config["rope_scaling"]
    print(f"{p.name}: {rs['factor']:g} x {rs['original_max_position_embeddings']} = "
          f"{rs['factor'] * rs['original_max_position_embeddings']:g} = max_position_embeddings {p.config['max_position_embeddings']}")
    assert p.config["max_position_embeddings"] == rs["factor"] * rs["original_max_position_embeddings"]

# %% [markdown]
# ## 2. Build the module each model builds
#
# `rotary_from_config` does what `DeepseekV3Attention._init_rope` does (facts §1.5, step 7):
# dim = `qk_rope_head_dim`, `max_position_embeddings`, base = `rope_theta`, and the class from
# `rope_scaling["type"]`. (Each build makes the full-length init table of lesson 08 and discards
# it, as upstream does; two of them take a moment.)

# %%
built = {}
for p in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
    mod = rotary_from_config(p.config)
    built[p.name] = mod
    print(f"{p.name:18s} -> {type(mod).__name__}")
    print(f"{'':22s}{mod.extra_repr()}")
    print(f"{'':22s}init table built and discarded: {tuple(mod.cos_cached.shape)}, max_seq_len_cached = {mod.max_seq_len_cached}")
    assert type(mod) is YarnRotaryEmbedding
    assert not isinstance(mod, rc.DynamicNTKScalingRotaryEmbedding)

# %% [markdown]
# Kimi-K2-Instruct-0905's `max_position_embeddings` is not verified (the facts file found only a
# context length of 262,144 in Helicone's model list), so the preset holds `None`, and building
# from it says so instead of guessing:

# %%
try:
    rotary_from_config(KIMI_K2_INSTRUCT_0905.config)
except ValueError as err:
    print("ValueError:", err)
print("class it would build:", rotary_class_for(KIMI_K2_INSTRUCT_0905.config["rope_scaling"]).__name__)
assert rotary_class_for(KIMI_K2_INSTRUCT_0905.config["rope_scaling"]) is YarnRotaryEmbedding

# %% [markdown]
# ## 3. How `rope_scaling["type"]` picks the class
#
# The rule, in words: no `rope_scaling` → the standard class; otherwise read `rope_scaling["type"]`
# and `rope_scaling["factor"]`, then `"linear"`, `"dynamic"` or `"yarn"` pick their class (YaRN
# also gets `original_max_position_embeddings`, `beta_fast`, `beta_slow`, `mscale` and
# `mscale_all_dim` when present), and any other type is an error. Every case, on a small config:

# %%
def small_config(rope_scaling):
    return {"qk_rope_head_dim": 16, "max_position_embeddings": 64, "rope_theta": 10000, "rope_scaling": rope_scaling}


variants = {
    "null": None,
    "linear": {"type": "linear", "factor": 2.0},
    "dynamic": {"type": "dynamic", "factor": 2.0},
    "yarn": {"type": "yarn", "factor": 2.0, "original_max_position_embeddings": 32},
    "unknown type": {"type": "longrope", "factor": 2.0},
    "rope_type only": {"rope_type": "yarn", "factor": 2.0},
}
outcome = {}
for label, rs in variants.items():
    try:
        outcome[label] = type(rotary_from_config(small_config(rs))).__name__
    except (ValueError, KeyError) as err:
        outcome[label] = f"{type(err).__name__}: {err}"
    print(f"{label:15s} -> {outcome[label]}")
assert outcome["null"] == "RotaryEmbedding" and outcome["linear"] == "LinearScalingRotaryEmbedding"
assert outcome["dynamic"] == "DynamicNTKScalingRotaryEmbedding" and outcome["yarn"] == "YarnRotaryEmbedding"
assert outcome["unknown type"].startswith("ValueError: Unknown RoPE scaling type")
assert outcome["rope_type only"].startswith("KeyError")

# %% [markdown]
# The last case matters in practice: newer Hugging Face configs write the scaling kind under
# `rope_type`. The remote code reads only `type`, so such a dict fails with a `KeyError` (upstream
# gives no explanation; the package's message says what is missing). This is one of several ways
# the remote code and newer `transformers` drift apart (facts §1.5 point 8: LlamaFactory #8048,
# DeepSeek-Coder-V2 #81).
#
# ## 4. What if someone switched V3 to `"dynamic"`?
#
# The dynamic class reads L from `max_position_embeddings`, which for these models is already
# the extended length, and it never looks at `original_max_position_embeddings` (facts §2.5). So
# with V3's values the base would not move at any length up to 163840; scaling would begin only
# past it, where the model was never meant to go:

# %%
v3 = DEEPSEEK_V3.config
dyn_cls = rotary_class_for({"type": "dynamic", "factor": 40})
print("class:", dyn_cls.__name__, "| L it would use:", v3["max_position_embeddings"])
for length in (4096, 8192, 100_000, 163_840, 163_841, 200_000):
    b_ext = rc.dynamic_ntk_base(10000, 64, length, v3["max_position_embeddings"], 40)
    b_orig = rc.dynamic_ntk_base(10000, 64, length, 4096, 40)
    print(f"seq_len {length:7d}: base with L = 163840: {b_ext:12.1f}   (with L = 4096 it would be {b_orig:14.1f})")
assert rc.dynamic_ntk_base(10000, 64, 163840, 163840, 40) == 10000
assert rc.dynamic_ntk_base(10000, 64, 100_000, 163840, 40) == 10000
assert 10000 < rc.dynamic_ntk_base(10000, 64, 163841, 163840, 40) < 10003

# %% [markdown]
# With Kimi-K2's 131072 the picture is the same (nothing happens below 131072 tokens). The
# dynamic class is dead code for these checkpoints, twice over: the configs never select it,
# and if they did, it would key off the wrong length.
#
# ## 5. Linear, NTK-aware, dynamic NTK and YaRN, frequency by frequency
#
# All four change inv_freq[i] = b^(−2i/D); the ratio inv_freq'[i]/inv_freq[i] tells them apart
# (s = factor, L = the original context, D = 64, b = 10⁴):
#
# | method | ratio for pair i | where it comes from |
# |---|---|---|
# | linear (PI) | 1/s for every pair | positions divided by s (facts §3.1) |
# | NTK-aware (fixed) | s^(−2i/(D−2)) | base b·s^(D/(D−2)) (facts §6.1) |
# | dynamic NTK | a(l)^(−2i/(D−2)), a = 1 + s(l/L − 1) past L, else 1 | lessons 04-05 |
# | YaRN | 1 for i ≤ low, 1/s for i ≥ high, a linear blend between | facts §3.2 |
#
# `scaling_ratios` computes the four columns (YaRN with V3's betas 32/1 and L₀ = L). At
# s = 4 and l = 16384 (so a = 13):

# %%
s_demo, l_demo = 4.0, 16384
r = scaling_ratios(l_demo, s_demo)
a_demo = rc.ntk_bracket(l_demo, 4096, s_demo)
print("a(l) =", a_demo)
for i in (0, 5, 10, 16, 23, 31):
    print(f"pair {i:2d}: " + "  ".join(f"{k} {r[k][i]:.4f}" for k in r))
assert a_demo == 13.0
assert all(abs(v - 1 / s_demo) < 1e-12 for v in r["linear"])
assert r["NTK-aware"][0] == 1.0 and abs(r["NTK-aware"][-1] - 1 / s_demo) < 1e-12
assert abs(r["dynamic NTK"][-1] - 1 / a_demo) < 1e-12
assert abs(r["YaRN"][10] - 1) < 1e-6 and abs(r["YaRN"][23] - 1 / s_demo) < 1e-6

# %%
fig, ax = plt.subplots(figsize=(7, 3))
for k, v in r.items():
    ax.plot(v, "o-", ms=3, label=k)
ax.set_yscale("log")
ax.set_xlabel("pair i (0 = highest frequency)")
ax.set_ylabel("inv_freq' / inv_freq")
ax.set_title(f"s = {s_demo:g}, seq_len = {l_demo}, L = 4096, D = 64")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Reading the picture: linear slows every pair by s, including the fastest ones that resolve
# neighbouring tokens. NTK-aware leaves pair 0 alone and slows the last pair by exactly s (the
# boundary condition behind the exponent D/(D−2), lesson 04). Dynamic NTK is NTK-aware with s
# replaced by a(l), so it moves with the length (and overshoots it, a = 13 at 4x). YaRN splits the
# pairs by how many full turns they make within the original context: pairs that turn more than
# `beta_fast` = 32 times keep their frequency, pairs that turn less than `beta_slow` = 1 time are
# interpolated like linear, and the ones between are blended. For V3 that split falls at pairs 10
# and 23:

# %%
for i in (10, 11, 22, 23):
    wavelength = 2 * math.pi * 10000 ** (2 * i / 64)
    print(f"pair {i}: wavelength {wavelength:8.1f} tokens, {4096 / wavelength:6.2f} turns in 4096 tokens")
turns = {i: 4096 / (2 * math.pi * 10000 ** (2 * i / 64)) for i in (10, 23)}
assert turns[10] > 32 and turns[23] < 1

# %% [markdown]
# ### The explorer
#
# Drag `seq_len` and `scaling_factor`. The picture shows the wavelengths 2π/inv_freq' of each
# method per pair on a log scale, in tokens (black: original; orange: linear; green, dashed:
# NTK-aware; blue: dynamic NTK; purple, dash-dot: YaRN), with the original context L = 4096 as a
# gray dashed line and the requested length as a red line. The readout gives the dynamic base at
# `seq_len`, the fixed NTK-aware base, YaRN's range and temperature, and the dynamic ratio at the
# last pair (1/a).
# Things to try: `seq_len` at or below 4096 (dynamic equals the original); `scaling_factor` 1
# (linear, NTK-aware and YaRN collapse onto the original, but dynamic still moves past L).

# %%
explorer = ScalingCompare()
explorer.show()

# %% [markdown]
# ## 6. The real configs' YaRN, and where the temperature lives
#
# With D = 64 and L₀ = 4096 the correction range is (10, 23) for V3 (b = 10⁴, β 32/1), and
# (19, 20) for Kimi-K2 (b = 5·10⁴, β 1/1): for K2 both betas are 1, so the range collapses to a
# hard switch.

# %%
for name, mod in built.items():
    low, high = mod.correction_range
    ratio = mod.inv_freq.double() / rc.inv_freq_for_base(mod.base, 64).double()
    print(f"{name}: low {low}, high {high}")
    print("  ratio to the original, pairs 0..31:", " ".join(f"{v:.3f}" for v in ratio.tolist()))
v3_mod, k2_mod = built["DeepSeek-V3"], built["Kimi-K2-Instruct"]
assert v3_mod.correction_range == (10, 23) and k2_mod.correction_range == (19, 20)
k2_ratio = k2_mod.inv_freq.double() / rc.inv_freq_for_base(50000.0, 64).double()
assert torch.allclose(k2_ratio[:20], torch.ones(20, dtype=torch.float64), rtol=1e-6)
assert torch.allclose(k2_ratio[20:], torch.full((12,), 1 / 32, dtype=torch.float64), rtol=1e-6)

# %% [markdown]
# **The YaRN table is static.** It depends only on the config, never on the requested length, so
# a 100-token prompt is rotated with the blended frequencies too, and there is no history
# dependence (contrast lesson 05). The reference `inference/model.py` of deepseek-ai/DeepSeek-V3
# likewise applies the correction whenever the *configured* maximum length exceeds 4096, not the
# input length (facts §4).

# %%
fresh = YarnRotaryEmbedding(64, 8192, 10000, scaling_factor=40, original_max_position_embeddings=4096,
                            beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=1.0)
fresh(torch.zeros(1), seq_len=100)
short_ratio = fresh.inv_freq.double() / rc.inv_freq_for_base(10000, 64).double()
print(f"after a 100-token call: pair 31 ratio {short_ratio[31].item():.4f} (= 1/40), pair 0 ratio {short_ratio[0].item():.1f}")
assert abs(short_ratio[31].item() - 1 / 40) < 1e-6 and short_ratio[0].item() == 1.0

# %% [markdown]
# **Temperature.** YaRN also sharpens attention by a factor √(1/t) = 0.1·ln s + 1 on both q and k
# (paper Eq. 22). In this file it shows up in two places:
#
# * the YaRN class multiplies cos and sin by mscale(s, `mscale`) / mscale(s, `mscale_all_dim`);
# * the attention multiplies its softmax scale 1/√192 (q_head_dim = 128 + 64) by
#   mscale(s, `mscale_all_dim`)² when `mscale_all_dim` is non-zero (facts §1.5 step 6).
#
# Both real configs set `mscale = mscale_all_dim = 1`, so the cos/sin factor is exactly 1 and the
# whole temperature goes into the softmax scale:

# %%
q_head_dim = 128 + 64
for p in PRESETS.values():
    rs = p.config["rope_scaling"]
    m2 = yarn_get_mscale(rs["factor"], rs["mscale_all_dim"]) ** 2
    cos_sin = yarn_get_mscale(rs["factor"], rs["mscale"]) / yarn_get_mscale(rs["factor"], rs["mscale_all_dim"])
    print(f"{p.name:22s} mscale^2 = {m2:.3f}  cos/sin factor = {cos_sin:.1f}  "
          f"softmax scale = {q_head_dim ** -0.5:.5f} x {m2:.3f} = {q_head_dim ** -0.5 * m2:.5f}")
m2 = {p.name: yarn_get_mscale(p.config["rope_scaling"]["factor"], 1.0) ** 2 for p in PRESETS.values()}
assert round(m2["DeepSeek-V3"], 3) == 1.874 and round(m2["Kimi-K2-Instruct"], 3) == 1.813
assert round(m2["Kimi-K2-Instruct-0905"], 3) == 2.005
assert v3_mod.cos_sin_scale == 1.0 and k2_mod.cos_sin_scale == 1.0
cos_v3, _ = v3_mod(torch.zeros(1), seq_len=8)
assert cos_v3[0, 0].item() == 1.0  # cos(0) times a factor of exactly 1

# %% [markdown]
# Had a config used the plain YaRN default instead (`mscale_all_dim = 0`), cos and sin would be
# scaled by 0.1·ln 40 + 1 ≈ 1.369 each, and the score q·k by its square. Adding the softmax's
# mscale² on top of that would apply the temperature **twice** (facts pitfall 13):

# %%
plain = YarnRotaryEmbedding(16, 64, 10000, scaling_factor=40, original_max_position_embeddings=32, mscale=1.0, mscale_all_dim=0)
print(f"cos/sin factor with mscale_all_dim = 0: {plain.cos_sin_scale:.3f}; on q.k: {plain.cos_sin_scale ** 2:.3f}; "
      f"doubled with the softmax factor: {plain.cos_sin_scale ** 2 * m2['DeepSeek-V3']:.3f}")
assert round(plain.cos_sin_scale, 3) == 1.369

# %% [markdown]
# ## 7. Hugging Face's later rule for the dynamic class (brief)
#
# Hugging Face rewrote its dynamic NTK handling (facts §5): PR #32135 added a *reset* to the
# original inv_freq when the length falls back below the original context, PR #37249 moved it into
# the `dynamic_rope_update` decorator, and PR #46624 fixed a regression in which the reset never
# ran. Lesson 05 simulates that rule next to DeepSeek's class: it removes the worst case (a short
# prompt after a long one), but lengths between L and the longest one seen still depend on
# history, and keys are still cached after RoPE (lesson 07). Hugging Face's native `deepseek_v3`
# port builds YaRN from the same config fields and, like the remote code, puts the temperature in
# the attention scale.
#
# ## 8. The seed's Kimi-K2 claims, corrected
#
# | claim (seed lesson 4.3.3 and the series it belongs to, facts §7.2) | verdict | shown in |
# |---|---|---|
# | 4.3.3 (and L4.3.2): the dynamic class gives "better extrapolation in Kimi-K2" | wrong: Kimi-K2's config selects YaRN | §2 |
# | L4.3.1: "Dynamic NTK allows Kimi-K2 to handle ultra-long contexts (e.g., 1M tokens)" | wrong: YaRN, 128K context (0905: 256K by Helicone's list) | §1, §2 |
# | 4.3.3: for long sequences the returned cos/sin "have NTK-preserving angles" | wrong for these models: they get the YaRN blend, the same at every length | §5, §6 |
# | the reading that the dynamic class would scale Kimi-K2 past its 4096-token pre-training length | wrong: it keys off `max_position_embeddings` = 131072 (V3: 163840) | §4 |
#
# The facts file (§4) lists the config sources: verbatim dumps of `moonshotai/Kimi-K2-Instruct`
# and `deepseek-ai/DeepSeek-V3` `config.json`, the exllamav3 test, and DeepSeek's reference code.
#
# ## 9. What comes next: what the published numbers say
#
# Numbers from the facts file §6.4, with their sources. First, dynamic NTK **without
# fine-tuning**, from Qwen's README ("Long-Context Understanding", perplexity on arXiv data; Qwen's
# own per-sequence implementation, not the HF class):

# %%
qwen = {  # QwenLM/Qwen README.md, Qwen-7B perplexity
    "lengths": [1024, 2048, 4096, 8192, 16384],
    "original": [4.23, 3.78, 39.35, 469.81, 2645.09],
    "+ dynamic_ntk": [4.23, 3.78, 3.59, 3.66, 5.71],
    "+ dynamic_ntk + logn": [4.23, 3.78, 3.58, 3.56, 4.62],
    "+ dynamic_ntk + logn + window_attn": [4.23, 3.78, 3.58, 3.49, 4.32],
}
print(f"{'Qwen-7B':36s}" + "".join(f"{l:>9d}" for l in qwen["lengths"]))
for k, v in qwen.items():
    if k != "lengths":
        print(f"{k:36s}" + "".join(f"{x:9.2f}" for x in v))
at_8192 = qwen["original"][3] / qwen["+ dynamic_ntk"][3]
print(f"at 8192: {qwen['original'][3]} -> {qwen['+ dynamic_ntk'][3]} ({at_8192:.0f}x lower)")
assert qwen["original"][3] == 469.81 and qwen["+ dynamic_ntk"][3] == 3.66
assert round(at_8192) == 128

# %% [markdown]
# Second, **fine-tuned** comparisons from the YaRN paper (arXiv 2309.00071; sliding-window
# perplexity, S = 256, on Proof-pile), Table 1 with Llama-2-7B extended to 8k:

# %%
yarn_table1 = {  # YaRN paper Table 1: method -> (training tokens, perplexity at 2048..10240)
    "PI (s=2)": ("1B", [3.92, 3.51, 3.51, 3.34, 8.07]),
    "NTK (θ=20k)": ("1B", [4.20, 3.75, 3.74, 3.59, 6.24]),
    "YaRN (s=2)": ("400M", [3.91, 3.50, 3.51, 3.35, 6.04]),
}
print(f"{'method':14s}{'tokens':>8s}" + "".join(f"{l:>8d}" for l in (2048, 4096, 6144, 8192, 10240)))
for k, (tokens, ppl) in yarn_table1.items():
    print(f"{k:14s}{tokens:>8s}" + "".join(f"{x:8.2f}" for x in ppl))
best_at_10240 = min(yarn_table1, key=lambda k: yarn_table1[k][1][-1])
gap_to_pi = max(abs(y - p) for y, p in zip(yarn_table1["YaRN (s=2)"][1][:4], yarn_table1["PI (s=2)"][1][:4]))
print("lowest at 10240:", best_at_10240, f"| largest |YaRN - PI| up to 8192: {gap_to_pi:.2f}")
assert best_at_10240 == "YaRN (s=2)"
assert round(gap_to_pi, 2) == 0.01
assert all(y < n for y, n in zip(yarn_table1["YaRN (s=2)"][1], yarn_table1["NTK (θ=20k)"][1]))

# %% [markdown]
# What these do **not** show: no table in the YaRN paper gives Dynamic-NTK numbers (its dynamic
# results, appendix B.3, are a chart), and no paper or model card gives Hugging-Face-style dynamic
# NTK perplexities for DeepSeek-V3 or Kimi-K2, which were trained and released with YaRN. Any
# claim that "dynamic NTK is how Kimi-K2 reaches long context" has no evidence behind it.
#
# **Lesson 10** tests the methods instead of quoting them: a tiny RoPE model trained here at a
# short context L and evaluated up to 8L with no scaling, linear, NTK-aware, dynamic NTK
# (DeepSeek's faithful class and a stateless variant) and YaRN.
#
# ## Summary
#
# * DeepSeek-V3 (factor 40, θ = 10⁴, β 32/1) and Kimi-K2 (factor 32, θ = 5·10⁴, β 1/1; 0905:
#   factor 64) set `rope_scaling.type = "yarn"`: `_init_rope` builds the YaRN class, never the
#   dynamic one.
# * `type` picks the class: none → standard, `linear`, `dynamic`, `yarn`; any other value →
#   `ValueError`; a dict with only `rope_type` → `KeyError`.
# * The dynamic class would read L = 163840 (V3) or 131072 (K2), already 40x/32x the 4096-token
#   pre-training length, so it would start scaling only past them.
# * Linear slows every pair by s; NTK-aware keeps pair 0 and slows the last by s; dynamic is
#   NTK-aware with a(l) in place of s; YaRN keeps the fast pairs (more than 32 turns in 4096
#   tokens: pairs ≤ 10 for V3), interpolates the slow ones (pairs ≥ 23) and blends between; for
#   K2 it is a hard switch at 19/20. The YaRN table is static.
# * The temperature sits in the softmax scale (mscale² ≈ 1.874 V3, 1.813 K2, 2.005 K2-0905);
#   cos/sin are unscaled because mscale = mscale_all_dim = 1.
# * Published evidence: dynamic NTK without fine-tuning helps a lot (Qwen-7B at 8192: 469.81 →
#   3.66); fine-tuned YaRN (400M tokens) stays within 0.01 of PI (1B tokens) up to 8192, beats
#   NTK there, and is lowest at 10240 (YaRN Table 1); there are no HF-style dynamic NTK numbers
#   for DeepSeek or Kimi.
#
# ## Exercises
#
# **1.** Write `yarn_correction_range(dim, base, original_max_position_embeddings, beta_fast,
# beta_slow)` returning `(low, high)` as DeepSeek's YaRN class computes it: the pair index where a
# pair turns r times in the original context is D·ln(L₀/(2πr))/(2·ln b); take the floor at
# r = beta_fast, the ceil at r = beta_slow, and clamp to [0, D−1].

# %%
from rope_course.checks.lesson09 import check_softmax_scale, check_yarn_correction_range, check_yarn_ratio


def yarn_correction_range(dim, base, original_max_position_embeddings, beta_fast, beta_slow):
    raise NotImplementedError


result = check_yarn_correction_range(yarn_correction_range)

# %% [markdown]
# **2.** Write `softmax_scale(q_head_dim, factor, mscale_all_dim)`: the attention's scale,
# q_head_dim^(−1/2), multiplied by mscale(factor, mscale_all_dim)² when `mscale_all_dim` is
# non-zero (mscale(s, m) = 1 if s ≤ 1, else 0.1·m·ln s + 1).

# %%
def softmax_scale(q_head_dim, factor, mscale_all_dim):
    raise NotImplementedError


result = check_softmax_scale(softmax_scale)

# %% [markdown]
# **3.** Write `yarn_ratio(half, low, high, factor)`: a float tensor of length `half` with YaRN's
# inv_freq divided by the original inv_freq, for pairs 0..half−1 (ramp 0 at `low`, 1 at `high`;
# when low == high add 0.001 to high, as upstream does).

# %%
def yarn_ratio(half, low, high, factor):
    raise NotImplementedError


result = check_yarn_ratio(yarn_ratio)

# %% [markdown]
# Solutions: `lessons/solutions/09_real_models_and_next.ipynb` (open it after trying).
