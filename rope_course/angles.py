"""The arcs the rotary pairs sweep: the math behind the clock picture (lessons 01, 04, 06).

Pair i of a query or key at position p is turned by the angle p * theta_i, where theta_i is
inv_freq[i] (index 0 = highest frequency). Think of each pair as a clock hand: over the
positions 0 .. n-1 of a window it sweeps the arc (n - 1) * theta_i.

* In training (n = L = max_position_embeddings) a fast pair sweeps many full turns, so it has
  seen every angle: it is *familiar* at any length. A slow pair sweeps less than one turn,
  (L - 1) theta_i < 2 pi: it has **never turned** once, and only the arc [0, (L-1) theta_i]
  is familiar to it.
* At a request of length l the same pair sweeps (l - 1) theta'_i, where theta' is what the
  scaling method makes of the frequencies. The **fraction of the trained angle range** is
  (l - 1) theta'_i / ((L - 1) theta_i): above 1 the hand leaves its trained arc, below 1 it is
  squeezed inside it.

Methods (all of them as DeepSeek's `modeling_deepseek.py` classes compute their inv_freq):
`"plain"` (no scaling), `"dynamic NTK"` (the base b' of a fresh module rebuilt at l, unchanged
for l <= L), `"PI"` (the linear class: every frequency divided by s, at any length) and
`"YaRN"` (DeepSeek's YaRN blend with original_max_position_embeddings = L and V3's betas 32/1,
in float64; independent of l).

Numbers (D = 64, b = 10^4; checked in tests/test_angles.py):

* L = 4096 gives exactly 9 never-turned pairs, i = 23 .. 31 (the same 9 whose wavelength
  exceeds L). Plain RoPE at l = 2L takes all 9 to (l-1)/(L-1) = 2.0002 of their range; dynamic
  NTK at s = 1 to 1.0001 .. 1.196. At s = 1 and l = 32L dynamic NTK leaves 8 of them beyond
  their range by 12% to 2.445x (pair 23); the 9th, the slowest, lands at 1.00024, beyond only
  by the one-position offset (l-1)L/((L-1)l). At s = 2, l = 2L all 9 are compressed, to
  0.667 .. 0.885.
* L = 2048 (the seed lesson's setting) has 11 never-turned pairs, i = 21 .. 31. At s = 2 they
  are all compressed: to 0.667 .. 0.950 at l = 2L and to 0.759 .. 0.939 at l = 3000.

Pure float64 numpy; no widget imports.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import check_int, check_max_position_embeddings, check_scaling_factor, check_seq_len
from .attention import inv_freq64
from .functional import dynamic_ntk_base
from .yarn import yarn_find_correction_range, yarn_linear_ramp_mask

__all__ = [
    "METHODS",
    "YARN_BETAS",
    "swept_arc",
    "never_turned",
    "method_inv_freq",
    "trained_range_fraction",
    "angle_report",
]

METHODS = ("plain", "dynamic NTK", "PI", "YaRN")
YARN_BETAS = (32, 1)  # DeepSeek-V3's beta_fast, beta_slow
TURN = 2 * math.pi


def swept_arc(inv_freq, n_positions: int) -> np.ndarray:
    """Arc (radians, float64) swept by every pair over positions 0 .. n-1: (n - 1) * inv_freq[i]."""
    n_positions = check_int("n_positions", n_positions, 1)
    return (n_positions - 1) * np.asarray(inv_freq, dtype=np.float64)


def never_turned(trained_arc) -> np.ndarray:
    """True for the pairs whose trained arc is less than one full turn (2 pi)."""
    return np.asarray(trained_arc, dtype=np.float64) < TURN


def method_inv_freq(method: str, seq_len: int, dim: int = 64, base: float = 10000.0,
                    max_position_embeddings: int = 4096, scaling_factor: float = 1.0) -> np.ndarray:
    """The frequencies (float64) that `method` uses for a request of length `seq_len`."""
    seq_len = check_seq_len(seq_len)
    L = check_max_position_embeddings(max_position_embeddings)
    s = check_scaling_factor(scaling_factor)
    if method == "plain":
        return inv_freq64(base, dim)
    if method == "dynamic NTK":
        return inv_freq64(dynamic_ntk_base(base, dim, seq_len, L, s), dim)
    if method == "PI":
        return inv_freq64(base, dim) / s
    if method == "YaRN":
        # DeepSeek's blend theta * (1 - ramp) + (theta / s) * ramp, written so that a pair with
        # ramp 0 keeps theta exactly (and s = 1 gives plain RoPE exactly) in float64.
        low, high = yarn_find_correction_range(*YARN_BETAS, dim, base, L)
        ramp = yarn_linear_ramp_mask(low, high, dim // 2).double().numpy()
        return inv_freq64(base, dim) * (1.0 + ramp * (1.0 / s - 1.0))
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def trained_range_fraction(arc, trained_arc) -> np.ndarray:
    """arc / trained_arc per pair: above 1 a hand leaves the arc it swept in training."""
    return np.asarray(arc, dtype=np.float64) / np.asarray(trained_arc, dtype=np.float64)


def angle_report(method: str, seq_len: int, scaling_factor: float = 1.0, dim: int = 64, base: float = 10000.0,
                 max_position_embeddings: int = 4096) -> dict:
    """Everything the clock and the fraction pictures show, for one method at one length.

    trained_arc, arc: (L-1) theta_i and (l-1) theta'_i (radians); fraction: their ratio;
    never_turned: bool mask; pairs_never_turned: their indices; n_never_turned; n_beyond
    (never-turned pairs with fraction > 1); fraction_min / fraction_max over the never-turned
    pairs; base: the base in force (b' for dynamic NTK, b otherwise).
    """
    L = check_max_position_embeddings(max_position_embeddings)
    trained = swept_arc(inv_freq64(base, dim), L)
    arc = swept_arc(method_inv_freq(method, seq_len, dim, base, L, scaling_factor), seq_len)
    fraction = trained_range_fraction(arc, trained)
    mask = never_turned(trained)
    slow = fraction[mask]
    in_force = dynamic_ntk_base(base, dim, seq_len, L, scaling_factor) if method == "dynamic NTK" else float(base)
    return {
        "method": method,
        "seq_len": int(seq_len),
        "scaling_factor": float(scaling_factor),
        "max_position_embeddings": L,
        "base": float(in_force),
        "trained_arc": trained,
        "arc": arc,
        "fraction": fraction,
        "never_turned": mask,
        "pairs_never_turned": np.flatnonzero(mask),
        "n_never_turned": int(mask.sum()),
        "n_beyond": int((slow > 1).sum()),
        "fraction_min": float(slow.min()) if slow.size else math.nan,
        "fraction_max": float(slow.max()) if slow.size else math.nan,
    }
