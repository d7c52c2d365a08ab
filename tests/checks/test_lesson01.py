import math

import pytest
import torch

import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson01 import (
    check_deinterleave,
    check_inv_freq,
    check_rope_adjacent,
    interleave,
    rope_adjacent_reference,
)


def stub(*args):
    raise NotImplementedError


def complex_rope(x, position, inv_freq):
    z = torch.view_as_complex(x.reshape(-1, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(inv_freq), position * inv_freq)).reshape(-1)


def test_interleave_inverts_deinterleave():
    x = torch.randn(2, 3, 16)
    assert torch.equal(interleave(rc.deinterleave(x)), x)
    assert torch.equal(rc.deinterleave(interleave(x)), x)
    assert interleave(torch.arange(8.0)).tolist() == [0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]
    with pytest.raises(ValueError, match="even"):
        interleave(torch.zeros(3))


def test_rope_adjacent_reference_turns_each_adjacent_pair():
    x = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    inv = torch.tensor([1.0, 0.5], dtype=torch.float64)
    out = rope_adjacent_reference(x, 2, inv)
    expected = torch.tensor([math.cos(2), math.sin(2), -math.sin(1), math.cos(1)], dtype=torch.float64)
    assert torch.allclose(out, expected, atol=1e-15)
    y = torch.randn(64, dtype=torch.float64)
    inv64 = rc.inv_freq_for_base(10000, 64).double()
    assert torch.allclose(rope_adjacent_reference(y, 777, inv64), complex_rope(y, 777, inv64), atol=1e-12)


@pytest.mark.parametrize("check", [check_inv_freq, check_deinterleave, check_rope_adjacent])
def test_stub_is_not_attempted(check):
    result = check(stub, quiet=True)
    assert result.status == NOT_ATTEMPTED and not result.correct


def test_inv_freq_accepts_solutions():
    assert check_inv_freq(rc.inv_freq_for_base, quiet=True).correct
    assert check_inv_freq(lambda b, d: 1.0 / (b ** (torch.arange(0, d, 2).float() / d)), quiet=True).correct


@pytest.mark.parametrize("wrong,case", [
    (lambda b, d: rc.inv_freq_for_base(b, d).flip(0), "base=10000, dim=8"),                    # order reversed
    (lambda b, d: 1.0 / (b ** (torch.arange(0, d // 2).float() / d)), "base=10000, dim=8"),    # i instead of 2i
    (lambda b, d: 1.0 / (b ** (torch.arange(0, d, 2).float() / 64)), "base=10000, dim=8"),     # dim hard-coded
    (lambda b, d: rc.inv_freq_for_base(10000, d), "base=50000, dim=64"),                        # base ignored
])
def test_inv_freq_rejects_typical_mistakes(wrong, case):
    result = check_inv_freq(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message


def test_deinterleave_accepts_solution():
    assert check_deinterleave(rc.deinterleave, quiet=True).correct
    assert check_deinterleave(lambda x: torch.cat((x[..., 0::2], x[..., 1::2]), dim=-1), quiet=True).correct


@pytest.mark.parametrize("wrong,case", [
    (interleave, "x = arange(8.)"),                                                    # the inverse
    (lambda x: torch.cat((x[..., 1::2], x[..., 0::2]), dim=-1), "x = arange(8.)"),      # halves swapped
    (lambda x: x[..., 0::2].repeat(2) if x.dim() == 1 else x, "x = arange(8.)"),        # odd ones dropped
    (lambda x: torch.cat((x.flatten()[0::2], x.flatten()[1::2])), "x of shape (2, 3, 4, 16)"),  # leading axes lost
])
def test_deinterleave_rejects_typical_mistakes(wrong, case):
    result = check_deinterleave(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message


def test_rope_adjacent_accepts_solutions():
    assert check_rope_adjacent(complex_rope, quiet=True).correct
    assert check_rope_adjacent(rope_adjacent_reference, quiet=True).correct


@pytest.mark.parametrize("wrong,case", [
    (lambda x, p, inv: rc.deinterleave(complex_rope(x, p, inv)), "x = [1, 0, 1, 0], position 1, dim 4"),  # layout
    (lambda x, p, inv: complex_rope(x, -p, inv), "x = [1, 0, 1, 0], position 1, dim 4"),                  # clockwise
    (lambda x, p, inv: complex_rope(x, p, inv.flip(0)), "x = [1, 0, 1, 0], position 1, dim 4"),           # order
    (lambda x, p, inv: complex_rope(x, p + 1, inv), "x = [1, 0, 1, 0], position 1, dim 4"),              # off by one
    (lambda x, p, inv: complex_rope(x, 1, inv) if p == 0 else complex_rope(x, p, inv), "position 0 (nothing turns), dim 8"),
])
def test_rope_adjacent_rejects_typical_mistakes(wrong, case):
    result = check_rope_adjacent(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message
