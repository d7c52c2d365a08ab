"""The engine models (rope_course.engines): HF's rule, vLLM's formulas, batching, config traps and
the table of differences. Expected values are computed here independently (closed forms,
plain loops), never by calling the function under test."""

import math

import pytest
import torch

import rope_course as rc
from rope_course.engines import batching, traps
from rope_course.engines.differences import (
    ENGINE_DIFFERENCES,
    ENGINES,
    SETTING,
    format_table,
    hf_position_id_scenarios,
    measured_table,
)
from rope_course.engines.hf import InstalledHFRotary
from rope_course.engines.hf_rule import HFDynamicRope, hf_grown_inv_freq
from rope_course.engines.vllm import VLLMDynamicNTK, vllm_base_after_fix, vllm_base_before_fix, vllm_bracket_after_fix
from rope_course.presets import DEEPSEEK_V3, KIMI_K2_INSTRUCT


def closed_form_base(b, dim, l, L, s):
    return b * (1 + s * (l / L - 1)) ** (dim / (dim - 2)) if l > L else b


# ---- HF's rule, and the regression PR #46624 fixed ------------------------------------------

def reset_after_long_call(rope) -> bool:
    """The test that would have caught the 5.0-5.12 regression: after a call past L, a call
    shorter than L must get the original frequencies back."""
    rope.forward(torch.arange(40)[None])
    rope.forward(torch.arange(5)[None])
    return bool(torch.equal(rope.inv_freq, rope.original_inv_freq)) and int(rope.max_seq_len_cached) == 16


def test_installed_transformers_resets_below_L():
    assert reset_after_long_call(InstalledHFRotary(8, 16, 10000.0, 2.0))


def test_the_reset_test_catches_the_lost_reset():
    assert reset_after_long_call(HFDynamicRope(8, 16, 10000.0, 2.0))
    assert not reset_after_long_call(HFDynamicRope(8, 16, 10000.0, 2.0, lost_reset=True))


def test_lost_reset_regrows_every_long_call_and_never_resets():
    rope = HFDynamicRope(64, 2048, 10000, 2.0, lost_reset=True)
    for l, expected in [(3000, 3000), (2500, 2500), (1000, 2500), (2048, 2500), (4000, 4000)]:
        rope.update(l)
        assert rope.max_seq_len_cached == 2048
        assert rope.base_in_force == closed_form_base(10000, 64, expected, 2048, 2.0)


def test_grown_inv_freq_is_float32_arithmetic():
    l = 27435
    ours = hf_grown_inv_freq(10000, 64, l, 4096, 2.0)
    base32 = torch.tensor(10000.0) * (torch.tensor(2.0) * l / 4096 - 1.0) ** (64 / 62)
    assert base32.dtype == torch.float32
    assert torch.equal(ours, 1.0 / base32 ** (torch.arange(0, 64, 2).float() / 64))
    assert not torch.equal(ours, rc.inv_freq_for_base(closed_form_base(10000, 64, l, 4096, 2.0), 64))


def test_forward_uses_the_batch_maximum():
    rope = HFDynamicRope(16, 64, 10000, 2.0)
    cos, _ = rope.forward(torch.tensor([[0, 1, 2], [100, 101, 102]]))
    assert cos.shape == (2, 3, 16) and rope.max_seq_len_cached == 103


BAD_POSITION_IDS = [(torch.tensor([[0.0, 1.0]]), TypeError), ([0, 1], TypeError),
                    (torch.tensor([[-1, 0]]), ValueError), (torch.zeros(0, dtype=torch.long), ValueError)]


@pytest.mark.parametrize("bad,error", BAD_POSITION_IDS)
def test_bad_position_ids_change_nothing(bad, error):
    rope = HFDynamicRope(16, 64, 10000, 2.0)
    rope.forward(torch.arange(100)[None])
    with pytest.raises(error, match="position_ids"):
        rope.forward(bad)
    assert rope.max_seq_len_cached == 100


# ---- vLLM ------------------------------------------------------------------------------------

