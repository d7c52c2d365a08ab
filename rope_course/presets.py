"""The released configs of DeepSeek-V3 and Kimi-K2 (the rotary fields), and `_init_rope`'s choice.

Values and where they come from: SOURCES.md#deepseek-v3-config, SOURCES.md#kimi-k2-config and
SOURCES.md#kimi-k2-0905-config (each preset also names its sources). Only the fields the rotary
embedding reads are kept. A value that could not be verified is `None`, with a note saying why.

`rotary_from_config(config)` reproduces how `DeepseekV3Attention._init_rope` picks and builds
the rotary class (SOURCES.md#upstream-init-rope):

* no `rope_scaling` -> `RotaryEmbedding`;
* `rope_scaling["type"]`: "linear" -> `LinearScalingRotaryEmbedding`, "dynamic" ->
  `DynamicNTKScalingRotaryEmbedding`, "yarn" -> `YarnRotaryEmbedding` (which also receives
  original_max_position_embeddings, beta_fast, beta_slow, mscale, mscale_all_dim when present);
  anything else -> `ValueError("Unknown RoPE scaling type ...")`;
* a dict without "type" (e.g. only the newer "rope_type" key) -> `KeyError`, as upstream, with a
  message that explains it;
* every class gets dim = qk_rope_head_dim, max_position_embeddings and base = rope_theta.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .rotary import DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding, RotaryEmbedding
from .yarn import YarnRotaryEmbedding

__all__ = [
    "Preset",
    "DEEPSEEK_V3",
    "KIMI_K2_INSTRUCT",
    "KIMI_K2_INSTRUCT_0905",
    "PRESETS",
    "YARN_EXTRA_KEYS",
    "rotary_class_for",
    "rotary_from_config",
]

YARN_EXTRA_KEYS = ("original_max_position_embeddings", "beta_fast", "beta_slow", "mscale", "mscale_all_dim")


def _frozen(value):
    """A read-only view of nested dicts (a notebook cell cannot corrupt a preset for later cells)."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    return value


