"""Parity harness: the course's engine models against the installed transformers module and the
course's DeepSeek module, over hypothesis-generated call sequences (batched position ids too).

Agreement is required bit for bit: `hf_rule.HFDynamicRope` mirrors HF's arithmetic (a float32
base from a tensor length), so cos, sin, inv_freq and max_seq_len_cached must be equal.
Nothing here is skipped: if transformers is missing or its config API is not recognised, the
tests fail with the adapter's message.
"""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rope_course as rc
from rope_course.calls import simulate_calls
from rope_course.engines.batching import deepseek_batch_cos_sin, left_padded_batch, per_request_cos_sin
from rope_course.engines.hf import InstalledHFRotary
from rope_course.engines.hf_rule import HFDynamicRope

SETTINGS = dict(max_examples=40, deadline=None)


@st.composite
def engine_setting(draw):
    dim = draw(st.sampled_from([8, 16, 64]))
    length = draw(st.sampled_from([16, 64, 256]))
    s = draw(st.sampled_from([1.0, 1.5, 2.0, 4.0]))
    base = draw(st.sampled_from([10000.0, 500.0, 50000.0]))
    return dim, length, base, s


@st.composite
def position_batch(draw, length):
    """One forward's position ids: a prefill, a left-padded batch, a decode step or a chunk."""
    kind = draw(st.sampled_from(["prefill", "left-padded", "decode", "chunk"]))
    top = 4 * length
    if kind == "prefill":
        return torch.arange(draw(st.integers(1, top)))[None]
    if kind == "left-padded":
        lengths = draw(st.lists(st.integers(1, top), min_size=1, max_size=3))
        return left_padded_batch(lengths)[0]
    if kind == "decode":  # one new token per row, each row at its own position
        rows = draw(st.lists(st.integers(0, top), min_size=1, max_size=3))
        return torch.tensor(rows)[:, None]
    start = draw(st.integers(0, top))
    return torch.arange(start, start + draw(st.integers(1, 32)))[None]


@st.composite
def call_sequence(draw):
    setting = draw(engine_setting())
    calls = draw(st.lists(position_batch(setting[1]), min_size=1, max_size=8))
    return setting, calls


@settings(**SETTINGS)
@given(call_sequence())
def test_hf_model_matches_installed_transformers(case):
    (dim, length, base, s), calls = case
    installed = InstalledHFRotary(dim, length, base, s)
    model = HFDynamicRope(dim, length, base, s)
    for position_ids in calls:
        cos_hf, sin_hf = installed.forward(position_ids)
        cos_model, sin_model = model.forward(position_ids)
        assert torch.equal(cos_hf, cos_model) and torch.equal(sin_hf, sin_model), position_ids
        assert torch.equal(installed.inv_freq, model.inv_freq)
        assert installed.max_seq_len_cached == model.max_seq_len_cached
        assert installed.attention_scaling == 1.0


@settings(**SETTINGS)
@given(call_sequence())
def test_deepseek_rule_matches_the_module_with_one_kv_seq_len_per_batch(case):
    """DeepSeek's attention passes one seq_len per batch: the widest row's length + 1 here."""
    (dim, length, base, s), calls = case
    module = rc.DynamicNTKScalingRotaryEmbedding(dim, length, base=base, scaling_factor=s)
    kv_lens = [int(p.max()) + 1 for p in calls]
    records = simulate_calls(kv_lens, length, s, base, dim)
    for position_ids, kv_len, record in zip(calls, kv_lens, records):
        cos, sin = module(torch.zeros(1), seq_len=kv_len)
        expected = rc.inv_freq_for_base(record.base_in_force, dim)
        assert torch.equal(module.inv_freq, expected)
        rows = cos[position_ids]  # what apply_rotary_pos_emb gathers
        freqs = position_ids[..., None].float() * expected
        assert torch.equal(rows, torch.cat((freqs, freqs), -1).cos())


@settings(**SETTINGS)
@given(engine_setting(), st.lists(st.integers(1, 1024), min_size=1, max_size=4))
def test_per_request_fix_equals_each_prompt_alone(setting, lengths):
    dim, length, base, s = setting
    position_ids, _ = left_padded_batch(lengths)
    cos, sin = per_request_cos_sin(position_ids, lengths, dim, length, base, s)
    for row, n in enumerate(lengths):
        alone = rc.DynamicNTKScalingRotaryEmbedding(dim, length, base=base, scaling_factor=s)
        cos_alone, sin_alone = alone(torch.zeros(1), seq_len=n)
        assert torch.equal(cos[row, -n:], cos_alone) and torch.equal(sin[row, -n:], sin_alone)


@settings(**SETTINGS)
@given(engine_setting(), st.lists(st.integers(1, 1024), min_size=2, max_size=4))
def test_batched_deepseek_rows_use_the_widest_rows_base(setting, lengths):
    dim, length, base, s = setting
    position_ids, _ = left_padded_batch(lengths)
    cos, _ = deepseek_batch_cos_sin(position_ids, lengths, dim, length, base, s)
    widest = rc.inv_freq_for_base(rc.dynamic_ntk_base(base, dim, max(lengths), length, s), dim)
    freqs = position_ids[..., None].float() * widest
    assert torch.equal(cos, torch.cat((freqs, freqs), -1).cos())