@pytest.mark.parametrize("s", [1.0, 1.5, 2.0, 4.0, 8.0, 40.0])
@pytest.mark.parametrize("dim", [8, 64, 128])
def test_vllm_before_fix_is_the_constant(s, dim):
    expected = 10000 * (s * s - s + 1) ** (dim / (dim - 2))
    assert math.isclose(vllm_base_before_fix(10000, dim, 4096, s), expected, rel_tol=1e-12)
    engine = VLLMDynamicNTK(dim, 4096, 10000, s)
    assert {engine.base_for(n) for n in (1, 100, 4096, 10**5)} == {engine.base}
    assert engine.cache_len == math.ceil(4096 * s)
    # the constant is DeepSeek's dynamic base at l = L * s, used for every request
    assert math.isclose(engine.base, closed_form_base(10000, dim, 4096 * s, 4096, s), rel_tol=1e-12) or s == 1.0


@pytest.mark.parametrize("served", [4096, 8192, 16384, 131072])
def test_vllm_after_fix_uses_the_served_length(served):
    s = 2.0
    expected = 10000 * (s * served / 4096 - (s - 1)) ** (64 / 62)
    engine = VLLMDynamicNTK(64, served, 10000, s, max_trained_positions=4096)
    assert math.isclose(engine.base, expected, rel_tol=1e-12) and engine.cache_len == served
    assert vllm_base_after_fix(10000, 64, 8192, 4096, s) == vllm_base_before_fix(10000, 64, 4096, s)


def test_vllm_after_fix_below_the_trained_length():
    assert vllm_base_after_fix(10000, 64, 3072, 4096, 2.0) < 10000
    with pytest.raises(ValueError, match="bracket"):
        VLLMDynamicNTK(64, 2048, 10000, 2.0, max_trained_positions=4096)


@pytest.mark.parametrize("s", [1.25, 2.0, 4.0, 16.0])
def test_vllm_after_fix_bracket_is_non_positive_exactly_at_served_le_trained_s_minus_1_over_s(s):
    trained = 4096
    zero = trained * (s - 1) / s  # a = s M / L_t - (s - 1) = 0
    for served in range(max(1, math.floor(zero) - 3), math.ceil(zero) + 4):
        bracket = vllm_bracket_after_fix(served, trained, s)
        assert (bracket <= 0) == (served <= zero), served
        if bracket <= 0:
            with pytest.raises(ValueError, match="bracket"):
                vllm_base_after_fix(10000, 64, served, trained, s)
        else:
            assert 0 < vllm_base_after_fix(10000, 64, served, trained, s) < 10000
    assert vllm_base_after_fix(10000, 64, trained, trained, s) == 10000  # served = trained: a = 1


def test_vllm_rows_and_cache_bound():
    engine = VLLMDynamicNTK(8, 16, 10000, 2.0)
    cos, sin = engine.cos_sin(torch.arange(32)[None])
    freqs = torch.outer(torch.arange(32).float(), rc.inv_freq_for_base(engine.base, 8))
    assert torch.equal(cos[0], torch.cat((freqs, freqs), -1).cos())
    with pytest.raises(IndexError, match="cache"):
        engine.cos_sin(torch.tensor([[32]]))


# ---- batching --------------------------------------------------------------------------------

def test_left_padded_positions():
    ids, mask = batching.left_padded_batch([2, 4])
    assert ids.tolist() == [[0, 0, 0, 1], [0, 1, 2, 3]] and mask.tolist() == [[0, 0, 1, 1], [1, 1, 1, 1]]
    ids, _ = batching.left_padded_batch([2, 4], mask_positions=False)
    assert ids.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]]
    ids, _ = batching.left_padded_batch([3], width=6)
    assert ids.tolist() == [[0, 0, 0, 0, 1, 2]]
    with pytest.raises(ValueError, match="width"):
        batching.left_padded_batch([5], width=4)
    with pytest.raises(ValueError, match="lengths"):
        batching.left_padded_batch([])


@pytest.mark.parametrize("lengths,width", [([1], None), ([3, 1, 7], None), ([500, 6000], None),
                                          ([3000, 4000], 4608), ([5], 9)])
