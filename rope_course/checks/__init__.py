"""Check-yourself helpers and the exercise-checker framework the lessons use.

* `compare(name, got, expected)` prints one line: exact / close / max-diff (nn-zero-to-hero style).
* `check_exercise(name, fn, reference, cases)` runs a learner's function on reference cases;
  `check_answer(name, answer, expected)` checks a predicted or derived value. Both report
  "not attempted yet" for the stub, "correct", or exactly what is wrong plus a hint, and return a
  `CheckResult`. See `_core` for the comparison rules and the progress record.

The lesson-specific checkers are `rope_course.checks.lessonNN`.
"""

from . import _core
from ._core import *  # noqa: F403  (exactly _core.__all__)

__all__ = list(_core.__all__)
