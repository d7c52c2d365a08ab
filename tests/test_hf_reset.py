import pytest
import torch

import rope_course as rc
from rope_course.engines.hf import InstalledHFRotary
from rope_course.hf_reset import HFDynamicRope, deepseek_base_after, hf_base_after


def test_fresh_state():
    h = HFDynamicRope(64, 2048, 10000, 2.0)
    assert h.max_seq_len_cached == 2048 and h.base_in_force == 10000
    assert torch.equal(h.inv_freq, rc.inv_freq_for_base(10000, 64))


def test_growth_reset_and_gap():
    h = HFDynamicRope(64, 2048, 10000, 2.0)
    assert h.update(1000) == "kept" and h.base_in_force == 10000
    assert h.update(3000) == "grown" and h.base_in_force == rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0)
    assert h.update(2500) == "kept" and h.max_seq_len_cached == 3000  # the gap in (L, max seen]
    assert h.update(2048) == "kept"  # strict: exactly L is no reset
    assert h.update(2047) == "reset" and h.base_in_force == 10000 and h.max_seq_len_cached == 2048
    assert torch.equal(h.inv_freq, h.original_inv_freq)


def test_tables():
    h = HFDynamicRope(8, 16, 10000, 2.0)
    h.update(32)
    cos, sin = h(8)
    m = rc.DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    fresh_cos, fresh_sin = m(torch.zeros(1), seq_len=8)
    assert torch.equal(cos, fresh_cos) and torch.equal(sin, fresh_sin)


def test_base_after_lists():
    calls = [1000, 3000, 2500, 1000]
    b3000 = rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0)
    assert hf_base_after(calls, 64, 2048, 10000, 2.0) == [10000, b3000, b3000, 10000]
    assert deepseek_base_after(calls, 64, 2048, 10000, 2.0) == [10000, b3000, b3000, b3000]


def test_bad_input_rejected():
    with pytest.raises(ValueError, match="scaling_factor"):
        HFDynamicRope(64, 2048, 10000, 0.5)
    h = HFDynamicRope(64, 2048)
    with pytest.raises(ValueError, match="seq_len"):
        h.update(0)
    assert h.max_seq_len_cached == 2048


@pytest.mark.parametrize("calls", [[1000, 3000, 2500, 2048, 2047, 1000], [32, 8, 64, 17, 16, 15]])
def test_matches_transformers(calls):
    L = 2048 if calls[0] > 100 else 16
    hf = InstalledHFRotary(64, L, 10000.0, 2.0)
    model = HFDynamicRope(64, L, 10000, 2.0)
    for l in calls:
        hf.forward(torch.arange(l)[None])
        model.update(l)
        assert torch.equal(hf.inv_freq, model.inv_freq), l
        assert hf.max_seq_len_cached == model.max_seq_len_cached, l
