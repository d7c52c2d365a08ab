"""The traps in the real DeepSeek-V3 / Kimi-K2 configs, run on the course's presets.

Each function takes a preset (`rope_course.presets`, read-only) and returns what upstream's
code would do with it (SOURCES.md#upstream-init-rope, SOURCES.md#upstream-softmax-scale):

* `switched_to_dynamic`: the config with `rope_scaling["type"] = "dynamic"`, built by
  `rotary_from_config` as `_init_rope` builds it. The dynamic class gets
  L = `max_position_embeddings` (163840 for V3, already 40 x 4096), so it fires only past it;
  `original_max_position_embeddings` (4096) is never read.
* `softmax_scale`: the attention's scale, q_head_dim^-1/2, times
  `yarn_get_mscale(factor, mscale_all_dim)^2` whenever `rope_scaling` has a non-zero
  `mscale_all_dim`, **whatever the type**: about 1.874 at factor 40 under "dynamic" too.
* `init_rope_error`: what `_init_rope` raises for a config, e.g. the `KeyError` of a v5-style
  `{"rope_type": ...}` dict without "type".
* `theta_override_base`: an override that sets `rope_theta` to the static-NTK base
  b s^(D/(D-2)) while `factor` stays s: past L the dynamic class scales the scaled base again.
"""

from __future__ import annotations

from .._validate import check_int
from ..functional import dynamic_ntk_base, ntk_fixed_base
from ..presets import Preset, rotary_from_config
from ..yarn import yarn_get_mscale

__all__ = [
    "DEEPSEEK_Q_HEAD_DIM",
    "switched_to_dynamic",
    "softmax_scale",
    "init_rope_error",
    "ntk_theta",
    "theta_override_base",
]

# qk_nope_head_dim 128 + qk_rope_head_dim 64 in both released configs (SOURCES.md#upstream-attention)
DEEPSEEK_Q_HEAD_DIM = 192


def _check_preset(preset) -> Preset:
    if not isinstance(preset, Preset):
        raise TypeError(f"preset must be a rope_course.presets.Preset, got {type(preset).__name__}")
    return preset


def switched_to_dynamic(preset, **overrides) -> dict:
    """The preset's config with rope_scaling type "dynamic" (every other key kept)."""
    preset = _check_preset(preset)
    config = preset.to_config(**overrides)
    config["rope_scaling"] = {**config["rope_scaling"], "type": "dynamic"}
    return config


def softmax_scale(config, q_head_dim: int = DEEPSEEK_Q_HEAD_DIM) -> float:
    """`DeepseekV3Attention.__init__`'s softmax_scale for a config dict."""
    q_head_dim = check_int("q_head_dim", q_head_dim, 1)
    scale = q_head_dim**-0.5
    rope_scaling = config.get("rope_scaling")
    if rope_scaling is not None:
        mscale_all_dim = rope_scaling.get("mscale_all_dim", 0)
        if mscale_all_dim:
            mscale = yarn_get_mscale(rope_scaling["factor"], mscale_all_dim)
            scale = scale * mscale * mscale
    return scale


def init_rope_error(config):
    """The exception `_init_rope` raises for `config`, or None if it builds a module."""
    try:
        rotary_from_config(config)
    except (KeyError, ValueError) as exc:
        return exc
    return None


def ntk_theta(base, dim, scaling_factor) -> float:
    """The static NTK-aware base b s^(D/(D-2)) that a 'just raise rope_theta' override uses
    (`functional.ntk_fixed_base`, the course's one copy of the formula)."""
    return ntk_fixed_base(base, dim, scaling_factor)


def theta_override_base(preset, seq_len: int) -> dict:
    """Switched to dynamic, with and without an override rope_theta = ntk_theta(b, D, s):
    the base at `seq_len` in each case (the override counts the factor twice)."""
    preset = _check_preset(preset)
    config = switched_to_dynamic(preset)
    dim, length = config["qk_rope_head_dim"], config["max_position_embeddings"]
    base, factor = config["rope_theta"], config["rope_scaling"]["factor"]
    theta = ntk_theta(base, dim, factor)
    plain = dynamic_ntk_base(base, dim, seq_len, length, factor)
    overridden = dynamic_ntk_base(theta, dim, seq_len, length, factor)
    return {"rope_theta": base, "override_theta": theta, "base": plain, "base_with_override": overridden,
            "ratio": overridden / plain}
