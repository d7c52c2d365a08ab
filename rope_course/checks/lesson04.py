"""Exercise checkers for lesson 04 (the dynamic base).

1. `check_beyond_pairs(answer)`: predict which never-turned pairs leave their trained angle range
   at one setting (L = 4096, s = 2, l = 32L).
2. `check_doubling_length(answer)`: derive the first length at which the new base reaches twice
   the original (s = 2, D = 64, L = 4096).
3. `check_s_min(answer)`: derive the smallest scaling_factor that keeps every never-turned pair
   inside its trained range at the seed's long call (L = 2048, l = 3000).

The expected values are computed here from the package (`functional.dynamic_ntk_base`,
`angles.angle_report`), never printed by the lesson.
"""

from __future__ import annotations

from ..angles import angle_report
from ..functional import dynamic_ntk_base
from ._core import check_answer

__all__ = [
    "BEYOND_SETTING",
    "DOUBLING_SETTING",
    "S_MIN_SETTING",
    "check_beyond_pairs",
    "check_doubling_length",
    "check_s_min",
]

BEYOND_SETTING = {"max_position_embeddings": 4096, "scaling_factor": 2.0, "seq_len": 32 * 4096, "dim": 64,
                  "base": 10000.0}
DOUBLING_SETTING = {"max_position_embeddings": 4096, "scaling_factor": 2.0, "dim": 64, "base": 10000.0}
S_MIN_SETTING = {"max_position_embeddings": 2048, "seq_len": 3000, "dim": 64, "base": 10000.0}
S_MIN_RTOL = 2e-3  # "three significant digits": 1.63 for 1.629 passes, 1.62 does not


def _beyond_expected() -> set[int]:
    p = BEYOND_SETTING
    r = angle_report("dynamic NTK", p["seq_len"], p["scaling_factor"], p["dim"], p["base"],
                     p["max_position_embeddings"])
    return {int(i) for i in r["pairs_never_turned"][r["fraction"][r["never_turned"]] > 1]}


_BEYOND_HINT = ("a never-turned pair i sweeps (l-1)/(L-1) * a^(-2i/(D-2)) of its trained range; the factor "
                "a^(-2i/(D-2)) shrinks with i, so which end of the never-turned pairs goes beyond first?")


def check_beyond_pairs(answer, quiet: bool = False):
    """`answer`: the set of pair indices whose largest angle at seq_len exceeds their largest trained one."""
    last_pair = BEYOND_SETTING["dim"] // 2 - 1
    return check_answer(
        "beyond_pairs", answer, _beyond_expected() if answer is not Ellipsis else None,
        hint=_BEYOND_HINT, quiet=quiet, numbered=(0, last_pair, "pairs"),
    )


def _doubling_expected() -> int:
    p = DOUBLING_SETTING
    L, target = p["max_position_embeddings"], 2 * p["base"]

    def doubled(length):
        return dynamic_ntk_base(p["base"], p["dim"], length, L, p["scaling_factor"]) >= target

    low, high = L, 2 * L  # b' grows with l; at 2L with s = 2 the bracket is 3, so the base is past 2b
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if doubled(middle) else (middle, high)
    return high


def check_doubling_length(answer, quiet: bool = False):
    """`answer`: the smallest whole seq_len whose rebuild gives a base of at least 2 * base."""
    return check_answer(
        "doubling_length", answer, _doubling_expected() if answer is not Ellipsis else None,
        hint="solve a(l)^(D/(D-2)) = 2 for the bracket first, then a(l) = 1 + s(l/L - 1) for l, and take the "
             "first whole length at or past it.",
        quiet=quiet,
    )


def _s_min_expected() -> float:
    p = S_MIN_SETTING

    def inside(s):
        r = angle_report("dynamic NTK", p["seq_len"], s, p["dim"], p["base"], p["max_position_embeddings"])
        return r["n_beyond"] == 0

    low, high = 1.0, 16.0  # beyond at s = 1 (every never-turned pair is), inside at 16
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (low, middle) if inside(middle) else (middle, high)
    return high


def check_s_min(answer, quiet: bool = False):
    """`answer`: the smallest s (3 significant digits) that keeps every never-turned pair inside."""
    return check_answer(
        "s_min", answer, _s_min_expected() if answer is not Ellipsis else None, rtol=S_MIN_RTOL,
        hint="only the fastest never-turned pair matters (why?). Set its fraction (l-1)/(L-1) * a^(-2i/(D-2)) "
             "to 1, solve for the bracket a, then for s; give at least three significant digits.",
        quiet=quiet,
    )