def test_left_padded_positions_are_hf_generations_cumsum(lengths, width):
    ids, mask = batching.left_padded_batch(lengths, width=width)
    w = width or max(lengths)
    expected_mask = torch.tensor([[0] * (w - n) + [1] * n for n in lengths])
    assert torch.equal(mask, expected_mask)
    assert torch.equal(ids, (expected_mask.cumsum(-1) - 1).masked_fill(expected_mask == 0, 0))


def test_kv_seq_len_counts_padding_and_past():
    assert batching.deepseek_kv_seq_len([3000, 4000], width=4608) == 4608
    assert batching.deepseek_kv_seq_len([10, 20], past=100) == 120
    ids, _ = batching.left_padded_batch([3000, 4000], width=4608)
    assert batching.hf_batch_seq_len(ids) == 4000


@pytest.mark.parametrize("prompt,neighbour", [(500, 6000), (1000, 9000), (4096, 5000)])
def test_batch_effect_changes_the_short_prompt(prompt, neighbour):
    r = batching.batch_effect(prompt, neighbour)
    assert r.base_alone == closed_form_base(10000, 64, prompt, 4096, 2.0)
    assert r.base_deepseek_batched == r.base_hf_batched == closed_form_base(10000, 64, neighbour, 4096, 2.0)
    assert r.cos_diff_deepseek > 0.1 and r.attention_change_deepseek > 0.01
    assert r.cos_diff_fix == 0.0 and r.attention_change_fix == 0.0


def test_batch_effect_vanishes_when_both_fit():
    r = batching.batch_effect(500, 4096)
    assert r.cos_diff_deepseek == r.attention_change_deepseek == r.attention_change_hf == 0.0


# ---- config traps on the presets ------------------------------------------------------------

@pytest.mark.parametrize("preset,first", [(DEEPSEEK_V3, 163841), (KIMI_K2_INSTRUCT, 131073)])
def test_switched_to_dynamic_fires_past_max_position_embeddings(preset, first):
    module = rc.rotary_from_config(traps.switched_to_dynamic(preset))
    assert type(module) is rc.DynamicNTKScalingRotaryEmbedding and module.max_position_embeddings == first - 1
    original = module.inv_freq.clone()
    module(torch.zeros(1), seq_len=4097)  # past the 4096 pre-training length: nothing happens
    assert torch.equal(module.inv_freq, original)
    module(torch.zeros(1), seq_len=first - 1)  # = max_position_embeddings: still nothing (strict >)
    assert torch.equal(module.inv_freq, original)
    module(torch.zeros(1), seq_len=first)
    assert not torch.equal(module.inv_freq, original)


@pytest.mark.parametrize("kind", ["yarn", "dynamic", "linear"])
def test_mscale_applies_whatever_the_type(kind):
    config = DEEPSEEK_V3.to_config()
    config["rope_scaling"] = {**config["rope_scaling"], "type": kind}
    assert math.isclose(traps.softmax_scale(config) * math.sqrt(192), (1 + 0.1 * math.log(40)) ** 2, rel_tol=1e-12)
    k2 = KIMI_K2_INSTRUCT.to_config()
    assert math.isclose(traps.softmax_scale(k2) * math.sqrt(192), (1 + 0.1 * math.log(32)) ** 2, rel_tol=1e-12)
    assert traps.softmax_scale({"rope_scaling": None}) == 192**-0.5


def test_rope_type_key_raises_key_error():
    error = traps.init_rope_error(DEEPSEEK_V3.to_config(rope_scaling={"rope_type": "dynamic", "factor": 40}))
    assert isinstance(error, KeyError) and "rope_type" in str(error)
    assert traps.init_rope_error(traps.switched_to_dynamic(DEEPSEEK_V3)) is None


def test_theta_override_counts_the_factor_twice():
    r = traps.theta_override_base(KIMI_K2_INSTRUCT, 2 * 131072)
    assert math.isclose(r["override_theta"], 50000 * 32 ** (64 / 62))
    assert math.isclose(r["ratio"], 32 ** (64 / 62), rel_tol=1e-12)
    assert math.isclose(r["base"], closed_form_base(50000, 64, 2 * 131072, 131072, 32.0), rel_tol=1e-12)


def test_presets_are_untouched():
    before = DEEPSEEK_V3.to_config()
    traps.switched_to_dynamic(DEEPSEEK_V3)
    assert DEEPSEEK_V3.to_config() == before and before["rope_scaling"]["type"] == "yarn"


