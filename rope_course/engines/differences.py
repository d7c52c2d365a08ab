"""Every known difference between the engines, as one table of named, measured cases.

One setting for all rows (`SETTING`): D = 64, b = 10^4, L = 4096, s = 2; the vLLM engine after
its fix serves M = 16384 tokens with a trained length of 4096. The engines (`ENGINES`):

* "DeepSeek": the remote code's class (`rope_course.DynamicNTKScalingRotaryEmbedding`, driven
  the way `DeepseekV3Attention` drives it: one `seq_len = kv_seq_len` per batch);
* "HF": transformers' growth-and-reset rule, added by SOURCES.md#hf-32135 (earlier releases had
  no reset) and moved under the decorator of SOURCES.md#hf-37249, as in 5.13 on:
  `hf_rule.HFDynamicRope` (checked on 4.52.4, 4.57.6, 5.13.0 and 5.24.0);
* "HF 5.0-5.12": the same with the lost reset (SOURCES.md#hf-46624);
* "vLLM <#41277" and "vLLM >=#41277": `vllm.VLLMDynamicNTK` before and after the fix.

Each case is an `EngineDifference`: a name, the scenario, what is measured (`unit`), a
`measure()` that returns {engine: value} (None where the case does not apply), and the claim,
`holds(values)`, that the tests and the lesson assert. Only the course's models are run here (no
`transformers` import): the parity tests tie `hf_rule` to the installed module bit for bit, and
tests/test_engines.py checks every cell of the "HF" column on the installed module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..calls import CountingDynamicNTK, simulate_calls
from ..functional import dynamic_ntk_base, inv_freq_for_base
from ..presets import DEEPSEEK_V3
from .batching import deepseek_kv_seq_len, hf_batch_seq_len, left_padded_batch
from .hf_rule import HFDynamicRope, hf_grown_inv_freq
from .traps import init_rope_error, softmax_scale, switched_to_dynamic
from .vllm import VLLMDynamicNTK

__all__ = ["SETTING", "ENGINES", "EngineDifference", "ENGINE_DIFFERENCES", "measured_table", "format_table",
           "hf_position_id_scenarios"]

SETTING = {"dim": 64, "base": 10000.0, "max_position_embeddings": 4096, "scaling_factor": 2.0,
           "vllm_served_len": 16384}
ENGINES = ("DeepSeek", "HF", "HF 5.0-5.12", "vLLM <#41277", "vLLM >=#41277")


@dataclass(frozen=True)
class EngineDifference:
    name: str
    scenario: str
    unit: str
    measure: Callable[[], dict]
    holds: Callable[[dict], bool]
    claim: str
    sources: tuple[str, ...] = ()


def _args():
    s = SETTING
    return s["dim"], s["max_position_embeddings"], s["base"], s["scaling_factor"]


def _deepseek_base(calls):
    dim, length, base, s = _args()
    return simulate_calls(calls, length, s, base, dim)[-1].base_in_force


def _hf_base(calls, lost_reset=False):
    rope = HFDynamicRope(*_args(), lost_reset=lost_reset)
    for n in calls:
        rope.update(n)
    return rope.base_in_force


def _vllm(fixed: bool, served=None):
    dim, length, base, s = _args()
    if fixed:
        return VLLMDynamicNTK(dim, served or SETTING["vllm_served_len"], base, s, max_trained_positions=length)
    return VLLMDynamicNTK(dim, length, base, s)


def _bases_for_calls(calls):
    return {
        "DeepSeek": _deepseek_base(calls),
        "HF": _hf_base(calls),
        "HF 5.0-5.12": _hf_base(calls, lost_reset=True),
        "vLLM <#41277": _vllm(False).base_for(calls[-1]),
        "vLLM >=#41277": _vllm(True).base_for(calls[-1]),
    }


def _fresh_base(n):
    dim, length, base, s = _args()
    return dynamic_ntk_base(base, dim, n, length, s)


def _batch_neighbour():
    lengths = [500, 6000]
    position_ids, _ = left_padded_batch(lengths)
    out = {key: value for key, value in _bases_for_calls([6000]).items()}
    out["DeepSeek"] = _fresh_base(deepseek_kv_seq_len(lengths))
    out["HF"] = out["HF 5.0-5.12"] = _fresh_base(hf_batch_seq_len(position_ids))
    return out


def _padded_to_width():
    lengths, width = [3000, 4000], 4608  # padded to a multiple of 512
    mask_ids, _ = left_padded_batch(lengths, width=width)
    return {
        "DeepSeek": _fresh_base(deepseek_kv_seq_len(lengths, width=width)),
        "HF": _fresh_base(hf_batch_seq_len(mask_ids)),
        "HF 5.0-5.12": _fresh_base(hf_batch_seq_len(mask_ids)),
        "vLLM <#41277": _vllm(False).base,
        "vLLM >=#41277": _vllm(True).base,
    }


def _rows_per_decode_step():
    dim, length, base, s = _args()
    rope = CountingDynamicNTK(dim, length, base=base, scaling_factor=s)
    x = torch.zeros(1)
    rope(x, seq_len=8192)
    rope(x, seq_len=8193)  # one decode step: kv_seq_len = past + 1
    return {"DeepSeek": rope.rebuilds[-1], "HF": 1, "HF 5.0-5.12": 1, "vLLM <#41277": 0, "vLLM >=#41277": 0}


def _distinct_bases_in_decode():
    calls = [8192 + k for k in range(9)]  # prefill 8192, then 8 decode steps
    dim, length, base, s = _args()
    deepseek = {r.base_in_force for r in simulate_calls(calls, length, s, base, dim)}
    out = {"DeepSeek": len(deepseek)}
    for name, lost in (("HF", False), ("HF 5.0-5.12", True)):
        rope = HFDynamicRope(*_args(), lost_reset=lost)
        seen = set()
        for n in calls:
            rope.update(n)
            seen.add(rope.base_in_force)
        out[name] = len(seen)
    out["vLLM <#41277"] = len({_vllm(False).base_for(n) for n in calls})
    out["vLLM >=#41277"] = len({_vllm(True).base_for(n) for n in calls})
    return out


FLOAT32_LENGTHS = range(4097, 40961, 61)  # 605 lengths in (L, 10L]


def _float32_base():
    dim, length, base, s = _args()
    worst = 0.0
    for n in FLOAT32_LENGTHS:
        deepseek = inv_freq_for_base(dynamic_ntk_base(base, dim, n, length, s), dim).double()
        hf = hf_grown_inv_freq(base, dim, n, length, s).double()
        worst = max(worst, ((hf - deepseek).abs() / deepseek).max().item())
    return {"DeepSeek": 0.0, "HF": worst, "HF 5.0-5.12": worst, "vLLM <#41277": None, "vLLM >=#41277": None}


def _served_below_trained():
    dim, length, base, s = _args()
    return {"DeepSeek": _fresh_base(3072), "HF": _fresh_base(3072), "HF 5.0-5.12": _fresh_base(3072),
            "vLLM <#41277": None, "vLLM >=#41277": _vllm(True, served=3072).base}


def _v3_dynamic_first_length():
    config = switched_to_dynamic(DEEPSEEK_V3)
    module_length = config["max_position_embeddings"]
    return {"DeepSeek": module_length + 1, "HF": module_length + 1, "HF 5.0-5.12": module_length + 1,
            "vLLM <#41277": None, "vLLM >=#41277": None}


def _v3_dynamic_softmax_factor():
    config = switched_to_dynamic(DEEPSEEK_V3)
    factor = softmax_scale(config) / softmax_scale({"rope_scaling": None})
    return {"DeepSeek": factor, "HF": factor, "HF 5.0-5.12": factor, "vLLM <#41277": None, "vLLM >=#41277": None}


def _rope_type_key():
    config = DEEPSEEK_V3.to_config(rope_scaling={"rope_type": "dynamic", "factor": 40})
    error = init_rope_error(config)
    return {"DeepSeek": type(error).__name__ if error else "builds", "HF": "builds", "HF 5.0-5.12": "builds",
            "vLLM <#41277": None, "vLLM >=#41277": None}


def _differs(values, a, b):
    return values[a] != values[b]


ENGINE_DIFFERENCES: tuple[EngineDifference, ...] = (
    EngineDifference(
        "short-after-long", "a 1000-token call after an 8192-token call", "base",
        lambda: _bases_for_calls([8192, 1000]),
        lambda v: v["DeepSeek"] == v["HF 5.0-5.12"] == _fresh_base(8192) and v["HF"] == SETTING["base"],
        "DeepSeek never resets; HF resets below L; 5.0-5.12 lost the reset", ("hf-25306", "hf-46624"),
    ),
    EngineDifference(
        "gap-above-L", "a 6000-token call after an 8192-token call", "base",
        lambda: _bases_for_calls([8192, 6000]),
        lambda v: v["DeepSeek"] == v["HF"] == _fresh_base(8192) and v["HF 5.0-5.12"] == _fresh_base(6000),
        "in (L, longest seen] DeepSeek and HF keep the longest call's base; 5.0-5.12 regrew every call",
        ("hf-32135",),
    ),
    EngineDifference(
        "exactly-L", "a 4096-token call (= L) after an 8192-token call", "base",
        lambda: _bases_for_calls([8192, 4096]),
        lambda v: v["HF"] == _fresh_base(8192) and _hf_base([8192, 4095]) == SETTING["base"],
        "HF's reset is strict (l < L): at exactly L it keeps the long base", ("hf-32135",),
    ),
    EngineDifference(
        "fresh-short", "a 1000-token call on a fresh engine", "base",
        lambda: _bases_for_calls([1000]),
        lambda v: v["DeepSeek"] == v["HF"] == SETTING["base"] and v["vLLM <#41277"] > SETTING["base"]
        and v["vLLM >=#41277"] > v["vLLM <#41277"],
        "vLLM scales every request, even short ones: b(s^2-s+1)^(D/(D-2)) before the fix, the served "
        "length's base after it", ("vllm-41236", "vllm-41277"),
    ),
    EngineDifference(
        "served-below-trained", "vLLM serving M = 3072 < trained 4096; others: a 3072-token call", "base",
        _served_below_trained,
        lambda v: v["vLLM >=#41277"] < SETTING["base"] == v["DeepSeek"],
        "vLLM's fixed formula shrinks the base below b when served below the trained length (and its "
        "bracket is <= 0 at M <= L_t (s-1)/s)", ("vllm-52675",),
    ),
    EngineDifference(
        "batch-neighbour", "a 500-token prompt batched with a 6000-token prompt", "base",
        _batch_neighbour,
        lambda v: v["DeepSeek"] == v["HF"] == _fresh_base(6000) != _fresh_base(500),
        "one length per batch: the short prompt gets the long one's base (per-request fix: its own)",
        ("qwen-401", "lightllm-276"),
    ),
    EngineDifference(
        "padded-to-width", "prompts of 3000 and 4000 tokens left-padded to 4608", "base",
        _padded_to_width,
        lambda v: v["DeepSeek"] == _fresh_base(4608) and v["HF"] == SETTING["base"],
        "DeepSeek's kv_seq_len counts padding; HF's mask-derived position ids do not",
        ("upstream-attention",),
    ),
    EngineDifference(
        "decode-step-rows", "one decode step at kv length 8193", "cos/sin rows computed",
        _rows_per_decode_step,
        lambda v: v["DeepSeek"] == 8193 and v["HF"] == 1,
        "DeepSeek rebuilds the whole table each step; HF computes the new rows only; vLLM looks rows up",
        ("upstream-forward",),
    ),
    EngineDifference(
        "decode-base-drift", "prefill 8192 then 8 decode steps", "distinct bases",
        _distinct_bases_in_decode,
        lambda v: v["DeepSeek"] == v["HF"] == 9 and v["vLLM <#41277"] == 1,
        "past L the base changes every step while cached keys keep theirs (post-RoPE caching); vLLM's "
        "is constant", ("hf-25104",),
    ),
    EngineDifference(
        "float32-base", "inv_freq for calls of 4097..40960 tokens vs DeepSeek's", "max relative diff",
        _float32_base,
        lambda v: 0 < v["HF"] < 1e-6,
        "HF computes the grown base from a tensor length, in float32; DeepSeek in Python floats",
        ("hf-32135",),
    ),
    EngineDifference(
        "v3-dynamic-trigger", "DeepSeek-V3's config switched to 'dynamic'", "first length that rescales",
        _v3_dynamic_first_length,
        lambda v: v["DeepSeek"] == 163841,
        "L is max_position_embeddings (163840 = 40 x 4096), not original_max_position_embeddings",
        ("upstream-init-rope",),
    ),
    EngineDifference(
        "v3-dynamic-mscale", "DeepSeek-V3's config switched to 'dynamic'", "softmax scale factor",
        _v3_dynamic_softmax_factor,
        lambda v: round(v["DeepSeek"], 3) == 1.874,
        "mscale_all_dim multiplies the softmax scale by mscale^2 whatever the type", ("upstream-softmax-scale",),
    ),
    EngineDifference(
        "rope-type-key", "rope_scaling = {'rope_type': 'dynamic', 'factor': 40}", "outcome",
        _rope_type_key,
        lambda v: v["DeepSeek"] == "KeyError" and v["HF"] == "builds",
        "the remote code reads rope_scaling['type']; transformers accepts 'rope_type'",
        ("upstream-init-rope",),
    ),
)


def hf_position_id_scenarios() -> dict[str, list[torch.Tensor]]:
    """The rows whose "HF" cell follows from the position ids HF's module gets, as those ids:
    {name: [position_ids of each forward]} (for running the installed module on the same cases)."""
    def prefill(n):
        return torch.arange(n)[None]

    decode = [prefill(8192)] + [torch.tensor([[8191 + k]]) for k in range(1, 9)]  # as in decode-base-drift
    return {
        "short-after-long": [prefill(8192), prefill(1000)],
        "gap-above-L": [prefill(8192), prefill(6000)],
        "exactly-L": [prefill(8192), prefill(4096)],
        "fresh-short": [prefill(1000)],
        "batch-neighbour": [left_padded_batch([500, 6000])[0]],
        "padded-to-width": [left_padded_batch([3000, 4000], width=4608)[0]],
        "decode-step-rows": decode[:2],
        "decode-base-drift": decode,
    }


def measured_table() -> list[dict]:
    """Each case measured now: {name, scenario, unit, claim, holds, values}."""
    rows = []
    for case in ENGINE_DIFFERENCES:
        values = case.measure()
        rows.append({"name": case.name, "scenario": case.scenario, "unit": case.unit, "claim": case.claim,
                     "values": values, "holds": bool(case.holds(values))})
    return rows


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if abs(value) < 1e-3 and value != 0:
        return f"{value:.1e}"
    return f"{value:.4g}" if abs(value) < 100 else f"{value:,.0f}"


def format_table(rows=None) -> str:
    """The table as fixed-width text: one line per case, one column per engine."""
    rows = measured_table() if rows is None else rows
    head = f"{'case':<22}{'measured':<22}" + "".join(f"{e:>15}" for e in ENGINES)
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(f"{row['name']:<22}{row['unit']:<22}" + "".join(f"{_cell(row['values'][e]):>15}" for e in ENGINES))
    return "\n".join(lines)
