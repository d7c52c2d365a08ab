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
# 4. say where YaRN's temperature acts in DeepSeek's attention (MLA) and why it sits in the
#    softmax scale, show that upstream's file applies it once for any config, and find the ports
#    that apply it twice;
# 5. say how V3 and K2 reached their context, as far as the reports confirm (V3: YaRN during
#    training; K2: training to 32K, then YaRN to 128K);
# 6. place what came next on one map, with a computed cell each: Llama 3's `llama3` rope type, a
#    raised base, the critical dimension (the course's never-turned pairs), LongRoPE, and where the
#    two model families went.
#
# Sources: the configs ([V3](../SOURCES.md#deepseek-v3-config), [K2](../SOURCES.md#kimi-k2-config),
# [K2-0905](../SOURCES.md#kimi-k2-0905-config)); upstream's [`_init_rope`](../SOURCES.md#upstream-init-rope),
# [YaRN class](../SOURCES.md#upstream-yarn) and [helpers](../SOURCES.md#upstream-yarn-helpers),
# [softmax scale](../SOURCES.md#upstream-softmax-scale) and [attention](../SOURCES.md#upstream-attention);
# the reports ([V3](../SOURCES.md#deepseek-v3-report), [K2](../SOURCES.md#kimi-k2-report)); and the
# papers and files of section 11, each cited where it is used.

# %%
import itertools
import math

import matplotlib.pyplot as plt
import torch
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.deepseek_v3.configuration_deepseek_v3 import DeepseekV3Config
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3Attention, DeepseekV3RotaryEmbedding

import rope_course as rc
from rope_course.angles import never_turned, swept_arc
from rope_course.engines.traps import DEEPSEEK_Q_HEAD_DIM, softmax_scale
from rope_course.explorers import style
from rope_course.explorers.scaling_compare import ScalingCompare, scaling_ratios
from rope_course.presets import (
    DEEPSEEK_V3,
    KIMI_K2_INSTRUCT,
    KIMI_K2_INSTRUCT_0905,
    PRESETS,
    rotary_class_for,
    rotary_from_config,
)
from rope_course.variants import (
    critical_pair,
    llama3_inv_freq,
    original_inv_freq,
    ratios_as_rescale_factors,
    rescaled_inv_freq,
)
from rope_course.yarn import YarnRotaryEmbedding, yarn_find_correction_range, yarn_get_mscale, yarn_inv_freq

torch.manual_seed(0)
torch.set_num_threads(1)  # steadier on a small shared CPU; results are identical

# %% [markdown]
# ## 1. The configs, as data
#
# `rope_course.presets` holds the rotary fields of the three released configs, each value with
# the source it was checked in. Kimi-K2's `config.json` declares
# `architectures: ["DeepseekV3ForCausalLM"]` and an `auto_map` to `modeling_deepseek`, so it
# runs the very same file as DeepSeek-V3.

# %%
fields = ["rope_theta", "max_position_embeddings", "qk_rope_head_dim"]
scaling = ["type", "factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "mscale", "mscale_all_dim"]
print(f"{'field':46s}" + "".join(f"{name:>23s}" for name in PRESETS))
for key in fields:
    print(f"{key:46s}" + "".join(f"{str(p.config[key]):>23s}" for p in PRESETS.values()))
for key in scaling:
    values = [str(p.config["rope_scaling"][key]) for p in PRESETS.values()]
    print(f"{'rope_scaling.' + key:46s}" + "".join(f"{v:>23s}" for v in values))
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
          f"{rs['factor'] * rs['original_max_position_embeddings']:g} = max_position_embeddings "
          f"{p.config['max_position_embeddings']}")
    assert p.config["max_position_embeddings"] == rs["factor"] * rs["original_max_position_embeddings"]

# %% [markdown]
# ## 2. Build the module each model builds
#
# `rotary_from_config` does what `DeepseekV3Attention._init_rope` does
# ([`_init_rope`](../SOURCES.md#upstream-init-rope)): dim = `qk_rope_head_dim`,
# `max_position_embeddings`, base = `rope_theta`, and the class from `rope_scaling["type"]`. (Each
# build makes the full-length init table of lesson 08 and discards it, as upstream does; two of
# them take a moment.)

# %%
built = {}
for p in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
    mod = rotary_from_config(p.config)
    built[p.name] = mod
    print(f"{p.name:18s} -> {type(mod).__name__}")
    print(f"{'':22s}{mod.extra_repr()}")
    print(f"{'':22s}init table built and discarded: {tuple(mod.cos_cached.shape)}, "
          f"max_seq_len_cached = {mod.max_seq_len_cached}")
    assert type(mod) is YarnRotaryEmbedding
    assert not isinstance(mod, rc.DynamicNTKScalingRotaryEmbedding)

# %% [markdown]
# Kimi-K2-Instruct-0905's `max_position_embeddings` is not verified (only a context length of
# 262,144 was found, in provider model lists), so the preset holds `None`, and building from it
# says so instead of guessing:

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
# the remote code and newer `transformers` drift apart
# ([LlamaFactory #8048](../SOURCES.md#llamafactory-8048),
# [DeepSeek-Coder-V2 #81](../SOURCES.md#deepseek-coder-v2-81)).
#
# ## 4. What if someone switched V3 to `"dynamic"`?
#
# The dynamic class reads L from `max_position_embeddings`, which for these models is already
# the extended length, and it never looks at `original_max_position_embeddings`
# ([dynamic cache](../SOURCES.md#upstream-dynamic-cache)). So with V3's values the base would not
# move at any length up to 163840; scaling would begin only past it, where the model was never
# meant to go:

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
k2 = KIMI_K2_INSTRUCT.config
assert all(rc.dynamic_ntk_base(k2["rope_theta"], 64, n, k2["max_position_embeddings"], 32.0) == k2["rope_theta"]
           for n in (4096, 100_000, 131_072))
assert rc.dynamic_ntk_base(k2["rope_theta"], 64, 131_073, k2["max_position_embeddings"], 32.0) > k2["rope_theta"]

