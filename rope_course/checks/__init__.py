"""Check-yourself helpers and the exercise-checker framework the lessons use.

* `compare(name, got, expected)` prints one line: exact / close / max-diff (nn-zero-to-hero style).
* `check_exercise(fn, cases)` runs a learner's function on reference cases and reports
  "not attempted yet" (the stub raises NotImplementedError), "correct", or the first case that
  is wrong with expected vs got. It returns a `CheckResult` so tests can inspect the verdict.
"""

from ._core import NOT_ATTEMPTED, CheckResult, Case, check_exercise, compare

__all__ = ["NOT_ATTEMPTED", "CheckResult", "Case", "check_exercise", "compare"]
