"""Checkers for lesson 10 (does it extrapolate?).

Expected values are computed here from the package (never printed by the lesson):
`s_min` from `rope_course.attention` (lesson 06's bound, which the toy's `ntk_smin` uses), the
correction range from `rope_course.yarn`, the cluster-bootstrap interval from `rope_course.toy.stats`.
"""

from __future__ import annotations

import numpy as np

from ..attention import s_min
from ..toy import stats
from ..yarn import yarn_find_correction_range
from ._core import WRONG, Case, CheckResult, check_answer, check_exercise, report

__all__ = ["check_s_min_at_3L", "check_yarn_range_beta2", "check_cluster_interval", "TOY"]

TOY = {"L": 128, "D": 32, "base": 100.0}


def check_s_min_at_3L(answer, quiet=False):
    """Exercise 1: the class factor s_min(l) for the toy at l = 3L = 384, to 3 significant digits
    (rtol 2e-3: the rounded value passes; (l/L)^k for ((l-1)/(L-1))^k, 0.9% lower, does not)."""
    expected = s_min(3 * TOY["L"], TOY["L"], TOY["D"], TOY["base"])
    return check_answer(
        "s_min_at_3L", answer, expected, rtol=2e-3,
        hint="find i*, the first pair whose angle over the window, (L-1)·b^(-2i/D), stays below 2π; then "
             "solve a(l)^(2i*/(D-2)) = (l-1)/(L-1) for the bracket a(l) = 1 + s(l/L - 1)", quiet=quiet)


def check_yarn_range_beta2(answer, quiet=False):
    """Exercise 2: YaRN's correction range (low, high) on the toy with beta_fast = 2, beta_slow = 1.

    The order matters, so a set (which has none: {11, 8} iterates as 8, 11) is refused here rather
    than compared item by item."""
    name = "yarn_range_beta2"
    hint = ("a tuple of two ints; the correction dim for r rotations is D·ln(L/(2πr))/(2 ln b), floored at "
            "r = beta_fast and ceiled at r = beta_slow, then clamped to [0, D-1]")
    if isinstance(answer, (set, frozenset)):
        message = f"{name}: wrong: expected a tuple (low, high) in that order, got a set, which has no order"
        return report(CheckResult(WRONG, f"{message}\n  Hint: {hint}", name, hint), quiet)
    expected = tuple(yarn_find_correction_range(2, 1, TOY["D"], TOY["base"], TOY["L"]))
    return check_answer(name, tuple(answer) if isinstance(answer, list) else answer, expected, hint=hint, quiet=quiet)


def _interval(correct, n, n_boot=2000, seed=0):
    est, low, high = stats.ratio_interval(correct, n, n_boot=n_boot, seed=seed)
    return (low, high)


def _interval_cases():
    rng = np.random.default_rng(10)
    cases = [Case(([3, 4, 4, 2], [4, 4, 4, 4]), label="4 sequences, 4 answers each (equal counts)")]
    for n_seq, label in ((12, "12 sequences, unequal answer counts"), (40, "40 sequences, unequal answer counts")):
        n = rng.integers(1, 30, size=n_seq)
        correct = rng.binomial(n, 0.6)
        cases.append(Case((correct.tolist(), n.tolist()), label=label))
    cases.append(Case(([0, 9, 1, 10, 0], [1, 10, 2, 10, 1]), {"seed": 3}, label="5 sequences, seed=3"))
    return cases


def check_cluster_interval(fn, quiet=False):
    """Exercise 3 (find the bug): the 95% cluster-bootstrap interval of sum(correct)/sum(n)."""
    def as_pair(correct, n, **kw):
        out = fn(correct, n, **kw)
        return tuple(float(v) for v in out) if isinstance(out, (tuple, list)) and len(out) == 2 else out

    return check_exercise(
        "cluster_interval", as_pair, _interval, _interval_cases(), rtol=1e-9, atol=1e-12, quiet=quiet,
        hint="it is right when every sequence has the same number of answers; what changes in a resample "
             "when they do not?")
