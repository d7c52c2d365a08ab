import math

import torch

from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson09 import check_softmax_scale, check_yarn_correction_range, check_yarn_ratio
from rope_course.yarn import yarn_find_correction_range, yarn_get_mscale, yarn_linear_ramp_mask


def stub(*args):
    raise NotImplementedError


def corr(D, b, L0, r):
    return D * math.log(L0 / (2 * math.pi * r)) / (2 * math.log(b))


def test_correction_range():
    good = lambda D, b, L0, bf, bs: yarn_find_correction_range(bf, bs, D, b, L0)
    assert check_yarn_correction_range(good, quiet=True).correct
    assert check_yarn_correction_range(stub, quiet=True).status == NOT_ATTEMPTED
    # floor/ceil swapped
    r = check_yarn_correction_range(lambda D, b, L0, bf, bs: (math.ceil(corr(D, b, L0, bf)), math.floor(corr(D, b, L0, bs))), quiet=True)
    assert r.status == "wrong" and "DeepSeek-V3" in r.message
    # no clamp
    r = check_yarn_correction_range(lambda D, b, L0, bf, bs: (math.floor(corr(D, b, L0, bf)), math.ceil(corr(D, b, L0, bs))), quiet=True)
    assert r.status == "wrong" and "clamped" in r.message
    # betas swapped
    r = check_yarn_correction_range(lambda D, b, L0, bf, bs: yarn_find_correction_range(bs, bf, D, b, L0), quiet=True)
    assert r.status == "wrong" and "DeepSeek-V3" in r.message


def test_softmax_scale():
    good = lambda q, f, m: q**-0.5 * (yarn_get_mscale(f, m) ** 2 if m else 1.0)
    assert check_softmax_scale(good, quiet=True).correct
    assert check_softmax_scale(stub, quiet=True).status == NOT_ATTEMPTED
    r = check_softmax_scale(lambda q, f, m: q**-0.5 * (yarn_get_mscale(f, m) if m else 1.0), quiet=True)  # not squared
    assert r.status == "wrong" and "DeepSeek-V3" in r.message
    r = check_softmax_scale(lambda q, f, m: 64**-0.5 * (yarn_get_mscale(f, m) ** 2 if m else 1.0), quiet=True)  # rope dim only
    assert r.status == "wrong" and "DeepSeek-V3" in r.message


def test_yarn_ratio():
    good = lambda n, lo, hi, f: 1 - yarn_linear_ramp_mask(lo, hi, n) * (1 - 1 / f)
    assert check_yarn_ratio(good, quiet=True).correct
    assert check_yarn_ratio(stub, quiet=True).status == NOT_ATTEMPTED
    r = check_yarn_ratio(lambda n, lo, hi, f: yarn_linear_ramp_mask(lo, hi, n) * (1 - 1 / f) + 1 / f, quiet=True)  # ramp reversed
    assert r.status == "wrong" and "DeepSeek-V3" in r.message
    r = check_yarn_ratio(lambda n, lo, hi, f: torch.full((n,), 1 / f), quiet=True)  # plain linear
    assert r.status == "wrong" and "DeepSeek-V3" in r.message
    # forgetting the 0.001 guard (division by zero -> nan) fails only the low == high case
    def no_guard(n, lo, hi, f):
        ramp = torch.clamp((torch.arange(n, dtype=torch.float64) - lo) / (hi - lo), 0, 1)
        return (1 - ramp) + ramp / f
    r = check_yarn_ratio(no_guard, quiet=True)
    assert r.status == "wrong" and "low == high" in r.message