# %% [markdown]
# With Kimi-K2's 131072 the picture is the same (checked in the last asserts: nothing happens up
# to 131072 tokens). The dynamic class is dead code for these checkpoints, twice over: the configs
# never select it, and if they did, it would key off the wrong length.
#
# ## 5. Linear, NTK-aware, dynamic NTK and YaRN, frequency by frequency
#
# All four change inv_freq[i] = b^(−2i/D); the ratio inv_freq'[i]/inv_freq[i] tells them apart
# (s = factor, L = the original context, D = 64, b = 10⁴):
#
# | method | ratio for pair i | where it comes from |
# |---|---|---|
# | linear (PI) | 1/s for every pair | positions divided by s ([linear class](../SOURCES.md#upstream-linear)) |
# | NTK-aware (fixed) | s^(−2i/(D−2)) | base b·s^(D/(D−2)) ([YaRN Eq. 16](../SOURCES.md#paper-yarn-eq16)) |
# | dynamic NTK | a(l)^(−2i/(D−2)), a = 1 + s(l/L − 1) past L, else 1 | lessons 04-05 |
# | YaRN | 1 for i ≤ low, 1/s for i ≥ high, a linear blend between | [YaRN class](../SOURCES.md#upstream-yarn) |
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
method_style = {"linear": (style.PI, "o-"), "NTK-aware": (style.NTK_AWARE, "s--"), "dynamic NTK": (style.DYNAMIC, "^-"),
                "YaRN": (style.YARN, "D-.")}
with style.context():
    fig, ax = plt.subplots(figsize=style.figsize(3.4))
    for k, v in r.items():
        color, fmt = method_style[k]
        ax.plot(v, fmt, ms=4, color=color, label=k)
    ax.set_yscale("log")
    style.plain_ticks(ax.yaxis, [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1], ["1/16", "1/8", "1/4", "1/2", "1"])
    style.plain_ticks(ax.xaxis, [0, 8, 10, 16, 23, 31])
    ax.set_xlabel("pair i (0 = highest frequency)")
    ax.set_ylabel("inv_freq' / inv_freq (log)")
    style.legend(ax, ncols=4)
    style.readout_title(fig, f"s = {s_demo:g}, seq_len = {l_demo}, L = 4096, D = 64")
    fig.tight_layout()
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
# grey dashed line and the requested length as a vermillion dotted line. The readout gives the
# dynamic base at `seq_len`, the fixed NTK-aware base, YaRN's range and the softmax factor
# mscale² it would bring, and the dynamic ratio at the last pair (1/a).
# Things to try: `seq_len` at or below 4096 (dynamic equals the original); `scaling_factor` 1
# (linear, NTK-aware and YaRN collapse onto the original, but dynamic still moves past L).

# %%
explorer = ScalingCompare()
explorer.show()

# %% [markdown]
# ## 6. The real configs' YaRN
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
# dependence (contrast lesson 05). DeepSeek's reference `inference/model.py` likewise applies the
# correction whenever the *configured* maximum length exceeds 4096, not the input length
# ([reference code](../SOURCES.md#deepseek-v3-inference)).

# %%
fresh = YarnRotaryEmbedding(64, 8192, 10000, scaling_factor=40, original_max_position_embeddings=4096,
                            beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=1.0)
fresh(torch.zeros(1), seq_len=100)
short_ratio = fresh.inv_freq.double() / rc.inv_freq_for_base(10000, 64).double()
print(f"after a 100-token call: pair 31 ratio {short_ratio[31].item():.4f} (= 1/40), "
      f"pair 0 ratio {short_ratio[0].item():.1f}")
assert abs(short_ratio[31].item() - 1 / 40) < 1e-6 and short_ratio[0].item() == 1.0

# %% [markdown]
# ## 7. The temperature: where MLA applies it, and why in the softmax scale
#
# YaRN also sharpens attention: the paper multiplies q and k each by √(1/t) = 0.1·ln s + 1
# ([YaRN Eq. 22](../SOURCES.md#paper-yarn-eq22)), so their dot product, the logit, by (0.1·ln s + 1)².
# DeepSeek's file has two places that can do it:
#
# * the YaRN class multiplies cos and sin by mscale(s, `mscale`) / mscale(s, `mscale_all_dim`)
#   ([YaRN class](../SOURCES.md#upstream-yarn)), with mscale(s, m) = 0.1·m·ln s + 1 for s > 1;
# * the attention multiplies its softmax scale 1/√192 by mscale(s, `mscale_all_dim`)² whenever
#   `mscale_all_dim` is non-zero ([softmax scale](../SOURCES.md#upstream-softmax-scale)).
#
# **Why two places?** DeepSeek's attention (MLA) splits each query and key head into 128 dims
# without RoPE and 64 dims with it ([attention](../SOURCES.md#upstream-attention)), and its
# logit is the sum q_nope·k_nope + q_pe·k_pe, scaled by 1/√192. Scaling cos and sin by m
# multiplies the rotated q_pe and k_pe by m each, so only the RoPE part of the logit grows, by m²;
# q_nope·k_nope is untouched. Measured on random vectors, with the package's `apply_rotary_pos_emb`
# and a YaRN table built by the class itself (V3's values, with `mscale_all_dim = 0` so that the
# cos/sin factor is 0.1·ln 40 + 1):

# %%
def logit_parts(cos, sin, q_nope, k_nope, q_pe, k_pe, positions):
    """The two parts of MLA's logits (before the softmax scale): no-RoPE dims and RoPE dims."""
    q_rot, k_rot = rc.apply_rotary_pos_emb(q_pe, k_pe, cos, sin, positions)
    return q_nope @ k_nope.transpose(-1, -2), q_rot @ k_rot.transpose(-1, -2)


