"""Exercise checkers for lesson 03 (when the cache rebuilds).

1. `check_trace_prediction(answer)`: predict, for a call trace on one dynamic module, how many
   calls rebuild and which length's base serves the sixth call.
2. `check_decode_rows(answer)`: derive how many table rows forward's rebuilds compute for a
   prefill followed by one-token decode steps.
3. `check_count_rebuilds(solution)`: find and fix the planted bug in a rebuild counter.

The expected values are computed here, from the package's simulation of the rule
(`rope_course.calls.simulate_calls`), never printed by the lesson.
"""

from __future__ import annotations

from ..calls import simulate_calls
from ._core import Case, check_answer, check_exercise

__all__ = [
    "TRACE_CALLS",
    "TRACE_L",
    "TRACE_SCALING_FACTOR",
    "TRACE_ASKED_CALL",
    "DECODE_PREFILL",
    "DECODE_STEPS",
    "REBUILD_CASES",
    "check_trace_prediction",
    "check_decode_rows",
    "check_count_rebuilds",
]

# Exercise 1: one dynamic module (D = 64, base 10000), L = 4096, s = 1.
TRACE_CALLS = (4000, 4001, 6000, 6001, 5000, 5001, 6002)
TRACE_L = 4096
TRACE_SCALING_FACTOR = 1.0
TRACE_ASKED_CALL = 6  # 1-based: the call of length 5001

# Exercise 2: prefill 4096 tokens, then 4096 one-token decode steps.
DECODE_PREFILL = 4096
DECODE_STEPS = 4096

REBUILD_CASES = [
    Case(([5, 6, 7],), label="5, 6, 7"),
    Case(([10],), label="one call of 10 on a fresh module"),
    Case(([2048],), label="one call of exactly L = 2048"),
    Case(([10, 10, 10],), label="the same length three times"),
    Case(([100, 50, 100, 101],), label="longer, shorter, equal, one more"),
    Case(([5 + k for k in range(11)],), label="prefill 5 then 10 one-token decode steps"),
    Case(([3000, 2500, 1000, 3001],), label="a long call, two shorter ones, one more token"),
    Case(([4096, 4097, 100, 4097, 4098],), label="4096, 4097, 100, 4097, 4098"),
]


def _trace_expected():
    records = simulate_calls(TRACE_CALLS, TRACE_L, TRACE_SCALING_FACTOR)
    rebuilds = sum(r.rebuilt for r in records)
    # The base in force at the asked call was set by the last rebuild past L at or before it.
    setters = [r.seq_len for r in records[:TRACE_ASKED_CALL] if r.rebuilt and r.seq_len > TRACE_L]
    return (rebuilds, setters[-1] if setters else TRACE_L)


def check_trace_prediction(answer, quiet: bool = False):
    """`answer = (number of calls of TRACE_CALLS that rebuild, l such that b'(l) serves call 6)`."""
    labels = ("(a), the number of rebuilds", f"(b), the length whose base serves call {TRACE_ASKED_CALL}")
    return check_answer(
        "trace_prediction", answer, _trace_expected() if answer is not Ellipsis else None,
        hint="the first call always rebuilds; after it, only a call strictly longer than every earlier one "
             "does. A call that does not rebuild runs on the base of the last rebuild.",
        quiet=quiet,
        item_names=labels,
    )


def _decode_rows_expected():
    calls = range(DECODE_PREFILL, DECODE_PREFILL + DECODE_STEPS + 1)
    return sum(r.seq_len for r in simulate_calls(calls, dynamic=False) if r.rebuilt)


def check_decode_rows(answer, quiet: bool = False):
    """`answer`: total rows computed by forward's rebuilds for the prefill and the decode steps."""
    return check_answer(
        "decode_rows", answer, _decode_rows_expected() if answer is not Ellipsis else None,
        hint="which of the calls rebuild, and how many rows does the rebuild at step k compute? "
             "Then close the sum (an arithmetic series); the init table does not count.",
        quiet=quiet,
    )


def _reference_count(calls):
    return sum(r.rebuilt for r in simulate_calls(calls, dynamic=False))


def check_count_rebuilds(solution, quiet: bool = False):
    """`solution(calls) -> int`: how many forward calls of a fresh module rebuild the cache."""
    return check_exercise(
        "count_rebuilds", solution, _reference_count, REBUILD_CASES,
        hint="what does __init__ leave in max_seq_len_cached, and what does forward do when it finds that? "
             "Then compare the rebuild test with forward's line by line.",
        quiet=quiet,
    )