# ---- the table --------------------------------------------------------------------------------

def test_every_case_holds_and_names_are_unique():
    rows = measured_table()
    assert [r["name"] for r in rows] == [c.name for c in ENGINE_DIFFERENCES]
    assert len({r["name"] for r in rows}) == len(rows)
    assert [r["name"] for r in rows if not r["holds"]] == []
    assert all(set(r["values"]) == set(ENGINES) for r in rows)


def test_table_numbers_against_closed_forms():
    values = {r["name"]: r["values"] for r in measured_table()}
    b, dim, L, s = SETTING["base"], SETTING["dim"], SETTING["max_position_embeddings"], SETTING["scaling_factor"]
    b8192 = closed_form_base(b, dim, 8192, L, s)
    assert values["short-after-long"]["DeepSeek"] == pytest.approx(b8192, rel=1e-12)
    assert values["short-after-long"]["HF"] == b
    assert values["gap-above-L"]["HF 5.0-5.12"] == pytest.approx(closed_form_base(b, dim, 6000, L, s), rel=1e-12)
    assert values["fresh-short"]["vLLM <#41277"] == pytest.approx(b * 3 ** (64 / 62), rel=1e-12)
    assert values["fresh-short"]["vLLM >=#41277"] == pytest.approx(b * 7 ** (64 / 62), rel=1e-12)
    assert values["padded-to-width"]["DeepSeek"] == pytest.approx(closed_form_base(b, dim, 4608, L, s), rel=1e-12)
    assert values["v3-dynamic-mscale"]["DeepSeek"] == pytest.approx((1 + 0.1 * math.log(40)) ** 2, rel=1e-12)


def test_format_table_has_a_line_per_case():
    text = format_table()
    assert len(text.splitlines()) == len(ENGINE_DIFFERENCES) + 2 and "KeyError" in text