n_tok = 12
q_nope, k_nope = torch.randn(1, 1, n_tok, 128, dtype=torch.float64), torch.randn(1, 1, n_tok, 128, dtype=torch.float64)
q_pe, k_pe = torch.randn(1, 1, n_tok, 64, dtype=torch.float64), torch.randn(1, 1, n_tok, 64, dtype=torch.float64)
positions = torch.arange(n_tok)[None]
yarn_kwargs = dict(scaling_factor=40, original_max_position_embeddings=4096, beta_fast=32, beta_slow=1)
plain_yarn = YarnRotaryEmbedding(64, 4096, 10000, **yarn_kwargs, mscale=1.0, mscale_all_dim=0)
v3_yarn = YarnRotaryEmbedding(64, 4096, 10000, **yarn_kwargs, mscale=1.0, mscale_all_dim=1.0)
m = plain_yarn.cos_sin_scale
x64 = torch.zeros(1, dtype=torch.float64)
nope_m, rope_m = logit_parts(*plain_yarn(x64, seq_len=n_tok), q_nope, k_nope, q_pe, k_pe, positions)
nope_1, rope_1 = logit_parts(*v3_yarn(x64, seq_len=n_tok), q_nope, k_nope, q_pe, k_pe, positions)
print(f"cos/sin factor m = {m:.4f} (mscale_all_dim = 0) against {v3_yarn.cos_sin_scale} (V3's config)")
print(f"RoPE part of the logits grows by {(rope_m / rope_1).mean().item():.4f} = m^2 = {m * m:.4f}; "
      f"no-RoPE part by {(nope_m / nope_1).mean().item():.4f}")
# cos/sin are scaled in float32 before the cast: equal to float32 precision, relative to the logits' size
assert (rope_m - m * m * rope_1).abs().max() < 1e-6 * rope_1.abs().max() and torch.equal(nope_m, nope_1)
assert round(m, 3) == 1.369

# %% [markdown]
# So a temperature put into cos and sin reaches 64 of the 192 dims of each logit. To reach all
# of them, DeepSeek puts `mscale_all_dim` into the softmax scale, which multiplies the whole sum,
# and the released configs set `mscale = mscale_all_dim = 1`, so that the cos/sin factor is exactly
# 1. That is the split in the file. And **within upstream's file, no
# config applies the temperature twice**: the cos/sin factor squared times the softmax factor is
# mscale(s, `mscale`)² on the RoPE dims, and the softmax factor alone, mscale(s, `mscale_all_dim`)²,
# on the others. Each temperature appears once. Checked over s from 1 to 16 in steps of 0.25 (and
# the released 32, 40, 64) and every combination of `mscale`, `mscale_all_dim` in {0, 0.5, 1, 2},
# with the cos/sin factor from the YaRN class itself and the softmax scale from the attention's rule
# (`rope_course.engines.traps.softmax_scale`):

# %%
checked = 0
for s in [1 + k / 4 for k in range(61)] + [32.0, 40.0, 64.0]:
    for ms in (0.0, 0.5, 1.0, 2.0):
        for ms_all in (0.0, 0.5, 1.0, 2.0):
            cos_sin = YarnRotaryEmbedding(8, 16, 10000, scaling_factor=s, original_max_position_embeddings=8,
                                          mscale=ms, mscale_all_dim=ms_all).cos_sin_scale
            config = {"rope_scaling": {"type": "yarn", "factor": s, "mscale": ms, "mscale_all_dim": ms_all}}
            softmax_factor = softmax_scale(config) * DEEPSEEK_Q_HEAD_DIM**0.5
            rope_part, nope_part = cos_sin**2 * softmax_factor, softmax_factor
            assert math.isclose(rope_part, yarn_get_mscale(s, ms) ** 2, rel_tol=1e-12), (s, ms, ms_all)
            assert math.isclose(nope_part, yarn_get_mscale(s, ms_all) ** 2, rel_tol=1e-12), (s, ms, ms_all)
            checked += 1
v3_rs = DEEPSEEK_V3.config["rope_scaling"]
v3_softmax = softmax_scale(DEEPSEEK_V3.config) * DEEPSEEK_Q_HEAD_DIM**0.5
print(f"{checked} configs: RoPE dims get mscale(s, mscale)^2, the other dims mscale(s, mscale_all_dim)^2, once each")
print(f"DeepSeek-V3: cos/sin factor {v3_mod.cos_sin_scale}, softmax factor {v3_softmax:.4f} on all 192 dims "
      f"= (0.1 ln 40 + 1)^2 = {yarn_get_mscale(40, 1.0) ** 2:.4f}")
assert checked == 64 * 16 and v3_mod.cos_sin_scale == 1.0
assert math.isclose(v3_softmax, yarn_get_mscale(v3_rs["factor"], v3_rs["mscale_all_dim"]) ** 2, rel_tol=1e-12)

# %% [markdown]
# For the three released configs the temperature is then:

# %%
for p in PRESETS.values():
    rs = p.config["rope_scaling"]
    factor = softmax_scale(p.config) * DEEPSEEK_Q_HEAD_DIM**0.5
    print(f"{p.name:22s} softmax scale = 1/sqrt(192) x {factor:.3f} = {softmax_scale(p.config):.5f}; cos/sin factor "
          f"{yarn_get_mscale(rs['factor'], rs['mscale']) / yarn_get_mscale(rs['factor'], rs['mscale_all_dim']):.1f}")
m2 = {p.name: softmax_scale(p.config) * DEEPSEEK_Q_HEAD_DIM**0.5 for p in PRESETS.values()}
assert round(m2["DeepSeek-V3"], 3) == 1.874 and round(m2["Kimi-K2-Instruct"], 3) == 1.813
assert round(m2["Kimi-K2-Instruct-0905"], 3) == 2.005

