"""Lesson 10's checkers against independently written solutions (never the package's helpers),
the unattempted stubs, and typical wrong answers."""

import math

import numpy as np

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson10 import check_cluster_interval, check_s_min_at_3L, check_yarn_range_beta2

L, D, BASE = 128, 32, 100.0


def _angles_reached(seq_len, s):
    """Largest angle of every pair over `seq_len` tokens under dynamic NTK with class factor s (float64)."""
    a = 1 + s * (seq_len / L - 1)
    new_base = BASE * a ** (D / (D - 2))
    return [(seq_len - 1) * new_base ** (-2 * i / D) for i in range(D // 2)]


def s_min_by_bisection(seq_len):
    """Independent: bisect on s for the smallest factor that keeps every pair that never completed a
    turn in training (trained angle < 2 pi) inside its trained angle."""
    trained = [(L - 1) * BASE ** (-2 * i / D) for i in range(D // 2)]
    watched = [i for i, angle in enumerate(trained) if angle < 2 * math.pi]

    def inside(s):
        reached = _angles_reached(seq_len, s)
        return all(reached[i] <= trained[i] for i in watched)

    lo, hi = 1.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if inside(mid) else (mid, hi)
    return hi


def test_s_min_checker():
    assert check_s_min_at_3L(..., quiet=True).status == NOT_ATTEMPTED
    derived = s_min_by_bisection(3 * L)
    assert 1.5 < derived < 2.0
    assert check_s_min_at_3L(derived, quiet=True).status == CORRECT
    assert check_s_min_at_3L(np.float32(derived), quiet=True).status == CORRECT       # any scalar type
    assert check_s_min_at_3L(float(f"{derived:.3g}"), quiet=True).status == CORRECT  # the 3 digits asked for
    # typical wrong answers: the plain length ratio; the bound for the lowest pair only (L/(L-1));
    # the 4L value; i* taken as the last pair (D/2 - 1); the positions' ratio l/L for (l-1)/(L-1)
    lowest_pair_only = L / (L - 1)
    last_pair = (((3 * L - 1) / (L - 1)) ** ((D - 2) / (2 * (D // 2 - 1))) - 1) / (3 - 1)
    lengths_not_positions = (3.0 ** ((D - 2) / (2 * 11)) - 1) / (3 - 1)
    for wrong in (3.0, lowest_pair_only, s_min_by_bisection(4 * L), last_pair, lengths_not_positions):
        result = check_s_min_at_3L(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, wrong
        assert f"{s_min_by_bisection(3 * L):.3f}" not in result.message            # never the answer


def yarn_range_by_hand(beta_fast, beta_slow):
    """Independent: count rotations per pair over L tokens and find where they cross the betas."""
    def dim_for(rotations):
        # L * b^(-2 i / D) = 2 pi r  <=>  i = D/2 * log_b(L / (2 pi r))
        return D / 2 * math.log(L / (2 * math.pi * rotations), BASE)

    return max(math.floor(dim_for(beta_fast)), 0), min(math.ceil(dim_for(beta_slow)), D - 1)


def test_yarn_range_checker():
    assert check_yarn_range_beta2(..., quiet=True).status == NOT_ATTEMPTED
    answer = yarn_range_by_hand(2, 1)
    assert answer == (8, 11)
    assert check_yarn_range_beta2(answer, quiet=True).status == CORRECT
    assert check_yarn_range_beta2([8, 11], quiet=True).status == CORRECT
    assert check_yarn_range_beta2((np.int64(8), np.int64(11)), quiet=True).status == CORRECT
    # wrong: the toy's (4, 1) range; V3's literal (32, 1) range; unrounded dims; swapped
    for wrong in (yarn_range_by_hand(4, 1), yarn_range_by_hand(32, 1), (8.06, 10.47), (11, 8), 8, {8, 11}, {11, 8}):
        result = check_yarn_range_beta2(wrong, quiet=True)
        assert result.status == WRONG and "Hint" in result.message, wrong
    assert "a set" in check_yarn_range_beta2({11, 8}, quiet=True).message          # says why, not just 'wrong'


def interval_fixed(correct, n, n_boot=2000, seed=0):
    """Independent solution: resample whole sequences, and their answer counts with them."""
    correct, n = np.asarray(correct, float), np.asarray(n, float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(correct), size=(n_boot, len(correct)))
    reps = np.array([correct[row].sum() / n[row].sum() for row in draws])
    return float(np.percentile(reps, 2.5)), float(np.percentile(reps, 97.5))


def interval_as_planted(correct, n, n_boot=2000, seed=0):
    """The lesson's planted bug: the denominator is the full set's count, not the resample's."""
    correct, n = np.asarray(correct, float), np.asarray(n, float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(correct), size=(n_boot, len(correct)))
    reps = correct[idx].sum(axis=1) / n.sum()
    return np.percentile(reps, 2.5), np.percentile(reps, 97.5)


def interval_over_answers(correct, n, n_boot=2000, seed=0):
    """Another typical mistake: resample single answers (a binomial bootstrap)."""
    hits = np.concatenate([[1.0] * int(c) + [0.0] * int(k - c) for c, k in zip(correct, n)])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(hits), size=(n_boot, len(hits)))
    reps = hits[idx].mean(axis=1)
    return np.percentile(reps, 2.5), np.percentile(reps, 97.5)


def test_cluster_interval_checker():
    def stub(correct, n, n_boot=2000, seed=0):
        raise NotImplementedError

    assert check_cluster_interval(stub, quiet=True).status == NOT_ATTEMPTED
    assert check_cluster_interval(interval_fixed, quiet=True).status == CORRECT
    planted = check_cluster_interval(interval_as_planted, quiet=True)
    assert planted.status == WRONG and "unequal answer counts" in planted.message and "Hint" in planted.message
    answers = check_cluster_interval(interval_over_answers, quiet=True)
    assert answers.status == WRONG
    one_sided = check_cluster_interval(lambda c, n, n_boot=2000, seed=0: interval_fixed(c, n, n_boot, seed)[0],
                                       quiet=True)
    assert one_sided.status == WRONG
