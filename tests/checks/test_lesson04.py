"""Lesson 04's checkers against independently written answers (numpy and math, no package
helpers): the stub, one correct answer and typical wrong ones for each exercise."""

import math

import numpy as np

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson04 import (
    BEYOND_SETTING,
    S_MIN_SETTING,
    check_beyond_pairs,
    check_doubling_length,
    check_s_min,
)


def fractions(L, s, l, D=64, b=10000.0):
    """Per pair: largest angle at l / largest trained angle, and the never-turned mask."""
    theta = b ** (-np.arange(0, D, 2) / D)
    a = 1 + s * (l / L - 1) if l > L else 1.0
    new_theta = theta * a ** (-2 * np.arange(D // 2) / (D - 2))
    return (l - 1) * new_theta / ((L - 1) * theta), (L - 1) * theta < 2 * math.pi


# --- exercise 1: which pairs go beyond ------------------------------------------------------------
def test_beyond_pairs():
    p = BEYOND_SETTING
    f, slow = fractions(p["max_position_embeddings"], p["scaling_factor"], p["seq_len"])
    mine = set(np.flatnonzero(slow & (f > 1)).tolist())
    assert mine == {23, 24, 25}
    assert check_beyond_pairs(..., quiet=True).status == NOT_ATTEMPTED
    assert check_beyond_pairs(mine, quiet=True).status == CORRECT
    assert check_beyond_pairs([25, 23, 24], quiet=True).correct  # any order, a list is fine


def test_beyond_pairs_rejects_the_slow_end_and_all_nine():
    r = check_beyond_pairs({29, 30, 31}, quiet=True)  # "the slowest pairs overshoot first"
    assert r.status == WRONG and "3 of your items" in r.message and "3 are missing" in r.message
    assert "Hint" in r.message
    r = check_beyond_pairs(set(range(23, 32)), quiet=True)  # "all never-turned pairs, as without scaling"
    assert r.status == WRONG and "6 of your items" in r.message


def test_beyond_pairs_says_when_the_items_are_not_pair_numbers():
    r = check_beyond_pairs({"23", "24", "25"}, quiet=True)
    assert r.status == WRONG and "as integers, not str" in r.message and "Hint" in r.message
    r = check_beyond_pairs({23, 32}, quiet=True)  # D = 64 has pairs 0 to 31
    assert r.status == WRONG and "numbered 0 to 31; 32 is not one of them" in r.message
    assert check_beyond_pairs({23.0, 24, np.int64(25)}, quiet=True).correct


# --- exercise 2: where the base doubles -----------------------------------------------------------
def test_doubling_length():
    L, s, D = 4096, 2.0, 64
    a = 2 ** ((D - 2) / D)  # the bracket that doubles the base
    by_hand = math.ceil(L * (1 + (a - 1) / s))
    assert by_hand == 6057
    assert check_doubling_length(..., quiet=True).status == NOT_ATTEMPTED
    assert check_doubling_length(by_hand, quiet=True).correct
    assert check_doubling_length(np.int64(by_hand), quiet=True).correct


def test_doubling_length_rejects_length_ratio_and_rounding_down():
    assert check_doubling_length(6144, quiet=True).status == WRONG  # bracket 2 read as base x 2 at 1.5 L
    r = check_doubling_length(6056, quiet=True)  # floor instead of ceiling
    assert r.status == WRONG and "Hint" in r.message
    assert not check_doubling_length(6057.5, quiet=True).correct  # not a whole length


# --- exercise 3: the smallest s that keeps all never-turned pairs inside ---------------------------
def test_s_min():
    L, l, D = S_MIN_SETTING["max_position_embeddings"], S_MIN_SETTING["seq_len"], 64
    f, slow = fractions(L, 1.0, l)
    fastest_slow = int(np.flatnonzero(slow)[0])
    assert fastest_slow == 21
    a = ((l - 1) / (L - 1)) ** ((D - 2) / (2 * fastest_slow))
    by_hand = (a - 1) / (l / L - 1)
    assert check_s_min(..., quiet=True).status == NOT_ATTEMPTED
    assert check_s_min(by_hand, quiet=True).correct
    assert check_s_min(round(by_hand, 2), quiet=True).correct  # three significant digits: 1.63
    f, _ = fractions(L, by_hand * 1.001, l)
    assert (f[slow] <= 1).all()


def test_s_min_rejects_slowest_pair_and_length_ratio():
    L, l = S_MIN_SETTING["max_position_embeddings"], S_MIN_SETTING["seq_len"]
    slowest_only = ((l - 1) / (L - 1) - 1) / (l / L - 1)  # brings only pair 31 back: about 1.0005
    r = check_s_min(slowest_only, quiet=True)
    assert r.status == WRONG and "Hint" in r.message
    assert not check_s_min(l / L, quiet=True).correct  # "s = the length ratio"
    assert not check_s_min(1.62, quiet=True).correct
