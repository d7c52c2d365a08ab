"""rope_course.variants against the installed transformers and against the course's own modules."""

import math

import numpy as np
import pytest
import torch

from rope_course.angles import never_turned, swept_arc
from rope_course.variants import (
    critical_pair,
    llama3_inv_freq,
    original_inv_freq,
    ratios_as_rescale_factors,
    rescaled_inv_freq,
    turns_in_context,
)
from rope_course.yarn import yarn_find_correction_range, yarn_inv_freq

LLAMA3_CASES = [  # dim, base, factor, low_freq_factor, high_freq_factor, original length
    (128, 500000.0, 8.0, 1.0, 4.0, 8192),
    (64, 10000.0, 4.0, 1.0, 4.0, 4096),
    (64, 50000.0, 32.0, 1.0, 32.0, 4096),
    (128, 10000.0, 2.0, 0.5, 8.0, 2048),
    (16, 500.0, 3.0, 2.0, 3.0, 64),
]


def _hf_inv_freq(rope_type, dim, seq_len=None, **rope):
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    config = LlamaConfig(hidden_size=2 * dim, num_attention_heads=2, head_dim=dim,
                         max_position_embeddings=int(rope.get("factor", 1) * rope["original_max_position_embeddings"]),
                         rope_parameters={"rope_type": rope_type, **rope})
    return ROPE_INIT_FUNCTIONS[rope_type](config, seq_len=seq_len)


@pytest.mark.parametrize("dim,base,factor,low,high,length", LLAMA3_CASES)
def test_llama3_matches_transformers(dim, base, factor, low, high, length):
    inv, attention_factor = _hf_inv_freq("llama3", dim, rope_theta=base, factor=factor, low_freq_factor=low,
                                         high_freq_factor=high, original_max_position_embeddings=length)
    ours = llama3_inv_freq(dim, base, factor, low, high, length)
    np.testing.assert_allclose(inv.double().numpy(), ours, rtol=1e-6)  # HF works in float32
    assert attention_factor == 1.0  # no temperature


@pytest.mark.parametrize("dim,base,factor,low,high,length", LLAMA3_CASES)
def test_llama3_by_parts(dim, base, factor, low, high, length):
    theta = original_inv_freq(dim, base)
    turns = length * theta / (2 * math.pi)
    ratio = llama3_inv_freq(dim, base, factor, low, high, length) / theta
    np.testing.assert_allclose(ratio[turns > high], 1.0)
    np.testing.assert_allclose(ratio[turns < low], 1.0 / factor)
    middle = (turns >= low) & (turns <= high)
    assert np.all((ratio[middle] >= 1 / factor - 1e-15) & (ratio[middle] <= 1 + 1e-15))
    assert np.all(np.diff(ratio) <= 1e-15)  # slower pairs are never scaled less


def test_llama3_rejects_bad_factors():
    with pytest.raises(ValueError):
        llama3_inv_freq(64, 10000, 8.0, 4.0, 1.0, 8192)
    with pytest.raises(ValueError):
        llama3_inv_freq(64, 10000, 0.5, 1.0, 4.0, 8192)


def test_rescaled_inv_freq_reproduces_yarn_and_transformers_longrope():
    yarn = yarn_inv_freq(64, 10000, 40, 4096, 32, 1).double().numpy()
    lambdas = ratios_as_rescale_factors(yarn / original_inv_freq(64, 10000))
    np.testing.assert_allclose(rescaled_inv_freq(64, 10000, lambdas), yarn, rtol=1e-12)
    inv, attention_factor = _hf_inv_freq("longrope", 64, rope_theta=10000.0, factor=40.0, long_factor=lambdas.tolist(),
                                         short_factor=[1.0] * 32, original_max_position_embeddings=4096, seq_len=8192)
    np.testing.assert_allclose(inv.double().numpy(), yarn, rtol=1e-6)
    assert attention_factor == pytest.approx(math.sqrt(1 + math.log(40) / math.log(4096)))
    with pytest.raises(ValueError):
        rescaled_inv_freq(64, 10000, [1.0] * 31)
    with pytest.raises(ValueError):
        rescaled_inv_freq(64, 10000, [0.0] * 32)


@pytest.mark.parametrize("dim", [16, 32, 64, 128])
@pytest.mark.parametrize("base", [500.0, 1e4, 5e4, 5e5, 1e6])
@pytest.mark.parametrize("length", [64, 2048, 4096, 8192, 32768])
def test_critical_pair_is_the_first_never_turned_pair_and_yarns_high(dim, base, length):
    k = critical_pair(dim, base, length)
    turns = turns_in_context(dim, base, length)
    assert np.all(turns[:k] >= 1) and np.all(turns[k:] < 1)
    # the course's never-turned pairs (arc over positions 0..L-1 below one turn): the same set here
    mask = never_turned(swept_arc(original_inv_freq(dim, base), length))
    assert np.flatnonzero(mask).tolist() == list(range(k, dim // 2))
    if 0 < k < dim // 2:  # YaRN interpolates fully from its `high` on; with beta_slow = 1 that is k
        assert yarn_find_correction_range(32, 1, dim, base, length)[1] == k


def test_the_two_never_turned_counts_differ_only_within_one_token_of_L():
    # lessons 01/06 count the arc over positions 0..L-1, critical_pair the turns over L tokens: they
    # part only for a pair whose wavelength lies in (L-1, L]. V3's pair 23 has wavelength 4711.7.
    theta = original_inv_freq(64, 10000)
    assert 4711 < 2 * math.pi / theta[23] < 4712
    for length, arc_first, critical in [(4711, 23, 23), (4712, 23, 24), (4713, 24, 24)]:
        assert int(np.flatnonzero(never_turned(swept_arc(theta, length)))[0]) == arc_first
        assert critical_pair(64, 10000, length) == critical == yarn_find_correction_range(32, 1, 64, 10000, length)[1]


def test_course_numbers():
    assert critical_pair(64, 10000, 4096) == 23  # 9 never-turned pairs, 23..31
    assert critical_pair(64, 50000.0, 4096) == 20  # Kimi-K2: 12, exactly YaRN's interpolated pairs
    assert critical_pair(64, 10000, 2048) == 21  # the seed's setting: 11
    assert torch.equal(torch.tensor(turns_in_context(8, 10000, 100) > 1), torch.tensor([True, True, False, False]))
