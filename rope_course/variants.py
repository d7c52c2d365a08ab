"""What came after: the formulas lesson 09 maps next to DeepSeek's YaRN.

Every method in the course multiplies the original frequencies theta_i = b^(-2i/D) by a per-pair
ratio. This module writes three more of them, from their rules, in float64 numpy:

* `llama3_inv_freq`: the `llama3` rope type (SOURCES.md#hf-llama3-parameters). A pair's number of
  turns over the original context, r_i = L0 theta_i / (2 pi), decides: r_i < low_freq_factor
  (slow pairs) -> theta_i / factor; r_i > high_freq_factor (fast pairs) -> theta_i unchanged;
  between, a blend whose weight is linear in r_i. It is "by parts" like YaRN, with the ramp in
  turns instead of in the pair index, and with no temperature (the attention factor is 1).
* `rescaled_inv_freq`: LongRoPE's form theta_i / lambda_i with one searched factor per pair
  (SOURCES.md#paper-longrope; the form as transformers' `longrope` type computes it,
  SOURCES.md#hf-longrope-parameters). Linear interpolation (lambda_i = s), NTK-aware and YaRN are
  points of that search space; `ratios_as_rescale_factors` turns a method's ratios into lambdas.
* `turns_in_context` and `critical_pair`: how many turns each pair makes within a context of
  length L, and the first pair that does not complete one (its wavelength 2 pi / theta_i exceeds
  L). "Scaling Laws of RoPE-based Extrapolation" calls that boundary the critical dimension
  (SOURCES.md#paper-rope-scaling-laws; the course's reading), and YaRN with beta_slow = 1
  interpolates exactly the pairs from it on. Lessons 01 and 06 count never-turned pairs over the
  trained positions 0 .. L-1, (L-1) theta_i < 2 pi (`angles.never_turned`); the two counts differ
  only for a pair whose wavelength lies in (L-1, L].

No widget imports.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import check_base, check_dim, check_max_position_embeddings, check_real, check_scaling_factor

__all__ = [
    "original_inv_freq",
    "llama3_inv_freq",
    "rescaled_inv_freq",
    "ratios_as_rescale_factors",
    "turns_in_context",
    "critical_pair",
]

TURN = 2 * math.pi


def original_inv_freq(dim, base) -> np.ndarray:
    """theta_i = b^(-2i/D) for i = 0 .. D/2 - 1, float64."""
    dim = check_dim(dim)
    base = check_base(base)
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def turns_in_context(dim, base, length) -> np.ndarray:
    """Turns each pair makes over `length` tokens: length * theta_i / (2 pi) (float64)."""
    length = check_max_position_embeddings(length)
    return length * original_inv_freq(dim, base) / TURN


def critical_pair(dim, base, length) -> int:
    """The first pair whose wavelength 2 pi / theta_i exceeds `length` (D/2 if none does).

    Pairs 0 .. critical_pair - 1 complete at least one turn within the context; the pairs from it
    on never do. Twice this index is a count of dimensions (each pair is two of them).
    """
    turns = turns_in_context(dim, base, length)
    slow = np.flatnonzero(turns < 1.0)
    return int(slow[0]) if slow.size else len(turns)


def llama3_inv_freq(dim, base, factor, low_freq_factor, high_freq_factor, original_max_position_embeddings):
    """The `llama3` rope type's frequencies, float64, from its rule (see the module docstring).

    A pair turning r = L0 theta / (2 pi) times over the original context L0 gets
    theta / factor if r < low_freq_factor, theta if r > high_freq_factor, and otherwise
    theta * ((1 - w) / factor + w) with w = (r - low_freq_factor) / (high_freq_factor - low_freq_factor).
    """
    theta = original_inv_freq(dim, base)
    factor = check_scaling_factor(factor)
    low = check_real("low_freq_factor", low_freq_factor, minimum=0.0, strict=True)
    high = check_real("high_freq_factor", high_freq_factor, minimum=0.0, strict=True)
    if high <= low:
        raise ValueError(f"high_freq_factor must be > low_freq_factor, got {high!r} <= {low!r}")
    length = check_max_position_embeddings(original_max_position_embeddings)
    turns = length * theta / TURN
    weight = np.clip((turns - low) / (high - low), 0.0, 1.0)  # 0 for the slow pairs, 1 for the fast
    return theta * ((1.0 - weight) / factor + weight)


def rescaled_inv_freq(dim, base, rescale_factors) -> np.ndarray:
    """LongRoPE's form: theta_i / lambda_i, one factor lambda_i > 0 per pair (float64)."""
    theta = original_inv_freq(dim, base)
    lambdas = np.asarray(rescale_factors, dtype=np.float64)
    if lambdas.shape != theta.shape:
        raise ValueError(f"rescale_factors must have one value per pair ({theta.shape[0]}), got shape {lambdas.shape}")
    if not np.all(np.isfinite(lambdas)) or not np.all(lambdas > 0):
        raise ValueError("rescale_factors must be finite and > 0")
    return theta / lambdas


def ratios_as_rescale_factors(ratios) -> np.ndarray:
    """The lambdas that reproduce a method given by its ratios inv_freq'/inv_freq: lambda = 1 / ratio."""
    ratios = np.asarray(ratios, dtype=np.float64)
    if not np.all(np.isfinite(ratios)) or not np.all(ratios > 0):
        raise ValueError("ratios must be finite and > 0")
    return 1.0 / ratios
