"""Exercise checkers for lesson 06 (RoPE inside attention; trained angle ranges under dynamic NTK).

Every expected value is computed here from the package; the lesson never prints one.

1. `check_growth_exponent`: at a fixed factor s, the worst never-turned ratio grows like l^k for
   long l; k for Llama 2's rotary setting (GROWTH_SETTING).
2. `check_longest_safe_length`: with s = 1.75 (SAFE_LENGTH_SETTING), the longest l at which no
   never-turned pair leaves its trained range.
3. `check_farthest_new_angle`: for a never-turned pair (FARTHEST_SETTING), the largest distance
   on the circle from any angle to the nearest of the L angles the pair met in training: the
   most any length or method can take it from them.
"""

from __future__ import annotations

import math

import numpy as np

from ..attention import angle_ranges, first_never_turned_pair, inv_freq64
from ._core import check_answer

__all__ = [
    "GROWTH_SETTING",
    "SAFE_LENGTH_SETTING",
    "FARTHEST_SETTING",
    "check_growth_exponent",
    "check_longest_safe_length",
    "check_farthest_new_angle",
]

# Llama 2's rotary setting: head_dim 128, all of it rotary, base 10^4, trained at 4096.
GROWTH_SETTING = {"dim": 128, "base": 10000.0, "max_position_embeddings": 4096}
# s = 1.75: lesson 01 prints where the pairs leave their range at s = 2 (and at s = 1, 1.25, 1.5,
# 2.5, 3, ...), so the exercise uses a factor that no lesson shows.
SAFE_LENGTH_SETTING = {"dim": 64, "base": 10000.0, "max_position_embeddings": 4096, "scaling_factor": 1.75}
# Pair 24 of D = 64, b = 10^4: theta_24 = 10^-3 exactly, so the answer can be found by hand.
FARTHEST_SETTING = {"dim": 64, "base": 10000.0, "max_position_embeddings": 4096, "pair": 24}


def _growth_exponent() -> float:
    # ratio_i* = (l-1)/(L-1) * a^(-2 i*/(D-2)) with a ~ s l / L for long l: l^(1 - 2 i*/(D-2))
    g = GROWTH_SETTING
    i_star = first_never_turned_pair(g["dim"], g["base"], g["max_position_embeddings"])
    return 1 - 2 * i_star / (g["dim"] - 2)


def check_growth_exponent(answer, quiet: bool = False):
    """Exercise 1: k in (worst never-turned ratio) ~ l^k at fixed s, for GROWTH_SETTING (rtol 2e-3)."""
    return check_answer(
        "growth_exponent", answer, _growth_exponent(), rtol=2e-3, quiet=quiet,
        hint="for long l the bracket a(l) is about s*l/L; write the ratio of the first never-turned pair "
             "as a power of l, and find which pair that is for D = 128 (it is not the same index as for D = 64)")


def _safe(seq_len: int) -> bool:
    s = SAFE_LENGTH_SETTING
    return angle_ranges(s["dim"], s["base"], seq_len, s["max_position_embeddings"],
                        s["scaling_factor"])["n_beyond_dynamic"] == 0


def _longest_safe_length() -> int:
    """Bisection on l over [L, 64 L]: safe at L (nothing changes), unsafe at 64 L. At fixed s the
    first never-turned pair's ratio (l-1)/(L-1) a(l)^(-c) is 1 at L and has one minimum (the
    derivative of its log changes sign once, at a length linear in L), so it crosses 1 once:
    the safe lengths past L are one interval."""
    lo, hi = SAFE_LENGTH_SETTING["max_position_embeddings"], 64 * SAFE_LENGTH_SETTING["max_position_embeddings"]
    if not _safe(lo) or _safe(hi):
        raise RuntimeError("the bisection needs a safe L and an unsafe 64 L")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _safe(mid) else (lo, mid)
    return lo


def check_longest_safe_length(answer, quiet: bool = False):
    """Exercise 2: the largest seq_len at which no never-turned pair exceeds its trained range,
    for SAFE_LENGTH_SETTING (an int, exact)."""
    return check_answer(
        "longest_safe_length", answer, _longest_safe_length(), quiet=quiet,
        hint="at s = 1.75 the pairs are inside at 2L and not at 4L (the s_min table): find the exact length "
             "where s_min(l) passes 1.75, or where angle_ranges starts counting a pair beyond; one integer")


def _farthest_new_angle() -> float:
    """Half the widest gap between the pair's trained angles p * theta (p = 0 .. L-1) on the circle:
    the point in the middle of that gap is the farthest any angle can be from all of them."""
    s = FARTHEST_SETTING
    theta = inv_freq64(s["base"], s["dim"])[s["pair"]]
    trained = np.sort(np.mod(np.arange(s["max_position_embeddings"]) * theta, 2 * math.pi))
    gaps = np.diff(np.append(trained, trained[0] + 2 * math.pi))
    return float(gaps.max() / 2)


def check_farthest_new_angle(answer, quiet: bool = False):
    """Exercise 3: the largest distance (radians, on the circle) from any angle to the nearest angle
    pair FARTHEST_SETTING["pair"] met in training (rtol 1e-3)."""
    return check_answer(
        "farthest_new_angle", answer, _farthest_new_angle(), rtol=1e-3, quiet=quiet,
        hint="cos and sin repeat every 2 pi: mark on a circle the arc of angles the pair met in training "
             "(0 to (L-1) theta_24) and the part it never met; which point is farthest from every trained angle?")
