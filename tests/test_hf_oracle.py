"""External oracle: Hugging Face transformers' own dynamic-NTK frequency function.

HF computes the same formula from a config, clamping seq_len to at least
max_position_embeddings. For seq_len > L our base and inv_freq must agree with it.
`transformers` is a runtime dependency: these tests never skip. The config is built through
`rope_course.engines.hf`, which detects the installed config API (v4 `rope_scaling`, v5
`rope_parameters`) and raises if it recognises neither.
"""

import pytest
import torch
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

from rope_course import DynamicNTKScalingRotaryEmbedding, dynamic_ntk_base, inv_freq_for_base
from rope_course.engines.hf import config_api, dynamic_config


def test_config_api_is_detected():
    assert config_api() in ("rope_parameters", "rope_scaling")


def hf_dynamic_inv_freq(dim, base, L, factor, seq_len):
    config = dynamic_config(dim, L, float(base), float(factor))
    inv_freq, attention_factor = ROPE_INIT_FUNCTIONS["dynamic"](config, "cpu", seq_len=seq_len)
    assert attention_factor == 1.0
    return inv_freq


CASES = [  # (dim, base, L, s, seq_len), all with seq_len > L
    (8, 10000, 16, 2.0, 32),
    (64, 10000, 4096, 1.0, 8192),
    (64, 10000, 4096, 2.0, 4097),
    (64, 10000, 2048, 4.0, 100000),
    (64, 50000, 131072, 32.0, 262144),
    (128, 500000, 8192, 8.0, 65536),
    (16, 1000, 100, 1.5, 101),
]


@pytest.mark.parametrize("dim,base,L,s,seq_len", CASES)
def test_inv_freq_agrees_with_transformers(dim, base, L, s, seq_len):
    theirs = hf_dynamic_inv_freq(dim, base, L, s, seq_len)
    ours = inv_freq_for_base(dynamic_ntk_base(base, dim, seq_len, L, s), dim)
    torch.testing.assert_close(ours, theirs.to(ours.dtype), rtol=2e-6, atol=0)
    module = DynamicNTKScalingRotaryEmbedding(dim, L, base=base, scaling_factor=s)
    module(torch.zeros(1), seq_len=seq_len)
    torch.testing.assert_close(module.inv_freq, theirs.to(torch.float32), rtol=2e-6, atol=0)


@pytest.mark.parametrize("seq_len", [1, 100, 4096])
def test_at_or_below_L_both_give_the_original_frequencies(seq_len):
    theirs = hf_dynamic_inv_freq(64, 10000, 4096, 2.0, seq_len)
    ours = inv_freq_for_base(dynamic_ntk_base(10000, 64, seq_len, 4096, 2.0), 64)
    torch.testing.assert_close(ours, theirs.to(ours.dtype), rtol=2e-6, atol=0)
