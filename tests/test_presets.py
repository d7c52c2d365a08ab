"""Presets match the released configs (SOURCES.md#deepseek-v3-config, SOURCES.md#kimi-k2-config);
`rotary_from_config` picks like `_init_rope` (SOURCES.md#upstream-init-rope)."""

import pytest
import torch

import rope_course as rc
from rope_course.presets import (
    DEEPSEEK_V3,
    KIMI_K2_INSTRUCT,
    KIMI_K2_INSTRUCT_0905,
    PRESETS,
    rotary_class_for,
    rotary_from_config,
)
from rope_course.yarn import YarnRotaryEmbedding

# The released values, typed in again here (not imported) so a wrong edit of presets.py fails.
TABLE = {
    "DeepSeek-V3": dict(rope_theta=10000, max_position_embeddings=163840, qk_rope_head_dim=64, type="yarn",
                        factor=40, original_max_position_embeddings=4096, beta_fast=32, beta_slow=1, mscale=1.0,
                        mscale_all_dim=1.0),
    "Kimi-K2-Instruct": dict(rope_theta=50000.0, max_position_embeddings=131072, qk_rope_head_dim=64, type="yarn",
                             factor=32.0, original_max_position_embeddings=4096, beta_fast=1.0, beta_slow=1.0,
                             mscale=1.0, mscale_all_dim=1.0),
    "Kimi-K2-Instruct-0905": dict(rope_theta=50000.0, max_position_embeddings=None, qk_rope_head_dim=64, type="yarn",
                                  factor=64.0, original_max_position_embeddings=4096, beta_fast=1.0, beta_slow=1.0,
                                  mscale=1.0, mscale_all_dim=1.0),
}


@pytest.mark.parametrize("name", list(TABLE))
def test_preset_values_match_the_released_configs(name):
    cfg = PRESETS[name].config
    want = TABLE[name]
    for key in ("rope_theta", "max_position_embeddings", "qk_rope_head_dim"):
        assert cfg[key] == want[key], key
    rs = cfg["rope_scaling"]
    assert set(rs) == {"type", "factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "mscale",
                       "mscale_all_dim"}
    for key in rs:
        assert rs[key] == want[key], key


def test_presets_have_sources_and_the_unverified_note():
    for p in PRESETS.values():
        assert p.sources and all(isinstance(v, str) and v for v in p.sources.values())
    assert "not verified" in KIMI_K2_INSTRUCT_0905.notes["max_position_embeddings"]
    assert "262,144" in KIMI_K2_INSTRUCT_0905.notes["max_position_embeddings"]
    assert any("auto_map" in s for s in KIMI_K2_INSTRUCT.sources.values())


def test_max_position_is_factor_times_original():
    for p in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
        rs = p.config["rope_scaling"]
        assert p.config["max_position_embeddings"] == rs["factor"] * rs["original_max_position_embeddings"]


def test_released_configs_select_yarn():
    for p in (DEEPSEEK_V3, KIMI_K2_INSTRUCT):
        mod = rotary_from_config(p.config)
        assert type(mod) is YarnRotaryEmbedding
        rs = p.config["rope_scaling"]
        assert mod.dim == 64 and mod.base == p.config["rope_theta"]
        assert mod.max_position_embeddings == p.config["max_position_embeddings"]
        assert mod.scaling_factor == rs["factor"] and mod.beta_fast == rs["beta_fast"]
        assert mod.mscale_all_dim == rs["mscale_all_dim"] and mod.original_max_position_embeddings == 4096


def test_unverified_max_position_gives_a_clear_error_and_override_works():
    with pytest.raises(ValueError, match="max_position_embeddings"):
        rotary_from_config(KIMI_K2_INSTRUCT_0905.config)
    cfg = KIMI_K2_INSTRUCT_0905.to_config(max_position_embeddings=8192)
    mod = rotary_from_config(cfg)
    assert type(mod) is YarnRotaryEmbedding and mod.scaling_factor == 64.0
    assert KIMI_K2_INSTRUCT_0905.config["max_position_embeddings"] is None  # the preset is untouched


