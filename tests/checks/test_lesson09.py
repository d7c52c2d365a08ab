"""Lesson 09's checkers against independently written answers: the stub, a correct one, typical wrong ones."""

import math

import numpy as np

from rope_course.checks import NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson09 import check_fixed_logits, check_llama3_split, check_never_turned_llama3


def temperature(s, m):
    return 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0


def fixed(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):
    # upstream: mscale defaults to 1; the class scales cos/sin by the ratio, the attention the softmax
    ratio = temperature(factor, 1.0) / temperature(factor, mscale_all_dim)
    scale = 1 / math.sqrt(q_nope.shape[-1] + q_pe.shape[-1])
    if mscale_all_dim != 0:
        scale *= temperature(factor, mscale_all_dim) ** 2
    return (q_nope @ k_nope.T + ratio * ratio * (q_pe @ k_pe.T)) * scale


def ported(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):  # the lesson's excerpt, unchanged
    a = 0.1 * math.log(factor) + 1.0
    scale = (q_nope.shape[-1] + q_pe.shape[-1]) ** -0.5
    if mscale_all_dim:
        scale *= (0.1 * mscale_all_dim * math.log(factor) + 1.0) ** 2
    return (q_nope @ k_nope.T + (a * q_pe) @ (a * k_pe).T) * scale


def no_cos_sin_factor(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):  # right for V3, wrong at 0
    scale = (q_nope.shape[-1] + q_pe.shape[-1]) ** -0.5
    if mscale_all_dim:
        scale *= temperature(factor, mscale_all_dim) ** 2
    return (q_nope @ k_nope.T + q_pe @ k_pe.T) * scale


def no_softmax_factor(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):  # generic YaRN only
    a = temperature(factor, 1.0)
    return (q_nope @ k_nope.T + a * a * (q_pe @ k_pe.T)) / math.sqrt(192)


def test_fixed_logits():
    def stub(*args):
        raise NotImplementedError

    assert check_fixed_logits(stub, quiet=True).status == NOT_ATTEMPTED
    assert check_fixed_logits(fixed, quiet=True).correct
    for wrong, case in [(ported, "DeepSeek-V3"), (no_cos_sin_factor, "mscale_all_dim 0"),
                        (no_softmax_factor, "DeepSeek-V3")]:
        r = check_fixed_logits(wrong, quiet=True)
        assert r.status == WRONG and case in r.message and "Hint" in r.message, (wrong.__name__, r.message)


def turns(i, dim=128, base=500000.0, length=8192):
    return length * base ** (-2 * i / dim) / (2 * math.pi)


def test_never_turned_llama3():
    assert check_never_turned_llama3(..., quiet=True).status == NOT_ATTEMPTED
    # solve L b^(-2i/D) / (2 pi) = 1 for i, then count the pairs past it
    boundary = 64 * math.log(8192 / (2 * math.pi)) / math.log(500000.0)
    count = 64 - math.ceil(boundary)
    assert turns(63 - count) >= 1 > turns(64 - count)
    assert check_never_turned_llama3(count, quiet=True).correct
    assert check_never_turned_llama3(np.int64(count), quiet=True).correct
    for wrong in (64 - count,                       # the pairs that do turn
                  128 - 2 * math.ceil(boundary),    # dimensions, not pairs
                  count + 1):                       # floor instead of ceil
        r = check_never_turned_llama3(wrong, quiet=True)
        assert r.status == WRONG and "Hint" in r.message


def test_llama3_split():
    assert check_llama3_split(..., quiet=True).status == NOT_ATTEMPTED
    r = [turns(i) for i in range(64)]
    kept, divided = sum(x > 4 for x in r), sum(x < 1 for x in r)
    answer = (kept, 64 - kept - divided, divided)
    assert check_llama3_split(answer, quiet=True).correct
    assert check_llama3_split(list(answer), quiet=True).correct
    for wrong in [(sum(x > 32 for x in r), 64 - sum(x > 32 for x in r) - divided, divided),  # YaRN's beta_fast
                  (kept, 64 - kept, 0),                                                    # no pair divided
                  (kept, divided)]:                                                        # two numbers
        r_ = check_llama3_split(wrong, quiet=True)
        assert r_.status == WRONG and "Hint" in r_.message
    # a wrong count is named, not numbered from 0
    one_short = check_llama3_split((kept, 64 - kept - divided, divided - 1), quiet=True)
    assert "wrong: divided: wrong value" in one_short.message
    one_over = check_llama3_split((kept + 1, 63 - kept - divided, divided), quiet=True)
    assert "wrong: kept: wrong value" in one_over.message
