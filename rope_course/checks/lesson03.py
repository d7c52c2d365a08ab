"""Exercise checkers for lesson 03 (when the cache rebuilds)."""

from __future__ import annotations

from ..calls import simulate_calls
from ._core import Case, check_exercise

__all__ = ["check_count_rebuilds", "check_rows_built", "REBUILD_CASES"]

REBUILD_CASES = [
    Case(([5, 6, 7],), label="5, 6, 7"),
    Case(([10],), label="one call of 10 on a fresh module"),
    Case(([2048],), label="one call of exactly L = 2048 (init built 2048 rows, then set the length to None)"),
    Case(([10, 10, 10],), label="the same length three times"),
    Case(([100, 50, 100, 101],), label="longer, shorter, equal, one more"),
    Case(([5 + k for k in range(11)],), label="prefill 5 then 10 one-token decode steps"),
    Case(([3000, 2500, 1000, 3001],), label="a long call, two shorter ones, one more token"),
]


def _reference_count(calls):
    return sum(r.rebuilt for r in simulate_calls(calls, dynamic=False))


def _reference_rows(calls):
    return sum(r.seq_len for r in simulate_calls(calls, dynamic=False) if r.rebuilt)


def check_count_rebuilds(solution, quiet: bool = False):
    """`solution(calls) -> int`: how many forward calls of a fresh module rebuild the cache."""
    return check_exercise("count_rebuilds", solution, _reference_count, REBUILD_CASES, quiet=quiet)


def check_rows_built(solution, quiet: bool = False):
    """`solution(calls) -> int`: total table rows computed by forward's rebuilds (not __init__'s)."""
    return check_exercise("rows_built", solution, _reference_rows, REBUILD_CASES, quiet=quiet)