def small(rope_scaling):
    return {"qk_rope_head_dim": 16, "max_position_embeddings": 64, "rope_theta": 10000, "rope_scaling": rope_scaling}


@pytest.mark.parametrize("rope_scaling,cls", [
    (None, rc.RotaryEmbedding),
    ({"type": "linear", "factor": 2.0}, rc.LinearScalingRotaryEmbedding),
    ({"type": "dynamic", "factor": 2.0}, rc.DynamicNTKScalingRotaryEmbedding),
    ({"type": "yarn", "factor": 2.0}, YarnRotaryEmbedding),
])
def test_selection_rules(rope_scaling, cls):
    mod = rotary_from_config(small(rope_scaling))
    assert type(mod) is cls
    assert rotary_class_for(rope_scaling) is cls
    assert (mod.dim, mod.max_position_embeddings, mod.base) == (16, 64, 10000)
    if rope_scaling is not None:
        assert mod.scaling_factor == 2.0


def test_yarn_defaults_when_extra_keys_absent_and_passed_when_present():
    mod = rotary_from_config(small({"type": "yarn", "factor": 2.0}))
    extras = (mod.original_max_position_embeddings, mod.beta_fast, mod.beta_slow, mod.mscale, mod.mscale_all_dim)
    assert extras == (4096, 32, 1, 1, 0)
    mod = rotary_from_config(small({"type": "yarn", "factor": 2.0, "beta_fast": 8,
                                    "original_max_position_embeddings": 32}))
    assert mod.beta_fast == 8 and mod.original_max_position_embeddings == 32 and mod.beta_slow == 1


def test_linear_factor_reaches_the_tables():
    mod = rotary_from_config(small({"type": "linear", "factor": 4.0}))
    cos, _ = mod(torch.zeros(1), seq_len=8)
    assert cos[4, 0].item() == pytest.approx(torch.cos(torch.tensor(1.0)).item())


def test_unknown_type_raises_value_error():
    with pytest.raises(ValueError, match="Unknown RoPE scaling type"):
        rotary_from_config(small({"type": "longrope", "factor": 2.0}))


def test_rope_type_only_raises_key_error_that_explains():
    with pytest.raises(KeyError, match="rope_type"):
        rotary_from_config(small({"rope_type": "yarn", "factor": 2.0}))
    with pytest.raises(KeyError, match="'type'"):
        rotary_from_config(small({"factor": 2.0}))


def test_missing_factor_raises_key_error():
    with pytest.raises(KeyError, match="factor"):
        rotary_from_config(small({"type": "dynamic"}))


def test_attribute_style_config():
    class Cfg:
        qk_rope_head_dim = 16
        max_position_embeddings = 64
        rope_theta = 500.0
        rope_scaling = {"type": "dynamic", "factor": 3.0}

    mod = rotary_from_config(Cfg())
    assert type(mod) is rc.DynamicNTKScalingRotaryEmbedding and mod.base == 500.0


@pytest.mark.parametrize("preset", [DEEPSEEK_V3, KIMI_K2_INSTRUCT])
def test_presets_are_read_only_and_to_config_is_a_fresh_copy(preset):
    with pytest.raises(TypeError):
        preset.config["rope_theta"] = 1
    with pytest.raises(TypeError):
        preset.config["rope_scaling"]["factor"] = 1
    with pytest.raises(TypeError):
        preset.sources["config"] = "x"
    with pytest.raises(AttributeError):
        preset.name = "other"
    with pytest.raises(TypeError):
        PRESETS["mine"] = preset
    copy = preset.to_config()
    copy["rope_scaling"]["factor"] = 2
    copy["rope_theta"] = 1
    assert preset.config["rope_scaling"]["factor"] != 2 and preset.config["rope_theta"] != 1
    assert type(copy) is dict and type(copy["rope_scaling"]) is dict
    assert rotary_from_config(preset.to_config()).scaling_factor == preset.config["rope_scaling"]["factor"]
