"""Cluster-bootstrap intervals: resample whole sequences, never single answers.

The answers inside one sequence share its context (the same distractors, the same text), so
they are not independent draws; a binomial interval over answers would be too narrow. Every
function here takes per-sequence totals (a numerator, e.g. correct answers or summed loss, and a
denominator, the scored count) and resamples sequences with replacement, seeded, so an interval
is reproducible to the last digit (numpy's PCG64 generator).
"""

from __future__ import annotations

import numpy as np

__all__ = ["N_BOOT", "argmax_interval", "bootstrap_indices", "difference_interval", "ratio_interval"]

N_BOOT = 2000


def bootstrap_indices(n_sequences: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """(n_boot, n_sequences) indices of sequences drawn with replacement."""
    if n_sequences < 1:
        raise ValueError(f"n_sequences must be >= 1, got {n_sequences}")
    return np.random.default_rng(seed).integers(0, n_sequences, size=(n_boot, n_sequences))


def _ratio(numer, denom, idx):
    return numer[idx].sum(axis=-1) / denom[idx].sum(axis=-1)


def ratio_interval(numer, denom, level: float = 0.95, n_boot: int = N_BOOT, seed: int = 0):
    """(estimate, low, high) of sum(numer)/sum(denom) with a percentile interval over sequences."""
    numer, denom = np.asarray(numer, dtype=float), np.asarray(denom, dtype=float)
    idx = bootstrap_indices(len(numer), n_boot, seed)
    reps = _ratio(numer, denom, idx)
    tail = (1 - level) / 2 * 100
    return float(numer.sum() / denom.sum()), float(np.percentile(reps, tail)), float(np.percentile(reps, 100 - tail))


def difference_interval(numer_a, numer_b, denom, level: float = 0.95, n_boot: int = N_BOOT, seed: int = 0):
    """(estimate, low, high) of ratio(a) - ratio(b) over the *same* sequences (a paired bootstrap)."""
    numer_a, numer_b = np.asarray(numer_a, dtype=float), np.asarray(numer_b, dtype=float)
    denom = np.asarray(denom, dtype=float)
    idx = bootstrap_indices(len(denom), n_boot, seed)
    reps = _ratio(numer_a, denom, idx) - _ratio(numer_b, denom, idx)
    tail = (1 - level) / 2 * 100
    est = numer_a.sum() / denom.sum() - numer_b.sum() / denom.sum()
    return float(est), float(np.percentile(reps, tail)), float(np.percentile(reps, 100 - tail))


def argmax_interval(grid, numer, denom, level: float = 0.95, n_boot: int = N_BOOT, seed: int = 0, lowest=False):
    """Where a curve over `grid` peaks, with an interval: numer[k, j] is sequence j's total at grid
    point k. Each bootstrap draw resamples the sequences once for the whole curve and takes its
    argmax (argmin when `lowest`, e.g. for a loss). Returns (best grid value, low, high)."""
    grid = np.asarray(grid, dtype=float)
    numer, denom = np.asarray(numer, dtype=float), np.asarray(denom, dtype=float)
    idx = bootstrap_indices(numer.shape[1], n_boot, seed)
    reps = numer[:, idx].sum(axis=-1) / denom[idx].sum(axis=-1)       # (k, n_boot)
    curve = numer.sum(axis=1) / denom.sum()
    pick = np.argmin if lowest else np.argmax
    best = grid[pick(reps, axis=0)]
    tail = (1 - level) / 2 * 100
    low = np.percentile(best, tail, method="lower")
    high = np.percentile(best, 100 - tail, method="higher")
    return float(grid[pick(curve)]), float(low), float(high)
