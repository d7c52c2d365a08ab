"""Lesson 07's generation inspector: its numbers are the ones a real KV cache holds, and every
slider move changes the picture."""

import math

import numpy as np
import pytest
import torch

from rope_course.attention import KVCache, make_attention
from rope_course.explorers import REGISTRY
from rope_course.explorers.generation import GENERATION_SETTING, KINDS, GenerationInspector, generation_state

D, BASE, L, PREFILL = 64, 10000.0, 16, 12


def test_registered_with_the_setting_of_lesson_07():
    assert REGISTRY["generation"] is GenerationInspector
    assert GENERATION_SETTING == {"dim": 64, "base": 10000.0, "max_position_embeddings": 16, "prefill_len": 12,
                                  "max_steps": 36}


def _dynamic_base(n, s):
    """Independent of the package: b (1 + s (n/L - 1))^(D/(D-2)) past L."""
    return BASE if n <= L else BASE * (1 + s * (n / L - 1)) ** (D / (D - 2))


@pytest.mark.parametrize("step,s", [(0, 2.0), (4, 2.0), (5, 2.0), (8, 2.0), (36, 1.0), (36, 16.0), (20, 3.25)])
def test_bases_kinds_and_counts_follow_the_decode_loop(step, s):
    r = generation_state(step, s)
    t = PREFILL + step
    assert r["kv_seq_len"] == t and list(r["positions"]) == list(range(t))
    expected = [_dynamic_base(max(p + 1, PREFILL), s) for p in range(t)]
    np.testing.assert_allclose(r["bases"], expected, rtol=1e-12)
    assert r["base_now"] == pytest.approx(_dynamic_base(t, s), rel=1e-12)
    # up to L every key carries b and nothing is stale; past L each decoded key has its own base
    steps_past_L = max(0, t - L)
    assert r["distinct_bases"] == 1 + steps_past_L
    assert r["stale_keys"] == (t - 1 if t > L else 0)
    kinds = [KINDS[k] for k in r["kinds"]]
    assert kinds[-1] == "key rotated with the base now in force"
    if t > L:
        assert set(kinds[:L]) == {"key rotated with the original base b"}
        assert set(kinds[L:-1]) <= {"key rotated with an older dynamic base"}
    else:
        assert np.all(r["errors"] == 0.0) and r["max_error"] == 0.0


def _pair_angles(keys):
    """Angle of every rotary pair in apply_rotary_pos_emb's layout (pair i = components i, i + D/2)."""
    half = keys.shape[-1] // 2
    return torch.atan2(keys[..., half:].double(), keys[..., :half].double())


@pytest.mark.parametrize("step,s", [(8, 2.0), (20, 1.0), (36, 16.0)])
def test_angle_errors_are_what_a_real_cache_holds_against_a_fresh_prefill(step, s):
    torch.manual_seed(3)
    t = PREFILL + step
    hidden = torch.randn(1, t, 32)
    attn, cache = make_attention("dynamic", "post", D, L, s, BASE), KVCache()
    attn(hidden[:, :PREFILL], cache)
    for p in range(PREFILL, t):
        attn(hidden[:, p:p + 1], cache)
    fresh_cache = KVCache()
    make_attention("dynamic", "post", D, L, s, BASE)(hidden, fresh_cache)   # one prefill of all t tokens
    diff = (_pair_angles(cache.keys) - _pair_angles(fresh_cache.keys))[0]    # (heads, t, pairs)
    wrapped = torch.remainder(diff, 2 * math.pi)
    measured = torch.minimum(wrapped, 2 * math.pi - wrapped).amax(dim=(0, 2)).numpy()
    r = generation_state(step, s)
    np.testing.assert_allclose(r["errors"], measured, atol=2e-4, rtol=0)
    assert r["max_error_key"] == int(np.argmax(measured))


def test_the_worst_key_is_the_last_one_rotated_with_b_from_s_1_25_at_every_step():
    """Lesson 07's claim over the whole slider: s from 1 to 16 in steps of 0.25, every step past L."""
    slider = GenerationInspector().controls["scaling_factor"]
    factors = np.arange(slider.min, slider.max + slider.step / 2, slider.step)
    assert len(factors) == 61
    overtaken = {float(s): [step for step in range(L - PREFILL + 1, GENERATION_SETTING["max_steps"] + 1)
                            if generation_state(step, float(s))["max_error_key"] != L - 1] for s in factors}
    assert overtaken[1.0] == [33, 34, 35, 36]
    assert all(steps == [] for s, steps in overtaken.items() if s >= 1.25)


def test_the_error_grows_with_the_step_for_the_last_prefill_key():
    errors = [generation_state(step, 2.0)["errors"][L - 1] for step in range(5, 37)]
    assert all(b > a for a, b in zip(errors, errors[1:]))


def test_every_slider_move_changes_the_picture_and_the_readout():
    e = GenerationInspector()
    before, readout = e.render_png(), e.readout.value
    e.update(step=9)
    e.controls["step"].value = 9
    after_step = e.render_png()
    assert after_step != before and e.readout.value != readout
    e.update(scaling_factor=3.0)
    assert e.render_png() != after_step
    for params in [dict(step=0, scaling_factor=1.0), dict(step=36, scaling_factor=16.0)]:
        e.update(**params)
        assert e.render_png()
    values = GenerationInspector.readout_values(e.result)
    assert values["kv_seq_len"] == 48 and values["distinct bases in the cache"] == 33
