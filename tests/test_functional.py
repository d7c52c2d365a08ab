"""The pure math against the independent float64 numpy reference and upstream's op sequence."""

import math

import numpy as np
import pytest
import reference_numpy as ref
import torch
import upstream_ops as up
from hypothesis import given, settings
from hypothesis import strategies as st

from rope_course import (
    cos_sin_tables,
    cos_sin_tables_upstream,
    dynamic_ntk_base,
    inv_freq_for_base,
    longest_wavelength,
    ntk_bracket,
    ntk_fixed_base,
)

DIMS = [4, 6, 8, 16, 32, 64, 128]
BASES = [10.0, 500.0, 10000, 50000.0, 1e6]


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("base", BASES)
def test_inv_freq_matches_float64_reference(dim, base):
    got = inv_freq_for_base(base, dim)
    assert got.dtype == torch.float32 and got.shape == (dim // 2,)
    np.testing.assert_allclose(got.double().numpy(), ref.inv_freq(base, dim), rtol=2e-6, atol=0)
    assert got[0].item() == 1.0  # index 0 is the highest frequency: 1 rad/token


@pytest.mark.parametrize("dim", DIMS)
def test_inv_freq_is_bit_identical_to_upstream(dim):
    for base in BASES:
        assert torch.equal(inv_freq_for_base(base, dim), up.inv_freq(base, dim))


def test_inv_freq_is_float32_even_under_a_float64_default():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert inv_freq_for_base(10000, 8).dtype == torch.float32
    finally:
        torch.set_default_dtype(previous)


CASES = [  # (dim, base, L, s, seq_len)
    (8, 10000, 16, 1.0, 32),
    (8, 10000, 16, 2.0, 32),
    (64, 10000, 4096, 1.0, 4097),
    (64, 10000, 4096, 1.0, 8192),
    (64, 10000, 4096, 4.0, 16384),
    (64, 10000.0, 163840, 40.0, 200000),
    (64, 50000.0, 131072, 32.0, 131073),
    (128, 500000.0, 8192, 8.0, 65536),
    (4, 10.0, 1, 16.0, 1000),
    (16, 10000, 2048, 2.0, 2048),  # l == L: unchanged (strict >)
    (16, 10000, 2048, 2.0, 10),
]


@pytest.mark.parametrize("dim,base,L,s,seq_len", CASES)
def test_dynamic_base_matches_reference_and_upstream(dim, base, L, s, seq_len):
    got = dynamic_ntk_base(base, dim, seq_len, L, s)
    assert isinstance(got, float)
    assert math.isclose(got, ref.dynamic_base(base, dim, seq_len, L, s), rel_tol=1e-12)
    if seq_len > L:
        assert got == up.dynamic_base(base, dim, seq_len, L, s)  # same float ops, same bits
    else:
        assert got == base


def test_worked_numbers():
    assert dynamic_ntk_base(10000, 8, 32, 16, 1.0) == pytest.approx(25198.42, abs=0.01)
    assert dynamic_ntk_base(10000, 64, 4097, 4096, 1.0) == pytest.approx(10002.5, abs=0.05)
    assert dynamic_ntk_base(10000, 64, 8192, 4096, 1.0) == pytest.approx(20452, abs=0.5)
    assert ntk_bracket(4 * 16, 16, 4.0) == 13.0
    assert dynamic_ntk_base(10000, 64, 16, 16, 1.0) == 10000  # continuity at l = L


def test_s_equal_one_still_rescales_past_L():
    assert ntk_bracket(2 * 2048, 2048, 1.0) == 2.0
    assert dynamic_ntk_base(10000, 64, 4096, 2048, 1.0) > 10000


@pytest.mark.parametrize("dim", [4, 8, 64, 128])
def test_exponent_boundary_condition(dim):
    """D/(D-2): the lowest pair is scaled by exactly 1/a, the highest pair not at all."""
    L, s, l = 1000, 3.0, 2500
    a = ntk_bracket(l, L, s)
    new = ref.inv_freq(dynamic_ntk_base(10000, dim, l, L, s), dim)
    old = ref.inv_freq(10000, dim)
    assert new[0] == old[0] == 1.0
    assert new[-1] / old[-1] == pytest.approx(1 / a, rel=1e-12)
    i = np.arange(dim // 2)
    np.testing.assert_allclose(new / old, a ** (-2 * i / (dim - 2)), rtol=1e-12)


@pytest.mark.parametrize("dim,seq_len", [(4, 1), (8, 3), (64, 17), (64, 4096), (128, 1000), (6, 33)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_tables_bit_identical_to_upstream_ops(dim, seq_len, dtype):
    inv = inv_freq_for_base(10000, dim)
    fast = cos_sin_tables(inv, seq_len, dtype)
    slow = up.tables(inv, seq_len, dtype)
    assert all(torch.equal(f, s) for f, s in zip(fast, slow))
    assert all(torch.equal(f, s) for f, s in zip(cos_sin_tables_upstream(inv, seq_len, dtype), slow))


def test_tables_bit_identical_with_bf16_positions_and_long_length():
    inv = inv_freq_for_base(10000, 64).to(torch.bfloat16)
    ours, theirs = cos_sin_tables(inv, 2048, torch.float32), up.tables(inv, 2048, torch.float32)
    assert all(torch.equal(f, s) for f, s in zip(ours, theirs))
    inv32 = inv_freq_for_base(10000, 64)
    ours, theirs = cos_sin_tables(inv32, 131072, torch.float32), up.tables(inv32, 131072, torch.float32)
    assert all(torch.equal(f, s) for f, s in zip(ours, theirs))


@given(
    dim=st.sampled_from([4, 6, 8, 10, 16, 32, 64]),
    base=st.floats(2.0, 1e6),
    L=st.integers(1, 5000),
    s=st.floats(1.0, 64.0),
    seq_len=st.integers(1, 600),
)
@settings(max_examples=80, deadline=None)
def test_tables_match_float64_reference_property(dim, base, L, s, seq_len):
    new_base = dynamic_ntk_base(base, dim, seq_len, L, s)
    inv = inv_freq_for_base(new_base, dim)
    cos, sin = cos_sin_tables(inv, seq_len, torch.float64)
    rcos, rsin = ref.tables(ref.inv_freq(new_base, dim), seq_len)
    # float32 inv_freq and positions: angle error <= seq_len * relative error of inv_freq
    tol = 2e-6 * seq_len + 1e-6
    np.testing.assert_allclose(cos.numpy(), rcos, atol=tol)
    np.testing.assert_allclose(sin.numpy(), rsin, atol=tol)
    assert cos.shape == (seq_len, dim)
    assert torch.equal(cos[:, : dim // 2], cos[:, dim // 2 :])  # half-split: j and j + D/2 share an angle


@given(base=st.floats(1.01, 1e7), dim=st.sampled_from([4, 8, 64, 128]), L=st.integers(1, 10**6),
       s=st.floats(1.0, 100.0), seq_len=st.integers(1, 10**7))
@settings(max_examples=200, deadline=None)
def test_dynamic_base_properties(base, dim, L, s, seq_len):
    b = dynamic_ntk_base(base, dim, seq_len, L, s)
    assert math.isclose(b, ref.dynamic_base(base, dim, seq_len, L, s), rel_tol=1e-12)
    assert (b == base) if seq_len <= L else (b > base or math.isclose(b, base, rel_tol=1e-9))
    # monotone in seq_len and in s
    assert dynamic_ntk_base(base, dim, seq_len + 1, L, s) >= b
    assert dynamic_ntk_base(base, dim, seq_len, L, s + 1) >= b


def test_linear_position_scale_matches_reference():
    inv = inv_freq_for_base(10000, 16)
    cos, sin = cos_sin_tables(inv, 50, torch.float64, position_scale=4.0)
    rcos, rsin = ref.tables(ref.inv_freq(10000, 16), 50, position_scale=4.0)
    np.testing.assert_allclose(cos.numpy(), rcos, atol=1e-6)
    assert torch.equal(cos, up.tables(inv, 50, torch.float64, divide_positions_by=4.0)[0])


def test_longest_wavelength():
    assert longest_wavelength(10000, 64) == pytest.approx(2 * math.pi * 10000 ** (62 / 64))
    assert 46000 < longest_wavelength(10000, 64) < 48000
    assert 53000 < longest_wavelength(10000, 128) < 55000


@given(base=st.floats(1.01, 1e7), dim=st.sampled_from([4, 8, 64, 128]), s=st.floats(1.0, 100.0))
@settings(max_examples=100, deadline=None)
def test_ntk_fixed_base_boundary_condition(base, dim, s):
    """Highest pair unchanged, lowest slowed by exactly s (checked in float64 from the formula)."""
    new = ref.inv_freq(ntk_fixed_base(base, dim, s), dim)
    old = ref.inv_freq(base, dim)
    assert new[0] == old[0] == 1.0
    assert math.isclose(new[-1] / old[-1], 1 / s, rel_tol=1e-9)
    assert math.isclose(ntk_fixed_base(base, dim, s), base * s ** (dim / (dim - 2)), rel_tol=1e-15)


@pytest.mark.parametrize("bad,error", [(dict(base=1.0), ValueError), (dict(dim=2), ValueError),
                                       (dict(scaling_factor=0.5), ValueError), (dict(dim=True), TypeError)])
def test_ntk_fixed_base_refuses_bad_input(bad, error):
    args = {"base": 10000.0, "dim": 64, "scaling_factor": 2.0, **bad}
    with pytest.raises(error, match=next(iter(bad))):
        ntk_fixed_base(**args)