# %% [markdown]
# **Where a double application comes from: ports that mix the two rules.** A generic YaRN (the
# paper's, or the attention factor of Hugging Face's `_compute_yarn_parameters`, which rotary
# modules multiply into cos and sin) puts the temperature into cos and sin; DeepSeek's attention
# puts it into the softmax scale. A port that takes the first for the rotary module and
# the second for the attention applies it twice on the RoPE dims unless it cancels the first.
# Hugging Face's native DeepSeek-V3 ([HF's port](../SOURCES.md#hf-deepseek-v3)) is such a mix: its
# rotary module takes the attention factor from the generic `_compute_yarn_parameters`
# ([HF YaRN](../SOURCES.md#hf-yarn-parameters)), which is the ratio mscale/mscale_all_dim only when
# **both** keys are present and non-zero and 0.1·ln s + 1 otherwise, while its attention multiplies
# the softmax scale by mscale(s, `mscale_all_dim`)², as upstream's does. With the released config
# the two agree with upstream. With a config that leaves `mscale` out (upstream's class then
# defaults it to 1), they do not. The cell builds the port of the installed `transformers` (5.24
# when this notebook was saved; its asserts check the behaviour, whatever the version) for three
# sets of rope fields and compares with upstream's rule:

# %%
small_sizes = dict(hidden_size=64, num_attention_heads=1, q_lora_rank=16, kv_lora_rank=16, v_head_dim=16,
                   qk_nope_head_dim=128, qk_rope_head_dim=64)
v3_rope = {"rope_type": "yarn", "rope_theta": 10000.0, "original_max_position_embeddings": 4096,
           "beta_fast": 32, "beta_slow": 1}


def temperatures(factor, extra):
    """(RoPE dims, other dims) logit factors, Hugging Face's port and upstream's rule, for rope fields `extra`."""
    config = DeepseekV3Config(rope_parameters={**v3_rope, "factor": factor, **extra},
                              max_position_embeddings=int(factor * 4096), **small_sizes)
    hf_cos_sin = float(DeepseekV3RotaryEmbedding(config).attention_scaling)
    hf_softmax = float(DeepseekV3Attention(config, layer_idx=0).scaling) * DEEPSEEK_Q_HEAD_DIM**0.5
    up = YarnRotaryEmbedding(8, 16, 10000, scaling_factor=factor, original_max_position_embeddings=8, **extra)
    up_softmax = softmax_scale({"rope_scaling": {"factor": factor, **extra}}) * DEEPSEEK_Q_HEAD_DIM**0.5
    return {"HF": (hf_cos_sin**2 * hf_softmax, hf_softmax), "upstream": (up.cos_sin_scale**2 * up_softmax, up_softmax)}


field_sets = {"released (mscale 1, mscale_all_dim 1)": dict(mscale=1.0, mscale_all_dim=1.0),
              "mscale left out (mscale_all_dim 1)": dict(mscale_all_dim=1.0),
              "neither (plain YaRN)": {}}
temperature = {}
for label, extra in field_sets.items():
    temperature[label] = temperatures(40.0, extra)
    print(f"{label}:")
    for who, (rope_part, nope_part) in temperature[label].items():
        print(f"    {who:9s} RoPE dims x {rope_part:.3f}, other dims x {nope_part:.3f}")
t = yarn_get_mscale(40, 1.0) ** 2
assert all(math.isclose(v, t) for v in temperature["released (mscale 1, mscale_all_dim 1)"]["HF"])
assert all(math.isclose(v, t) for v in temperature["mscale left out (mscale_all_dim 1)"]["upstream"])
assert math.isclose(temperature["mscale left out (mscale_all_dim 1)"]["HF"][0], t * t)  # twice on the RoPE dims
plain = temperature["neither (plain YaRN)"]
assert all(math.isclose(h, u) for h, u in zip(plain["HF"], plain["upstream"]))
assert math.isclose(plain["HF"][0], t) and math.isclose(plain["HF"][1], 1.0)

# %% [markdown]
# Three readings. With the released fields, the port and upstream give 1.874 on all 192 dims.
# With `mscale` left out, upstream still gives 1.874 everywhere, but the port gives 1.874² ≈ 3.51
# on the RoPE dims: the temperature twice, from mixing the generic rotary rule with DeepSeek's
# softmax rule. With neither key, both give the plain YaRN rule, which in MLA reaches only the RoPE
# dims.
#
# Is "leaves `mscale` out" the whole story? Not quite. Each key is either absent or one of 0, 0.5,
# 1, 2 (25 combinations), at factors 1.25, 16 and 40. The two agree on the RoPE dims exactly when
# both keys are present and non-zero, or when `mscale_all_dim` is absent or 0 and `mscale` is absent
# or 1; in every other case they differ (an explicit `mscale` = 0 counts as absent for the port,
# but upstream uses it). The no-RoPE dims agree in every case, since both attentions apply the same
# softmax rule:

# %%
options = (None, 0.0, 0.5, 1.0, 2.0)  # None: the key is left out
differ = set()
for factor in (1.25, 16.0, 40.0):
    for ms, ms_all in itertools.product(options, options):
        extra = {k: v for k, v in (("mscale", ms), ("mscale_all_dim", ms_all)) if v is not None}
        (hf_rope, hf_nope), (up_rope, up_nope) = temperatures(factor, extra).values()
        assert math.isclose(hf_nope, up_nope, rel_tol=1e-12), (factor, extra)
        if not math.isclose(hf_rope, up_rope, rel_tol=1e-9):
            differ.add((ms, ms_all))
        agree_rule = bool(ms and ms_all) or (not ms_all and ms in (None, 1.0))
        assert agree_rule == math.isclose(hf_rope, up_rope, rel_tol=1e-9), (factor, extra)
print(f"{len(options) ** 2 * 3} configs; (mscale, mscale_all_dim) where the RoPE dims differ "
      f"(None = left out), the same at every factor tried:")
print("   ", sorted(differ, key=lambda pair: tuple(-1 if v is None else v for v in pair)))
assert len(differ) == 25 - 9 - 4  # all but: both non-zero (9); mscale_all_dim absent/0, mscale absent/1 (4)