def test_engine_models_import_no_widget_stack():
    import subprocess
    import sys

    code = ("import sys, torch; from rope_course.engines import measured_table; measured_table(); "
            "heavy = ('PIL', 'IPython', 'matplotlib', 'ipywidgets', 'transformers'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_config_api_fails_loudly_when_neither_api_works(monkeypatch):
    from rope_course.engines import hf

    def refuse(api, *args):
        raise TypeError(f"{api} not understood")

    hf.config_api.cache_clear()
    monkeypatch.setattr(hf, "_build_config", refuse)
    try:
        with pytest.raises(RuntimeError, match="neither config API") as info:
            hf.config_api()
        assert "rope_parameters: TypeError" in str(info.value) and "rope_scaling: TypeError" in str(info.value)
    finally:
        monkeypatch.undo()
        hf.config_api.cache_clear()
    assert hf.config_api() in ("rope_parameters", "rope_scaling")


def test_config_api_rejects_a_module_that_ignores_the_config(monkeypatch):
    from rope_course.engines import hf

    real = hf._build_config
    hf.config_api.cache_clear()
    monkeypatch.setattr(hf, "_build_config", lambda api, dim, L, base, s: real(api, dim, L, 10000.0, s))
    try:
        with pytest.raises(RuntimeError, match="not dynamic NTK with rope_theta 500"):
            hf.config_api()
    finally:
        monkeypatch.undo()
        hf.config_api.cache_clear()


# ---- the table's HF column on the installed transformers -----------------------------------

@pytest.fixture(scope="module")
def hf_cells():
    return {r["name"]: r["values"]["HF"] for r in measured_table()}


def _installed_and_model(calls):
    args = SETTING["dim"], SETTING["max_position_embeddings"], SETTING["base"], SETTING["scaling_factor"]
    installed, model = InstalledHFRotary(*args), HFDynamicRope(*args)
    seen = []
    for position_ids in calls:
        cos, _ = installed.forward(position_ids)
        model.forward(position_ids)
        assert torch.equal(installed.inv_freq, model.inv_freq)
        seen.append(installed.inv_freq.clone())
    return model, cos, seen


HF_BASE_ROWS = ["short-after-long", "gap-above-L", "exactly-L", "fresh-short", "batch-neighbour", "padded-to-width"]


@pytest.mark.parametrize("name", HF_BASE_ROWS)
def test_hf_base_cells_hold_on_installed_transformers(name, hf_cells):
    model, _, _ = _installed_and_model(hf_position_id_scenarios()[name])
    assert model.base_in_force == hf_cells[name]
    # and the number itself, from the closed form (the installed inv_freq is the model's, bit for bit)
    b, dim, L, s = SETTING["base"], SETTING["dim"], SETTING["max_position_embeddings"], SETTING["scaling_factor"]
    expected = {"short-after-long": b, "gap-above-L": closed_form_base(b, dim, 8192, L, s),
                "exactly-L": closed_form_base(b, dim, 8192, L, s), "fresh-short": b,
                "batch-neighbour": closed_form_base(b, dim, 6000, L, s), "padded-to-width": b}[name]
    assert hf_cells[name] == pytest.approx(expected, rel=1e-12)


def test_hf_decode_cells_hold_on_installed_transformers(hf_cells):
    scenarios = hf_position_id_scenarios()
    _, cos, _ = _installed_and_model(scenarios["decode-step-rows"])
    assert cos.shape[-2] == hf_cells["decode-step-rows"] == 1  # one row per decode step
    _, _, seen = _installed_and_model(scenarios["decode-base-drift"])
    assert len({tuple(f.tolist()) for f in seen}) == hf_cells["decode-base-drift"] == 9
    assert set(scenarios) == {*HF_BASE_ROWS, "decode-step-rows", "decode-base-drift"}


def test_hf_float32_cell_holds_on_installed_transformers(hf_cells):
    from rope_course.engines.differences import FLOAT32_LENGTHS

    dim, L, b, s = SETTING["dim"], SETTING["max_position_embeddings"], SETTING["base"], SETTING["scaling_factor"]
    worst, differ = 0.0, 0
    for n in list(FLOAT32_LENGTHS)[::8]:
        installed = InstalledHFRotary(dim, L, b, s)
        installed.forward(torch.tensor([[n - 1]]))
        assert torch.equal(installed.inv_freq, hf_grown_inv_freq(b, dim, n, L, s)), n
        deepseek = rc.inv_freq_for_base(closed_form_base(b, dim, n, L, s), dim).double()
        rel = ((installed.inv_freq.double() - deepseek).abs() / deepseek).max().item()
        worst, differ = max(worst, rel), differ + (rel > 0)
    table = hf_cells["float32-base"]
    assert differ > 0 and 0 < worst <= table < 1e-6


def _v3_dynamic_installed():
    rope_scaling = traps.switched_to_dynamic(DEEPSEEK_V3)["rope_scaling"]
    fields = {k: v for k, v in rope_scaling.items() if k not in ("type", "factor")}
    return InstalledHFRotary(64, 163840, 10000.0, 40.0, rope_fields=fields)


def test_hf_v3_dynamic_cells_hold_on_installed_transformers(hf_cells):
    installed = _v3_dynamic_installed()
    start = installed.inv_freq.clone()
    installed.forward(torch.tensor([[4096]]))  # past original_max_position_embeddings: ignored
    installed.forward(torch.tensor([[163839]]))  # length 163840 = max_position_embeddings: no growth yet
    assert torch.equal(installed.inv_freq, start)
    installed.forward(torch.tensor([[163840]]))
    assert not torch.equal(installed.inv_freq, start) and hf_cells["v3-dynamic-trigger"] == 163841
    assert installed.softmax_scale_factor() == pytest.approx(hf_cells["v3-dynamic-mscale"], rel=1e-12)
    plain = InstalledHFRotary(64, 163840, 10000.0, 40.0)  # no mscale_all_dim: no factor
    assert plain.softmax_scale_factor() == pytest.approx(1.0, rel=1e-12)


def test_hf_builds_a_rope_type_config(hf_cells):
    from rope_course.engines import hf

    config_cls, rotary_cls = hf._classes()
    config = config_cls(qk_rope_head_dim=64, max_position_embeddings=163840,
                        rope_scaling={"rope_type": "dynamic", "factor": 40})
    assert "dynamic" in rotary_cls(config).rope_type
    assert hf_cells["rope-type-key"] == "builds"
