import pytest
import torch

import rope_course as rc
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


def _hf_module(dim, L, s):
    transformers = pytest.importorskip("transformers")
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    kwargs = dict(hidden_size=dim * 2, num_attention_heads=2, head_dim=dim, max_position_embeddings=L)
    try:
        cfg = LlamaConfig(**kwargs, rope_parameters={"rope_type": "dynamic", "factor": s, "rope_theta": 10000.0})
        module = LlamaRotaryEmbedding(cfg)
    except Exception:  # older transformers: rope_scaling
        cfg = LlamaConfig(**kwargs, rope_theta=10000.0, rope_scaling={"rope_type": "dynamic", "factor": s})
        module = LlamaRotaryEmbedding(cfg)
    if not hasattr(module, "original_inv_freq"):
        pytest.skip(f"transformers {transformers.__version__} has no dynamic_rope_update reset")
    return module


@pytest.mark.parametrize("calls", [[1000, 3000, 2500, 2048, 2047, 1000], [32, 8, 64, 17, 16, 15]])
def test_matches_transformers(calls):
    L = 2048 if calls[0] > 100 else 16
    hf = _hf_module(64, L, 2.0)
    model = HFDynamicRope(64, L, 10000, 2.0)
    x = torch.zeros(1, 1, 64)
    for l in calls:
        hf(x, torch.arange(l)[None])
        model.update(l)
        torch.testing.assert_close(hf.inv_freq.float(), model.inv_freq, rtol=1e-6, atol=0)
        assert int(hf.max_seq_len_cached) == model.max_seq_len_cached, l