# %% [markdown]
# No released config here falls in the differing cases; they are a trap for anyone who writes or
# edits such a config by hand, or ports the file piece by piece.
#
# ## 8. How V3 and K2 reached their context: YaRN in training (V3), YaRN for the last step (K2)
#
# For DeepSeek-V3 the YaRN fields are not a trick applied to a model trained at 4K: they are part
# of how it was trained. For Kimi-K2 the report says less.
#
# * **DeepSeek-V3** ([V3 report, §4.3](../SOURCES.md#deepseek-v3-report)): after pre-training, YaRN
#   was applied and two extra training phases of 1000 steps each extended the context from 4K to
#   32K and then to 128K, with YaRN configured as in DeepSeek-V2, applied only to the decoupled
#   shared key (the 64 RoPE dims of section 7), and the same hyper-parameters in both phases:
#   s = 40, α = 1, β = 32, √t = 0.1 ln s + 1. This was checked in three agreeing stored
#   restatements of §4.3; the PDF itself was not read.
# * **Kimi-K2** ([K2 report, §2.5](../SOURCES.md#kimi-k2-report)): pre-trained with a 4,096-token
#   context; at the end of pre-training, 400 billion tokens at 4k and then 60 billion at 32k; "to
#   extend the context window to 128k" the team employed YaRN. The report's text was checked in a
#   stored third-party copy of the report; it names no YaRN hyper-parameters, and the passage read
#   does not say whether YaRN's frequencies were in place during the 32K stage.
#
# The report's values are the config's, field by field: α and β are the two ends of YaRN's ramp,
# counted in turns over the original context (the [NTK-by-parts](../SOURCES.md#paper-yarn-3-2)
# split), which the config calls `beta_slow` = 1 and `beta_fast` = 32; √t is YaRN's mscale, whose
# square is the softmax factor:

# %%
report_v3 = {"s": 40, "alpha": 1, "beta": 32, "sqrt_t": 0.1 * math.log(40) + 1}
phases = {"phase 1": 32 * 1024, "phase 2": 128 * 1024}
print(f"V3 report: s = {report_v3['s']}, alpha = {report_v3['alpha']}, beta = {report_v3['beta']}, "
      f"sqrt(t) = {report_v3['sqrt_t']:.4f} -> 1/t = {report_v3['sqrt_t'] ** 2:.4f}")
print(f"V3 config: factor {v3_rs['factor']}, beta_slow {v3_rs['beta_slow']}, beta_fast {v3_rs['beta_fast']}, "
      f"softmax factor {v3_softmax:.4f}")
for name, length in phases.items():
    print(f"  {name}: trained at {length} tokens = {length // 4096} x 4096 (the factor stays {report_v3['s']})")
print(f"V3's max_position_embeddings {v3['max_position_embeddings']} = 40 x 4096 > 128K (read as 131072), "
      f"its longest training length")
k2_rs = KIMI_K2_INSTRUCT.config["rope_scaling"]
print(f"K2: 128K / 4K = {131072 // 4096} = factor {k2_rs['factor']:g}; "
      f"max_position_embeddings {k2['max_position_embeddings']}")
assert (report_v3["s"], report_v3["alpha"], report_v3["beta"]) == (
    v3_rs["factor"], v3_rs["beta_slow"], v3_rs["beta_fast"])
assert math.isclose(report_v3["sqrt_t"] ** 2, v3_softmax, rel_tol=1e-12)
assert phases == {"phase 1": 8 * 4096, "phase 2": 32 * 4096} and v3["max_position_embeddings"] > phases["phase 2"]
assert 131072 // 4096 == k2_rs["factor"] and k2["max_position_embeddings"] == 131072

# %% [markdown]
# **What this means for lesson 10.** V3's weights were trained, for 1000 steps at 32K and another
# 1000 at 128K tokens, with YaRN's blended frequencies and its temperature in place: the static
# table of section 6 is what the model last learned with, at every length. Lesson 10's tiny models
# are trained **without** any scaling and only switched to YaRN at test time. Whatever fixed YaRN
# (one factor for every length, as V3's config sets it) costs them at T = L (its static blend changes
# the slow pairs even inside the trained window) is the price of an untrained switch. It is no
# evidence about V3, whose training included the switch.
#
# ## 9. Hugging Face's later rule for the dynamic class (brief)
#
# Hugging Face rewrote its dynamic NTK handling: [PR #32135](../SOURCES.md#hf-32135) added a
# *reset* to the original inv_freq when the length falls back below the original context,
# [PR #37249](../SOURCES.md#hf-37249) moved it into the `dynamic_rope_update` decorator, and
# [PR #46624](../SOURCES.md#hf-46624) fixed a regression in which the reset never ran. Lessons 05
# and 11 run that rule next to DeepSeek's class: it removes the worst case (a short prompt after a
# long one), but lengths between L and the longest one seen still depend on history, and keys are
# still cached after RoPE (lesson 07).
#
# ## 10. The seed's Kimi-K2 claims, corrected
#
# | claim | verdict | shown in |
# |---|---|---|
# | [4.3.3](../SOURCES.md#seed-4-3-3): "frequencies for better extrapolation in Kimi-K2" | wrong: YaRN | §1, §2 |
# | [4.3.1](../SOURCES.md#seed-4-3-1): dynamic NTK gives Kimi-K2 ultra-long contexts | wrong: YaRN, to 128K | §2, §8 |
# | 4.3.3: long sequences get "NTK-preserving angles" | wrong here: one YaRN blend at every length | §5, §6 |
# | (assumed, not said) the dynamic class would scale K2 past its 4096 pre-training | wrong: keys off 131072 | §4 |
#
# ## 11. What comes next: a map
#
# Every method so far multiplies the frequencies θᵢ = b^(−2i/D) by a per-pair ratio, picked by a
# rule, and sometimes adds a temperature. The newer methods are more points on the same map.
#
# ### 11.1 What the published numbers say
#
# First, dynamic NTK **without fine-tuning**, from Qwen's README ([Qwen README](../SOURCES.md#qwen-readme);
# Qwen's own per-sequence implementation, not the HF class):

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
# Second, **fine-tuned** comparisons from the YaRN paper ([YaRN tables](../SOURCES.md#paper-yarn-tables);
# sliding-window perplexity, S = 256, on Proof-pile), Table 1 with Llama-2-7B extended to 8k:

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
# results, [appendix B.3](../SOURCES.md#paper-yarn-b3), are a chart), and none of the sources this
# course checked gives Hugging-Face-style dynamic NTK perplexities for DeepSeek-V3 or Kimi-K2, which
# were trained and released with YaRN.
#
# ### 11.2 Llama 3's `llama3` rope type: by parts, without a temperature
#
# Llama 3.1's rope type (HF's function "for llama 3.1", [HF `llama3`](../SOURCES.md#hf-llama3-parameters)) is YaRN's
# idea with a different ramp and no temperature. A pair that turns r = L₀·θᵢ/(2π) times over the
# original context is kept when r > `high_freq_factor`, divided by `factor` when r <
# `low_freq_factor`, and blended in between with a weight linear in r (YaRN's ramp is linear in
# the pair index instead); the attention factor is 1. `rope_course.variants.llama3_inv_freq` writes
# the rule in a few lines; the cell compares it with the installed `transformers`' own function,
# `ROPE_INIT_FUNCTIONS["llama3"]`, over five configs (the original implementation's values,
# factor 8, 1, 4 and 8192 with θ = 500000 and head size 128, among them), then applies it to
# DeepSeek-V3's rotary shape next to YaRN:

