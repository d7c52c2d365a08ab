"""Exercise checkers for lesson 06 (RoPE inside attention; trained angle ranges under dynamic NTK).

Every expected value is computed here from the package; the lesson never prints one.

1. `check_growth_exponent`: at a fixed factor s, the worst never-turned ratio grows like l^k for
   long l; k for Llama 2's rotary setting (GROWTH_SETTING).
2. `check_longest_safe_length`: with s = 2 (SAFE_LENGTH_SETTING), the longest l at which no
   never-turned pair leaves its trained range.
3. `check_slowest_pair_factor`: a function of L, the smallest s that keeps the slowest pair
   inside its trained range at every l > L.
"""

from __future__ import annotations

from ..attention import angle_ranges, first_never_turned_pair
from ._core import Case, check_answer, check_exercise

__all__ = [
    "GROWTH_SETTING",
    "SAFE_LENGTH_SETTING",
    "check_growth_exponent",
    "check_longest_safe_length",
    "check_slowest_pair_factor",
]

# Llama 2's rotary setting: head_dim 128, all of it rotary, base 10^4, trained at 4096.
GROWTH_SETTING = {"dim": 128, "base": 10000.0, "max_position_embeddings": 4096}
SAFE_LENGTH_SETTING = {"dim": 64, "base": 10000.0, "max_position_embeddings": 4096, "scaling_factor": 2.0}


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
        hint="at s = 2 the pairs are inside at 4L and not at 8L (the s_min table): find the exact length "
             "where s_min(l) passes 2, or where angle_ranges starts counting a pair beyond; one integer")


def _reference_slowest_pair_factor(max_position_embeddings):
    # (l-1)/((L-1) a) <= 1 with a = 1 + s(l-L)/L and l - 1 = (L-1) + (l-L): s >= L/(L-1), for every l
    return max_position_embeddings / (max_position_embeddings - 1)


_SLOWEST_CASES = [Case((L,), label=f"(L={L})") for L in (4096, 16, 2, 163840, 100)]


def check_slowest_pair_factor(solution, quiet: bool = False):
    """Exercise 3: `solution(max_position_embeddings) -> float`, the smallest scaling_factor that
    keeps the slowest pair (i = D/2 - 1) inside its trained range at every seq_len > L."""
    return check_exercise(
        "slowest_pair_factor", solution, _reference_slowest_pair_factor, _SLOWEST_CASES, rtol=1e-12, atol=0.0,
        quiet=quiet,
        hint="the slowest pair's frequency is divided by exactly a(l), so its ratio is (l-1)/((L-1) a(l)); "
             "write a(l) = 1 + s(l-L)/L and l-1 = (L-1) + (l-L), and see what s must be for every l")
