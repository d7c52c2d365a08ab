"""Lesson 06's checkers: each against the stub, an independently written correct answer, and at
least two typical wrong answers. Nothing here calls the package's angle helpers."""

import math

import numpy as np
import torch

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson06 import (
    GROWTH_SETTING,
    SAFE_LENGTH_SETTING,
    check_growth_exponent,
    check_longest_safe_length,
    check_slowest_pair_factor,
)


def first_never_turned(dim, base, L):
    return next(i for i in range(dim // 2) if (L - 1) * base ** (-2 * i / dim) < 2 * math.pi)


def test_growth_exponent():
    dim, base, L = GROWTH_SETTING["dim"], GROWTH_SETTING["base"], GROWTH_SETTING["max_position_embeddings"]
    i_star = first_never_turned(dim, base, L)
    assert i_star == 46                                      # D = 128: pairs 46 .. 63 never turned
    derived = 1 - 2 * i_star / (dim - 2)                     # 17/63
    assert check_growth_exponent(..., quiet=True).status == NOT_ATTEMPTED
    assert check_growth_exponent(derived, quiet=True).status == CORRECT
    assert check_growth_exponent(17 / 63, quiet=True).correct and check_growth_exponent(0.27, quiet=True).correct
    assert check_growth_exponent(np.float32(derived), quiet=True).correct
    assert check_growth_exponent(torch.tensor(derived), quiet=True).correct

    # measured, not derived: the log-log slope of the worst ratio between 64L and 256L at s = 1
    def worst(l_):
        a = l_ / L
        return (l_ - 1) / (L - 1) * a ** (-2 * i_star / (dim - 2))
    slope = math.log(worst(256 * L) / worst(64 * L)) / math.log(4)
    assert check_growth_exponent(slope, quiet=True).correct

    typical = {
        "the D = 64 answer (i* = 23)": 1 - 2 * 23 / 62,
        "no scaling (ratio grows like l)": 1.0,
        "thinks dynamic NTK keeps it bounded": 0.0,
        "the exponent of a instead of the total": 2 * i_star / (dim - 2),
        "i* off by one": 1 - 2 * (i_star - 1) / (dim - 2),
        "the second never-turned pair": 1 - 2 * (i_star + 1) / (dim - 2),
    }
    for why, wrong in typical.items():
        result = check_growth_exponent(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why
        assert "17/63" not in result.message and "0.2698" not in result.message


def safe_by_formula(seq_len):
    """Independent: every never-turned pair's ratio (l-1)/(L-1) a^(-2i/(D-2)) at most 1."""
    s = SAFE_LENGTH_SETTING
    dim, base, L, sf = s["dim"], s["base"], s["max_position_embeddings"], s["scaling_factor"]
    i = np.arange(first_never_turned(dim, base, L), dim // 2)
    a = 1 + sf * (seq_len / L - 1)
    return bool(np.all((seq_len - 1) / (L - 1) * a ** (-2 * i / (dim - 2)) <= 1))


def test_longest_safe_length():
    L = SAFE_LENGTH_SETTING["max_position_embeddings"]
    # an independent scan: the first unsafe length past L, by a coarse then a fine walk
    coarse = next(n for n in range(L + 1, 64 * L, 256) if not safe_by_formula(n))
    first_unsafe = next(n for n in range(coarse - 256, coarse + 1) if not safe_by_formula(n))
    longest = first_unsafe - 1
    assert all(safe_by_formula(n) for n in range(L + 1, longest + 1, 97)) and safe_by_formula(longest)
    assert 4 * L < longest < 8 * L
    assert check_longest_safe_length(..., quiet=True).status == NOT_ATTEMPTED
    assert check_longest_safe_length(longest, quiet=True).status == CORRECT
    assert check_longest_safe_length(np.int64(longest), quiet=True).correct
    assert check_longest_safe_length(float(longest), quiet=True).correct
    typical = {"the first unsafe length": first_unsafe, "8L from the table": 8 * L, "4L from the table": 4 * L,
               "one short": longest - 1, "not a whole number": longest + 0.5}
    for why, wrong in typical.items():
        result = check_longest_safe_length(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why
        assert str(longest) not in result.message.replace(repr(wrong), ""), "the message must not give the answer"


def test_slowest_pair_factor():
    def stub(max_position_embeddings):
        raise NotImplementedError

    def derived(max_position_embeddings):
        # (l-1) <= (L-1)(1 + s(l-L)/L) for all l > L  <=>  (l-L) <= (L-1) s (l-L)/L  <=>  s >= L/(L-1)
        return max_position_embeddings / (max_position_embeddings - 1)

    assert check_slowest_pair_factor(stub, quiet=True).status == NOT_ATTEMPTED
    assert check_slowest_pair_factor(derived, quiet=True).status == CORRECT
    assert check_slowest_pair_factor(lambda L: np.float64(1 + 1 / (L - 1)), quiet=True).correct

    # the derivation checked numerically: just above the factor the slowest pair stays inside, just below it leaves
    for L in (16, 4096):
        for l_ in (L + 1, 3 * L, 1000 * L):
            for s, inside in ((derived(L) * (1 + 1e-12), True), (derived(L) * (1 - 1e-9), False)):
                a = 1 + s * (l_ / L - 1)
                assert ((l_ - 1) / ((L - 1) * a) <= 1) == inside

    typical = {
        "s = 1 (no change past the window)": lambda L: 1.0,
        "(L+1)/L (positions counted from 1)": lambda L: (L + 1) / L,
        "(L-1)/L (the ratio upside down)": lambda L: (L - 1) / L,
        "an integer division": lambda L: float(L // (L - 1)),
    }
    for why, wrong in typical.items():
        result = check_slowest_pair_factor(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why