# %%
def hf_init(rope_type, dim, seq_len=None, **rope):
    """inv_freq and attention factor from the installed transformers' init function for `rope_type`."""
    config = LlamaConfig(hidden_size=2 * dim, num_attention_heads=2, head_dim=dim,
                         max_position_embeddings=int(rope["factor"] * rope["original_max_position_embeddings"]),
                         rope_parameters={"rope_type": rope_type, **rope})
    inv_freq, attention_factor = ROPE_INIT_FUNCTIONS[rope_type](config, seq_len=seq_len)
    return inv_freq.double().numpy(), attention_factor


llama3_configs = [(128, 500000.0, 8.0, 1.0, 4.0, 8192), (64, 10000.0, 8.0, 1.0, 4.0, 4096),
                  (64, 50000.0, 32.0, 1.0, 32.0, 4096), (128, 10000.0, 2.0, 0.5, 8.0, 2048),
                  (16, 500.0, 3.0, 2.0, 3.0, 64)]
worst = 0.0
for dim, base, factor, low, high, length in llama3_configs:
    hf, attention_factor = hf_init("llama3", dim, rope_theta=base, factor=factor, low_freq_factor=low,
                                   high_freq_factor=high, original_max_position_embeddings=length)
    worst = max(worst, float(abs(hf / llama3_inv_freq(dim, base, factor, low, high, length) - 1).max()))
    assert attention_factor == 1.0
print(f"largest relative difference from transformers' llama3 over {len(llama3_configs)} configs: {worst:.1e} "
      f"(it computes in float32); attention factor 1.0 in all")
assert worst < 1e-6

theta = original_inv_freq(64, 10000)
llama3_ratio = llama3_inv_freq(64, 10000, 8.0, 1.0, 4.0, 4096) / theta
yarn_ratio = yarn_inv_freq(64, 10000, 8.0, 4096, 32, 1).double().numpy() / theta
for name, ratio in (("llama3 rule (1, 4)", llama3_ratio), ("YaRN (32/1)", yarn_ratio)):
    kept, divided = int((abs(ratio - 1) < 1e-6).sum()), int((abs(ratio - 1 / 8) < 1e-6).sum())
    print(f"D = 64, b = 10^4, L0 = 4096, factor 8, {name:18s}: kept {kept:2d}, blended {32 - kept - divided:2d}, "
          f"divided by 8: {divided:2d} (pairs {32 - divided}..31)")
assert (abs(llama3_ratio - 1) < 1e-9).sum() == 18 and (abs(llama3_ratio - 1 / 8) < 1e-9).sum() == 9
assert (abs(yarn_ratio - 1) < 1e-6).sum() == 11 and (abs(yarn_ratio - 1 / 8) < 1e-6).sum() == 9

# %% [markdown]
# Both divide exactly the same 9 slowest pairs by the factor (with `low_freq_factor` = 1 and
# `beta_slow` = 1 they both start at "less than one turn"; section 11.4 says why that set matters),
# but llama3 keeps 18 pairs where YaRN's β = 32 keeps 11, and adds no temperature.
#
# ### 11.3 Raising the base in pretraining
#
# Instead of rescaling after training, a model can be trained with a larger base from the start:
# Llama 3 uses θ = 500000 ([Llama 3](../SOURCES.md#paper-llama3), checked as the reference code's
# default), Kimi-K2 50000, DeepSeek-V3 10000. A larger base lengthens every wavelength but pair 0's:

# %%
for base in (10000, 50000.0, 500000.0):
    wave = 2 * math.pi / original_inv_freq(64, base)
    print(f"D = 64, b = {base:8g}: slowest wavelength {wave[-1]:10.0f} tokens; pairs that never complete a turn "
          f"in 4096 tokens: {32 - critical_pair(64, base, 4096):2d}, in 8192: {32 - critical_pair(64, base, 8192):2d}")
assert [32 - critical_pair(64, b, 4096) for b in (10000, 50000.0, 500000.0)] == [9, 12, 16]

