import torch

from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson04 import check_dynamic_base, check_pair_ratios


def stub(*args):
    raise NotImplementedError


def base(b, d, l, L, s, exponent=None, branch=True, strict=True):
    if branch and (l <= L if strict else l < L):
        return b
    a = s * l / L - (s - 1)
    return b * a ** (exponent(d) if exponent else d / (d - 2))


def test_dynamic_base_accepts_reference():
    assert check_dynamic_base(base, quiet=True).correct


def test_dynamic_base_not_attempted():
    assert check_dynamic_base(stub, quiet=True).status == NOT_ATTEMPTED


def test_dynamic_base_rejects_no_branch():
    r = check_dynamic_base(lambda *a: base(*a, branch=False), quiet=True)
    assert r.status == "wrong" and "l < L" in r.message


def test_dynamic_base_rejects_wrong_exponent():
    r = check_dynamic_base(lambda *a: base(*a, exponent=lambda d: (d - 2) / d), quiet=True)
    assert r.status == "wrong" and "D=8, l=2L, s=1" in r.message
    r = check_dynamic_base(lambda *a: base(*a, exponent=lambda d: 1.0), quiet=True)
    assert r.status == "wrong" and "D=8, l=2L, s=1" in r.message


def test_dynamic_base_rejects_bracket_as_ratio():
    def ratio_bracket(b, d, l, L, s):
        return b if l <= L else b * (l / L) ** (d / (d - 2))
    r = check_dynamic_base(ratio_bracket, quiet=True)
    assert r.status == "wrong" and "s=4 at l=4L" in r.message


def ratios(a, d, denom=None):
    i = torch.arange(d // 2, dtype=torch.float64)
    return a ** (-2 * i / (denom(d) if denom else d - 2))


def test_pair_ratios_accepts_reference():
    assert check_pair_ratios(ratios, quiet=True).correct


def test_pair_ratios_not_attempted():
    assert check_pair_ratios(stub, quiet=True).status == NOT_ATTEMPTED


def test_pair_ratios_rejects_wrong_denominator_and_linear():
    r = check_pair_ratios(lambda a, d: ratios(a, d, denom=lambda d: d), quiet=True)
    assert r.status == "wrong" and "a=2, D=64" in r.message
    r = check_pair_ratios(lambda a, d: torch.full((d // 2,), 1 / a, dtype=torch.float64), quiet=True)
    assert r.status == "wrong" and "a=2, D=64" in r.message
    r = check_pair_ratios(lambda a, d: ratios(a, d).flip(0), quiet=True)
    assert r.status == "wrong" and "a=2, D=64" in r.message