def _thawed(value):
    if isinstance(value, Mapping):
        return {key: _thawed(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Preset:
    """One released model: the config fields the rotary embedding reads, and where they come from.

    Immutable: the dataclass is frozen and every mapping in it is read-only. `to_config()` gives
    a fresh mutable copy to experiment with.
    """

    name: str
    config: Mapping[str, Any]
    sources: Mapping[str, str]
    notes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("config", "sources", "notes"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def to_config(self, **overrides) -> dict:
        """A fresh, mutable copy of the config (nested dicts copied too), with top-level overrides."""
        out = _thawed(self.config)
        out.update(overrides)
        return out


DEEPSEEK_V3 = Preset(
    name="DeepSeek-V3",
    config={
        "rope_theta": 10000,
        "max_position_embeddings": 163840,
        "qk_rope_head_dim": 64,
        "rope_scaling": {
            "type": "yarn",
            "factor": 40,
            "original_max_position_embeddings": 4096,
            "beta_fast": 32,
            "beta_slow": 1,
            "mscale": 1.0,
            "mscale_all_dim": 1.0,
        },
    },
    sources={
        "config": "verbatim third-party dump of deepseek-ai/DeepSeek-V3/config.json "
                  "(auto_map -> modeling_deepseek, num_attention_heads 128, kv_lora_rank 512)",
        "rope_scaling": "exllamav3 test file labelling {yarn, factor 40, mscale 1.0, mscale_all_dim 1.0, "
                        "beta 32/1, orig 4096} as DeepSeek-V3's release config",
        "reference_code": "deepseek-ai/DeepSeek-V3 inference/model.py defaults: original_seq_len=4096, "
                          "rope_theta=10000, rope_factor=40, beta_fast=32, beta_slow=1, mscale=1.0",
        "context": "deepseek-ai/DeepSeek-V3 README: 128K context; 163840 = 40 x 4096",
    },
)

def _kimi_k2_rope_scaling(factor: float) -> dict:
    """Kimi-K2's rope_scaling block: the Instruct releases differ only in the factor."""
    return {
        "type": "yarn",
        "factor": factor,
        "original_max_position_embeddings": 4096,
        "beta_fast": 1.0,
        "beta_slow": 1.0,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
    }


KIMI_K2_INSTRUCT = Preset(
    name="Kimi-K2-Instruct",
    config={
        "rope_theta": 50000.0,
        "max_position_embeddings": 131072,
        "qk_rope_head_dim": 64,
        "rope_scaling": _kimi_k2_rope_scaling(factor=32.0),
    },
    sources={
        "config": "verbatim dump of moonshotai/Kimi-K2-Instruct/config.json (model_type kimi_k2, "
                  "architectures DeepseekV3ForCausalLM, auto_map -> configuration_deepseek/modeling_deepseek)",
        "corroboration": "independent re-statements of the same values",
        "context": "Kimi-K2 model card (copy in evalstate/miscellany): Context Length 128K; 131072 = 32 x 4096",
    },
)

KIMI_K2_INSTRUCT_0905 = Preset(
    name="Kimi-K2-Instruct-0905",
    config={
        "rope_theta": 50000.0,
        "max_position_embeddings": None,
        "qk_rope_head_dim": 64,
        "rope_scaling": _kimi_k2_rope_scaling(factor=64.0),
    },
    sources={
        "rope_scaling": "ParagEkbote/hf-model-inspector model_inspection_report.md: factor 64, beta 1/1, theta 50000",
        "context": "Helicone/helicone packages/cost/models/authors/moonshotai/kimi-k2/models.ts: "
                   "'Kimi K2 Instruct (09/05/2025)', contextLength 262,144",
    },
    notes={
        "max_position_embeddings": "not verified: no copy of the config.json value was found; the context "
                                   "length 262,144 (= 64 x 4096) comes from Helicone's model list",
    },
)

PRESETS = MappingProxyType({p.name: p for p in (DEEPSEEK_V3, KIMI_K2_INSTRUCT, KIMI_K2_INSTRUCT_0905)})


def _read(config, key):
    """Read a field from a dict or an attribute-style config (e.g. a transformers PretrainedConfig)."""
    if isinstance(config, Mapping):
        return config.get(key)
    return getattr(config, key, None)


def rotary_class_for(rope_scaling) -> type[RotaryEmbedding]:
    """The class `_init_rope` picks for a `rope_scaling` value (None or a dict with "type")."""
    if rope_scaling is None:
        return RotaryEmbedding
    if not isinstance(rope_scaling, Mapping):
        raise TypeError(f"rope_scaling must be None or a dict, got {type(rope_scaling).__name__}")
    if "type" not in rope_scaling:
        extra = (
            f" It has 'rope_type'={rope_scaling['rope_type']!r}, the key newer transformers configs use;"
            " this remote code predates it." if "rope_type" in rope_scaling else ""
        )
        raise KeyError(
            "rope_scaling has no 'type' key: DeepSeek's _init_rope reads rope_scaling['type'] and "
            f"raises KeyError here.{extra}"
        )
    scaling_type = rope_scaling["type"]
    classes = {
        "linear": LinearScalingRotaryEmbedding,
        "dynamic": DynamicNTKScalingRotaryEmbedding,
        "yarn": YarnRotaryEmbedding,
    }
    if scaling_type not in classes:
        raise ValueError(
            f"Unknown RoPE scaling type {scaling_type!r} (DeepSeek's _init_rope accepts 'linear', 'dynamic', 'yarn')")
    return classes[scaling_type]


def rotary_from_config(config, device=None) -> RotaryEmbedding:
    """Build the rotary module exactly as `DeepseekV3Attention._init_rope` would for `config`."""
    dim = _read(config, "qk_rope_head_dim")
    max_position_embeddings = _read(config, "max_position_embeddings")
    base = _read(config, "rope_theta")
    required = {"qk_rope_head_dim": dim, "max_position_embeddings": max_position_embeddings, "rope_theta": base}
    for key, value in required.items():
        if value is None:
            raise ValueError(
                f"config.{key} is missing or None; _init_rope needs it (for a preset whose value is "
                f"not verified, pass a copy with an explicit value, e.g. preset.to_config({key}=...))"
            )
    rope_scaling = _read(config, "rope_scaling")
    cls = rotary_class_for(rope_scaling)
    if cls is RotaryEmbedding:
        return RotaryEmbedding(dim, max_position_embeddings=max_position_embeddings, base=base, device=device)
    if "factor" not in rope_scaling:
        raise KeyError(
            "rope_scaling has no 'factor' key: DeepSeek's _init_rope reads rope_scaling['factor'] "
            "for every scaling type")
    factor = rope_scaling["factor"]
    if cls is YarnRotaryEmbedding:
        extra = {key: rope_scaling[key] for key in YARN_EXTRA_KEYS if key in rope_scaling}
        return YarnRotaryEmbedding(dim, max_position_embeddings=max_position_embeddings, scaling_factor=factor,
                                   base=base, device=device, **extra)
    return cls(dim, max_position_embeddings=max_position_embeddings, scaling_factor=factor, base=base, device=device)