# %% [markdown]
# So at the same training length a larger base leaves more pairs short of one turn (9, 12 and 16
# of 32 at 4096 tokens). How large must the base be for a given context? "Base of RoPE Bounds
# Context Length" (Men, Xu et al., [NeurIPS 2024](../SOURCES.md#paper-rope-base-bound)) derives,
# from a long-term-decay property, an absolute **lower** bound on the base for each context
# length, and shows that a base below it gives only a superficial long-context ability. Only the
# paper's abstract and its Figure 1 were checked in a stored copy, so the course does not compute
# their bound.
#
# ### 11.4 The critical dimension is the course's never-turned pairs
#
# "Scaling Laws of RoPE-based Extrapolation" (Liu et al., [arXiv 2310.05209](../SOURCES.md#paper-rope-scaling-laws))
# explains extrapolation by a **critical dimension**: the course reads it as the boundary between
# the pairs that complete a full period within the training length and those that do not (only
# the abstract was checked in a stored copy), that is, the first pair whose turns over L tokens,
# L·θᵢ/(2π), drop below 1 (`critical_pair`). YaRN with `beta_slow` = 1 interpolates fully the pairs
# from its `high` on, and `high` is the ceiling of the index where L·θᵢ/(2π) = 1: the same
# boundary. Lessons 01 and 06 count a little differently: a pair is never-turned when its arc over
# the trained positions 0 … L−1 is less than a turn, (L−1)·θᵢ < 2π. The two counts can differ only
# for a pair whose wavelength 2π/θᵢ lies between L−1 and L tokens, so in practice the three sets are
# one. Checked over D ∈ {16, 32, 64, 128}, b ∈ {500, 10⁴, 5·10⁴, 5·10⁵, 10⁶} and
# L ∈ {64, 2048, 4096, 8192, 32768}, including the settings where every pair turns (then all three
# are empty), and in one case built to fall in that one-token gap: V3's pair 23 has a wavelength of
# 4711.7 tokens, so with L = 4712 it turns just over once in L tokens, while its arc over positions
# 0 … 4711 stays just short of a turn:

