"""Check-yourself helpers and the exercise-checker framework the lessons use.

* `compare(name, got, expected)` prints one line: exact / close / max-diff (nn-zero-to-hero style).
* `check_exercise(name, fn, reference, cases)` runs a learner's function on reference cases;
  `check_answer(name, answer, expected)` checks a predicted or derived value. Both report
  "not attempted yet" for the stub, "correct", or exactly what is wrong plus a hint, and return a
  `CheckResult`. See `_core` for the comparison rules and the progress record.
"""

from ._core import (
    CORRECT,
    NOT_ATTEMPTED,
    PROGRESS_ENV,
    WRONG,
    Case,
    CheckResult,
    check_answer,
    check_exercise,
    compare,
    mismatch,
    report,
)

__all__ = [
    "CORRECT",
    "WRONG",
    "NOT_ATTEMPTED",
    "PROGRESS_ENV",
    "Case",
    "CheckResult",
    "check_answer",
    "check_exercise",
    "compare",
    "mismatch",
    "report",
]
