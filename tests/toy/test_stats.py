import numpy as np
import pytest

from rope_course.toy.stats import argmax_interval, bootstrap_indices, difference_interval, ratio_interval


def test_ratio_interval_resamples_whole_sequences():
    correct, n = [3, 0, 5, 2], [4, 2, 5, 4]
    est, lo, hi = ratio_interval(correct, n, n_boot=500, seed=1)
    assert est == 10 / 15
    idx = np.random.default_rng(1).integers(0, 4, size=(500, 4))      # the same draws, by hand
    reps = [sum(correct[j] for j in row) / sum(n[j] for j in row) for row in idx]
    assert (lo, hi) == (pytest.approx(np.percentile(reps, 2.5)), pytest.approx(np.percentile(reps, 97.5)))
    assert lo < est < hi


def test_one_repeated_sequence_has_no_spread_and_identical_methods_no_difference():
    assert ratio_interval([2, 2, 2], [4, 4, 4])[1:] == (0.5, 0.5)
    a = [1, 4, 2, 0]
    assert difference_interval(a, a, [4, 4, 4, 4]) == (0.0, 0.0, 0.0)
    est, lo, hi = difference_interval([4, 4, 3, 4], [1, 0, 2, 1], [4, 4, 4, 4], n_boot=300)
    assert est == pytest.approx(11 / 16) and 0 < lo <= est <= hi


def test_argmax_interval_finds_a_clear_peak_and_widens_on_a_flat_curve():
    rng = np.random.default_rng(0)
    grid = [1.0, 2.0, 3.0, 4.0]
    n = np.full(40, 10)
    peaked = np.stack([rng.binomial(n, p) for p in (0.2, 0.9, 0.3, 0.1)])
    assert argmax_interval(grid, peaked, n) == (2.0, 2.0, 2.0)
    flat = np.stack([rng.binomial(n, 0.5) for _ in grid])
    best, lo, hi = argmax_interval(grid, flat, n)
    assert lo < hi and lo <= best <= hi and lo in grid and hi in grid
    loss = np.stack([n * v for v in (3.0, 1.0, 2.0, 4.0)])
    assert argmax_interval(grid, loss, n, lowest=True)[0] == 2.0


def test_bootstrap_indices_are_seeded_and_refuse_an_empty_set():
    assert np.array_equal(bootstrap_indices(5, 10, seed=3), bootstrap_indices(5, 10, seed=3))
    with pytest.raises(ValueError, match="n_sequences"):
        bootstrap_indices(0)
