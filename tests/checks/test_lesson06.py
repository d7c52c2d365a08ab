"""Lesson 06's checkers: each against the stub, an independently written correct answer, and at
least two typical wrong answers. Nothing here calls the package's angle helpers."""

import math

import numpy as np
import torch

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson06 import (
    FARTHEST_SETTING,
    GROWTH_SETTING,
    SAFE_LENGTH_SETTING,
    check_farthest_new_angle,
    check_growth_exponent,
    check_longest_safe_length,
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
    assert 2 * L < longest < 4 * L                           # s_min(2L) = 1.546 < 1.75 < s_min(4L) = 1.827
    assert SAFE_LENGTH_SETTING["scaling_factor"] == 1.75
    # the safe lengths past L are one interval: nothing safe again up to 64 L (checked every 61 tokens)
    assert not any(safe_by_formula(n) for n in range(first_unsafe, 64 * L, 61))
    assert check_longest_safe_length(..., quiet=True).status == NOT_ATTEMPTED
    assert check_longest_safe_length(longest, quiet=True).status == CORRECT
    assert check_longest_safe_length(np.int64(longest), quiet=True).correct
    assert check_longest_safe_length(float(longest), quiet=True).correct
    typical = {"the first unsafe length": first_unsafe, "4L from the table": 4 * L, "2L from the table": 2 * L,
               "s = 2's answer (lesson 01)": 22949, "one short": longest - 1, "not a whole number": longest + 0.5}
    for why, wrong in typical.items():
        result = check_longest_safe_length(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why
        assert str(longest) not in result.message.replace(repr(wrong), ""), "the message must not give the answer"


def test_farthest_new_angle():
    dim, base, L, pair = (FARTHEST_SETTING[k] for k in ("dim", "base", "max_position_embeddings", "pair"))
    theta = base ** (-2 * pair / dim)
    assert math.isclose(theta, 1e-3, rel_tol=1e-12) and (L - 1) * theta < 2 * math.pi   # never turned
    # derived: the trained angles fill [0, (L-1) theta] at steps theta; the farthest point is the middle
    # of the arc it never met, from (L-1) theta round to 2 pi
    derived = (2 * math.pi - (L - 1) * theta) / 2
    # measured, independently: a grid of the circle (steps of 3.1e-3 rad) against every trained angle
    circle = np.linspace(0, 2 * math.pi, 2001)
    d = np.abs(circle[:, None] - np.arange(L)[None, :] * theta)
    measured = np.minimum(d, 2 * math.pi - d).min(axis=1).max()
    assert abs(measured - derived) < 2e-3
    assert check_farthest_new_angle(..., quiet=True).status == NOT_ATTEMPTED
    assert check_farthest_new_angle(derived, quiet=True).status == CORRECT
    assert check_farthest_new_angle(np.float32(measured), quiet=True).correct
    assert check_farthest_new_angle(torch.tensor(1.094), quiet=True).correct
    typical = {
        "the opposite side of the circle": math.pi,
        "the whole unseen arc, not half": 2 * math.pi - (L - 1) * theta,
        "the turned pairs' law, half a step": theta / 2,
        "the largest angle past the trained one at 2L (the ratio view)": (1.1696 - 1) * (L - 1) * theta,
        "the 2L distance from section 4": 0.694,
        "degrees": math.degrees(derived),
    }
    for why, wrong in typical.items():
        result = check_farthest_new_angle(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, why
        assert "1.094" not in result.message.replace(f"{wrong:.10g}", ""), why