# %%
agree, all_turn = 0, 0
for dim in (16, 32, 64, 128):
    for base in (500.0, 1e4, 5e4, 5e5, 1e6):
        for length in (64, 2048, 4096, 8192, 32768):
            k = critical_pair(dim, base, length)
            course = list(map(int, never_turned(swept_arc(original_inv_freq(dim, base), length)).nonzero()[0]))
            yarn_high = yarn_find_correction_range(32, 1, dim, base, length)[1]
            yarn_full = list(range(min(yarn_high, dim // 2), dim // 2))  # ramp 1: divided by s
            assert course == list(range(k, dim // 2)) == yarn_full, (dim, base, length)
            agree += 1
            all_turn += k == dim // 2
print(f"{agree} settings ({all_turn} of them with every pair turning): never-turned pairs = the pairs from "
      f"the critical one on = the pairs YaRN (beta_slow = 1) fully interpolates")
for name, mod in built.items():
    k = critical_pair(64, mod.base, 4096)
    print(f"  {name}: D = 64, L0 = 4096: pairs {k}..31 never turned ({32 - k} pairs, critical dimension "
          f"{2 * k} of 64); its YaRN interpolates fully from pair {mod.correction_range[1]}")
assert agree == 100 and all_turn == 14
gap_length = 4712
gap = {"arc over 0..L-1 (lessons 01, 06)": int(never_turned(swept_arc(original_inv_freq(64, 10000), gap_length))
                                                .nonzero()[0][0]),
       "turns over L (critical_pair)": critical_pair(64, 10000, gap_length),
       "YaRN high (beta_slow = 1)": yarn_find_correction_range(32, 1, 64, 10000, gap_length)[1]}
print(f"L = {gap_length}, D = 64, b = 10^4, first never-turned pair by each count: {gap}")
assert list(gap.values()) == [23, 24, 24]
assert critical_pair(64, 10000, 4096) == 23 and critical_pair(64, 50000.0, 4096) == 20
assert k2_mod.correction_range[1] == 20 and v3_mod.correction_range[1] == 23

# %% [markdown]
# So the 9 pairs that lessons 01 and 06 watch leave their trained arcs are the pairs YaRN divides
# by s in V3, and Kimi-K2's hard switch at 19/20 is exactly its 12 never-turned pairs. Lesson 10
# tests the same boundary on trained toys.
#
# ### 11.5 LongRoPE: search the per-pair factors
#
# LongRoPE (Ding et al., [ICML 2024](../SOURCES.md#paper-longrope); abstract checked) finds two
# kinds of non-uniformity in positional interpolation by an efficient search, extends in steps (a
# 256k fine-tune, then a second interpolation to 2048k), and readjusts at 8k to recover
# short-context quality. In `transformers` its rope type is one rescale factor λᵢ per pair,
# θᵢ/λᵢ, a `long_factor` list past the original length and a `short_factor` list below it, with a
# default attention factor √(1 + ln s / ln L₀) ([HF `longrope`](../SOURCES.md#hf-longrope-parameters)).
# Every method above is a point in that search space, as far as the frequencies go (the
# temperature is a separate factor): give it YaRN's ratios as λ = 1/ratio and it returns V3's YaRN
# frequencies:

# %%
v3_yarn_inv = yarn_inv_freq(64, 10000, 40, 4096, 32, 1).double().numpy()
lambdas = ratios_as_rescale_factors(v3_yarn_inv / original_inv_freq(64, 10000))
long_rope = dict(rope_theta=10000.0, factor=40.0, original_max_position_embeddings=4096,
                 long_factor=lambdas.tolist(), short_factor=[1.0] * 32)
hf_long, hf_attention = hf_init("longrope", 64, seq_len=8192, **long_rope)
hf_short, _ = hf_init("longrope", 64, seq_len=1000, **long_rope)
print(f"longrope with YaRN's lambdas vs YaRN: max relative difference {abs(hf_long / v3_yarn_inv - 1).max():.1e}")
print(f"below 4096 it switches to short_factor: pair 31 ratio {hf_short[-1] / original_inv_freq(64, 10000)[-1]:.3f}")
print(f"attention factor sqrt(1 + ln 40 / ln 4096) = {hf_attention:.4f}, against YaRN's 0.1 ln 40 + 1 = "
      f"{yarn_get_mscale(40, 1.0):.4f}")
assert abs(hf_long / v3_yarn_inv - 1).max() < 1e-6
assert abs(rescaled_inv_freq(64, 10000, lambdas) / v3_yarn_inv - 1).max() < 1e-12
assert abs(hf_short[-1] / original_inv_freq(64, 10000)[-1] - 1) < 1e-6
assert math.isclose(hf_attention, math.sqrt(1 + math.log(40) / math.log(4096)))

# %% [markdown]
# Note the switch: HF's `longrope` uses one factor list below the original length and another past
# it, a step in the frequencies at L₀ (its `dynamic_rope_update` decorator recomputes them when the
# length crosses it, [PR #37249](../SOURCES.md#hf-37249)), where DeepSeek's YaRN uses one static
# table at every length.
#
# ### 11.6 Where V3 and K2 went next
#
# Only what the course's sources support: Kimi-K2-Instruct-0905 keeps K2's base and betas and
# doubles the factor to 64 (its rope values come from a third-party model report, not a stored
# copy of the config), with a 262,144-token context = 64 × 4096 in provider model lists
# ([K2-0905](../SOURCES.md#kimi-k2-0905-config)). So it keeps K2's hard switch and its 12
# interpolated pairs, divides them by 64 instead of 32, and raises the softmax factor:

# %%
rs_0905 = KIMI_K2_INSTRUCT_0905.config["rope_scaling"]
theta_0905, length_0905 = KIMI_K2_INSTRUCT_0905.config["rope_theta"], rs_0905["original_max_position_embeddings"]
range_0905 = yarn_find_correction_range(rs_0905["beta_fast"], rs_0905["beta_slow"], 64, theta_0905, length_0905)
print(f"K2-0905: factor {rs_0905['factor']:g}, correction range {range_0905} (K2: {k2_mod.correction_range}), "
      f"context {int(rs_0905['factor'] * rs_0905['original_max_position_embeddings'])}, softmax factor "
      f"{m2['Kimi-K2-Instruct-0905']:.3f} (K2: {m2['Kimi-K2-Instruct']:.3f})")
assert range_0905 == k2_mod.correction_range and rs_0905["factor"] * length_0905 == 262144

# %% [markdown]
# For DeepSeek, the course's sources hold nothing verified beyond V3, so this lesson says nothing
# about later releases.
#
# **Lesson 10** tests the methods instead of quoting them, on tiny RoPE models trained here at a
# short context L = 128 on two tasks (recall, and a synthetic language), three seeds each, and
# evaluated up to 8L with intervals: no scaling, and PI, NTK-aware and YaRN each both *fixed*
# (one s = 8 for every length, as a config sets it) and *dynamic* (s = max(1, T/L)), compared fixed
# with fixed and dynamic with dynamic; dynamic NTK at lesson 06's s_min(T); DeepSeek's own class
# serving every request in turn; and YaRN with V3's literal betas 32/1, which suit a 4096-token
# window, not the toy's 128.
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
# * MLA's logit is q_nope·k_nope (128 dims) + q_pe·k_pe (64 RoPE dims): a temperature in cos/sin
#   reaches only the RoPE part, so DeepSeek puts it in the softmax scale (mscale² ≈ 1.874 V3,
#   1.813 K2, 2.005 K2-0905) and keeps cos/sin unscaled. Upstream's file applies each temperature
#   once for any config (1024 checked); a port mixing generic YaRN with DeepSeek's softmax rule
#   applies it twice on the RoPE dims (HF's port, for a config with `mscale_all_dim` 1 but no
#   `mscale`: 3.51; it departs from upstream in 12 of the 25 combinations of the two keys tried).
# * V3 was trained with YaRN (s = 40, α = 1, β = 32) in two 1000-step phases, 4K → 32K → 128K; K2
#   trained 60B tokens at 32K and used YaRN to reach 128K (its report gives no YaRN settings). Lesson
#   10's toys, switched to YaRN untrained, say nothing against that.
# * The map: llama3 is by-parts YaRN with a ramp in turns and no temperature; a larger base in
#   pretraining slows the slow pairs (and has a lower bound per context length); the critical
#   dimension is the course's never-turned pairs and YaRN's β_slow = 1 boundary (they count turns
#   over L positions, lessons 01 and 06 over L − 1: the same pairs unless a wavelength falls within
#   one token of L); LongRoPE searches
#   one factor per pair, a space that contains all of the above.
#
# ## Exercises
#
# **1. Find the bug.** A port of DeepSeek's attention computes the logits like this, for a config
# with `factor` and `mscale_all_dim` (and `mscale` left at upstream's default, 1). It multiplies the
# rotated parts by the generic YaRN factor, as scaled cos/sin tables would. Fix it in
# `fixed_logits` (same arguments) so that it gives upstream's logits for every `factor` > 1 and
# `mscale_all_dim`, including `mscale_all_dim = 0`. (`q_pe` and `k_pe` stand for the already
# rotated parts; shapes (n, 128) and (n, 64).)

# %%
from rope_course.checks.lesson09 import check_fixed_logits, check_llama3_split, check_never_turned_llama3  # noqa: E402


def ported_logits(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):
    attention_factor = 0.1 * math.log(factor) + 1.0  # generic YaRN: cos and sin times this
    q_pe, k_pe = q_pe * attention_factor, k_pe * attention_factor
    scale = (q_nope.shape[-1] + q_pe.shape[-1]) ** -0.5
    if mscale_all_dim:
        m = 0.1 * mscale_all_dim * math.log(factor) + 1.0
        scale = scale * m * m
    return (q_nope @ k_nope.T + q_pe @ k_pe.T) * scale


def fixed_logits(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):
    raise NotImplementedError


result = check_fixed_logits(fixed_logits)

# %% [markdown]
# **2. Predict.** A model with Llama 3's rotary shape (head size D = 128, θ = 500000) is trained at
# 8192 tokens. How many of its 64 pairs never complete a turn within the training window (the
# pairs from its critical dimension on)? Work it out from θᵢ = θ^(−2i/D) before you run anything.

# %%
never_turned_llama3 = ...
result = check_never_turned_llama3(never_turned_llama3)

# %% [markdown]
# **3. Predict.** Apply the `llama3` rule with the original implementation's values (factor 8,
# `low_freq_factor` 1, `high_freq_factor` 4, original context 8192) to the same shape. How many of
# the 64 pairs are kept, how many blended, how many divided by 8? Give a tuple
# `(kept, blended, divided)`.

# %%
llama3_split = ...
result = check_llama3_split(llama3_split)

# %% [markdown]
# Solutions: [solutions/09_real_models_and_next.ipynb](solutions/09_real_models_and_next.ipynb) (open it after trying).
