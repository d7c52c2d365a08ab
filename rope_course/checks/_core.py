"""The exercise-checker framework: fair comparisons, precise messages, hints, a progress record.

Two kinds of exercise:

* "write a function" (`check_exercise`): the learner's function runs on reference cases and its
  results are compared with the reference's;
* "predict / derive / find the bug" (`check_answer`): the learner writes a value (a number, a
  bool, a string, a tuple, list or set of those, a tensor); the stub is `answer = ...`.

Comparison rules (`mismatch`), the same for both:

* Python, numpy and one-element torch scalars count alike (`np.int64(9)` is 9);
* integers are compared exactly (100001 is not 100000; 9.0 counts as 9); bools are not integers;
* floats with a relative and an absolute tolerance;
* strings ignoring case and surrounding spaces;
* tensors: first the type ("expected a tensor, got list"), then the shape, then the dtype when
  the task names one (`dtype=`), then the values (integer and bool tensors exactly);
* tuples and lists item by item; sets as sets, reporting only how many items are wrong or missing.

A result is *reported* unless `quiet=True`: its message is printed, and, when the environment
variable `ROPE_COURSE_PROGRESS_FILE` names a file, one JSON line
`{"exercise", "status", "message"}` is appended to it. `make progress` reads that file; it never
parses printed text. Composite checkers call the parts with `quiet=True` and `report` the whole.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = [
    "CORRECT",
    "WRONG",
    "NOT_ATTEMPTED",
    "PROGRESS_ENV",
    "Case",
    "CheckResult",
    "check_exercise",
    "check_answer",
    "compare",
    "mismatch",
    "report",
]

CORRECT = "correct"
WRONG = "wrong"
NOT_ATTEMPTED = "not attempted yet"
PROGRESS_ENV = "ROPE_COURSE_PROGRESS_FILE"


@dataclass(frozen=True)
class Case:
    """One input for an exercise: positional args, keyword args, and a label for messages."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return "(" + ", ".join(parts) + ")"


@dataclass
class CheckResult:
    """The verdict on one exercise. `str()` and IPython show the message."""

    status: str  # CORRECT, WRONG or NOT_ATTEMPTED
    message: str
    exercise: str = ""
    hint: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.message)


def _name_item(why: str | None, item_names) -> str | None:
    """`why` with the framework's 0-based "item k" replaced by the exercise's own name for item k
    (a learner reads "call 3", not "item 2"); None (no mismatch) stays None."""
    if why is None:
        return None
    match = re.search(r"\bitem (\d+):", why)
    if not item_names or match is None or int(match.group(1)) >= len(item_names):
        return why
    return why.replace(match.group(0), f"{item_names[int(match.group(1))]}:", 1)


def report(result: CheckResult, quiet: bool = False) -> CheckResult:
    """Print the message and append the progress record (unless `quiet`); return the result."""
    if quiet:
        return result
    print(result.message)
    path = os.environ.get(PROGRESS_ENV)
    if path:
        record = {"exercise": result.exercise, "status": result.status, "message": result.message}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    return result


# --- comparison ---------------------------------------------------------------------------
class _NotScalar(Exception):
    pass


def _scalar(value):
    """A Python bool/int/float/complex for a Python, numpy or one-element torch scalar."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise _NotScalar(f"a tensor of shape {tuple(value.shape)}")
        return value.detach().cpu().item()
    if isinstance(value, (np.generic, np.ndarray)):
        array = np.asarray(value)
        if array.size != 1:
            raise _NotScalar(f"an array of shape {array.shape}")
        return array.item()
    if isinstance(value, numbers.Number):
        return value
    raise _NotScalar(_type_name(value))


def _type_name(value) -> str:
    if isinstance(value, torch.Tensor):
        return "tensor"
    return type(value).__name__


def _show(value, limit: int = 120) -> str:
    """A short description for messages: tensors by shape, dtype and first values; anything else
    by its repr, cut to `limit` characters (a learner's 8192-item list must not flood the cell)."""
    if isinstance(value, torch.Tensor):
        flat = value.detach().flatten()
        head = ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in flat[:4].tolist())
        more = ", ..." if flat.numel() > 4 else ""
        return f"tensor of shape {tuple(value.shape)}, dtype {value.dtype}: [{head}{more}]"
    if isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value):
        inner = ", ".join(_show(v, limit) for v in value[:4]) + (", ..." if len(value) > 4 else "")
        return f"{type(value).__name__} of {len(value)}: ({inner})"
    if isinstance(value, float):
        return f"{value:.10g}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 20] + f"... ({len(text)} characters)"


def _number_mismatch(got, expected, rtol: float, atol: float) -> str | None:
    try:
        value = _scalar(got)
    except _NotScalar as why:
        return f"expected a number, got {why}"
    if isinstance(expected, bool):
        if not isinstance(value, bool):
            return f"expected True or False, got {_type_name(got)} {value!r}"
        return None if value == expected else "wrong value"
    if isinstance(value, bool):
        return "expected a number, got a bool"
    if isinstance(value, complex):
        return "got a complex number (a fractional power of a negative number?)"
    if isinstance(expected, numbers.Integral):
        if isinstance(value, float) and not value.is_integer():
            return f"expected a whole number, got {value!r}"
        return None if int(value) == int(expected) else "wrong value"
    expected = float(expected)
    value = float(value)
    if math.isnan(expected) and math.isnan(value):
        return None
    return None if math.isclose(value, expected, rel_tol=rtol, abs_tol=atol) else "wrong value"


def _tensor_mismatch(got, expected: torch.Tensor, rtol: float, atol: float, dtype) -> str | None:
    if not isinstance(got, torch.Tensor):
        return f"expected a tensor, got {_type_name(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"the shape is {tuple(got.shape)}, expected {tuple(expected.shape)}"
    if dtype is not None and got.dtype != dtype:
        return f"the dtype is {got.dtype}, but the task asks for {dtype}"
    if got.is_complex() and not expected.is_complex():
        return "the tensor is complex (a fractional power of a negative number?)"
    got_cpu, exp_cpu = got.detach().cpu(), expected.detach().cpu()
    if not (exp_cpu.dtype.is_floating_point or exp_cpu.is_complex()):
        if got_cpu.dtype.is_floating_point and not torch.equal(got_cpu, got_cpu.round()):
            return "expected whole numbers, got fractions"
        same = torch.equal(got_cpu.to(torch.float64), exp_cpu.to(torch.float64))
        return None if same else "the values differ"
    if got_cpu.numel() == 0:
        return None
    g, e = got_cpu.to(torch.float64), exp_cpu.to(torch.float64)
    if torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        return None
    return f"the values differ (max abs diff {(g - e).abs().nan_to_num(math.inf).max().item():.3g})"


def _as_items(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, (torch.Tensor, np.ndarray)) and getattr(value, "ndim", 0) == 1:
        return list(value.tolist())
    if isinstance(value, (set, frozenset)):
        return list(value)
    return None


def _normalise_key(value):
    """Hashable form of a set member: numbers by value, strings ignoring case."""
    if isinstance(value, str):
        return value.strip().casefold()
    try:
        number = _scalar(value)
    except _NotScalar:
        return value
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def mismatch(got, expected, rtol: float = 1e-5, atol: float = 1e-8, dtype=None) -> str | None:
    """None when `got` matches `expected` under the rules above, else what is wrong, in words."""
    if isinstance(expected, torch.Tensor):
        return _tensor_mismatch(got, expected, rtol, atol, dtype)
    if expected is None:
        return None if got is None else f"expected None, got {_type_name(got)}"
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"expected a string, got {_type_name(got)}"
        return None if got.strip().casefold() == expected.strip().casefold() else "wrong value"
    if isinstance(expected, (set, frozenset)):
        items = _as_items(got)
        if items is None:
            return f"expected a set (or list) of items, got {_type_name(got)}"
        mine = {_normalise_key(v) for v in items}
        want = {_normalise_key(v) for v in expected}
        extra, missing = len(mine - want), len(want - mine)
        if not extra and not missing:
            return None
        return (f"{extra} of your items {'does' if extra == 1 else 'do'} not belong there and "
                f"{missing} {'is' if missing == 1 else 'are'} missing")
    if isinstance(expected, (tuple, list)) and not isinstance(expected, torch.Size):
        if isinstance(got, (set, frozenset)):  # a set has no order, so it cannot answer in order
            return f"expected a {type(expected).__name__} of {len(expected)} items in order, got {_type_name(got)}"
        items = _as_items(got)
        if items is None:
            return f"expected a {type(expected).__name__} of {len(expected)} items, got {_type_name(got)}"
        if len(items) != len(expected):
            return f"expected {len(expected)} items, got {len(items)}"
        for i, (g, e) in enumerate(zip(items, expected)):
            why = mismatch(g, e, rtol, atol, dtype)
            if why:
                return f"item {i}: {why}"
        return None
    if isinstance(expected, (numbers.Number, np.generic)):
        return _number_mismatch(got, _scalar(expected), rtol, atol)
    if isinstance(expected, torch.dtype):
        return None if got == expected else f"expected a torch dtype, got {_show(got)}"
    return None if got == expected else "wrong value"


def _unnumbered_item(answer, numbered) -> str | None:
    """Why `answer` (a set, list or tuple) is not a collection of the numbers `first`..`last` of
    the `what`, given `numbered = (first, last, what)`: strings, non-whole floats, bools, numbers
    out of range; else None. Without it such an answer only gets "n of your items do not belong"."""
    if numbered is None or not isinstance(answer, (set, frozenset, list, tuple)):
        return None  # mismatch says what it expected
    first, last, what = numbered
    for item in answer:
        whole = isinstance(item, numbers.Real) and float(item).is_integer()  # 5.0 counts as 5, as elsewhere
        if isinstance(item, bool) or not whole:
            return f"the {what} are numbered: give their numbers as integers, not {type(item).__name__} {item!r}"
        if not first <= item <= last:
            return f"the {what} are numbered {first} to {last}; {item} is not one of them"
    return None


def _with_hint(message: str, hint: str | None) -> str:
    return f"{message}\n  Hint: {hint}" if hint else message


# --- the two checkers -----------------------------------------------------------------------
def check_exercise(
    name: str,
    solution: Callable,
    reference: Callable,
    cases: Sequence[Case],
    rtol: float = 1e-5,
    atol: float = 1e-8,
    quiet: bool = False,
    *,
    hint: str | None = None,
    dtype=None,
) -> CheckResult:
    """Run `solution` against `reference` on every case; report the first mismatch precisely."""
    for case in cases:
        try:
            got = solution(*case.args, **case.kwargs)
        except NotImplementedError:
            return report(CheckResult(
                NOT_ATTEMPTED, f"{name}: {NOT_ATTEMPTED} (the stub still raises NotImplementedError)", name), quiet)
        except Exception as exc:  # a learner's bug: say which case and what was raised
            message = f"{name}: wrong on case {case.describe()}: raised {type(exc).__name__}: {exc}"
            return report(CheckResult(WRONG, _with_hint(message, hint), name, hint), quiet)
        expected = reference(*case.args, **case.kwargs)
        why = mismatch(got, expected, rtol, atol, dtype)
        if why:
            message = f"{name}: wrong on case {case.describe()}: {why}; expected {_show(expected)}, got {_show(got)}"
            return report(CheckResult(WRONG, _with_hint(message, hint), name, hint), quiet)
    return report(CheckResult(CORRECT, f"{name}: correct ({len(cases)} cases)", name), quiet)


def check_answer(
    name: str,
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    dtype=None,
    hint: str | None = None,
    quiet: bool = False,
    item_names=None,
    numbered=None,
) -> CheckResult:
    """Check a predicted or derived value. The stub is `...`; the message never shows `expected`.
    `item_names` names the items of a tuple answer as the lesson numbers them ("call 3", not the
    0-based "item 2"). `numbered = (first, last, what)` says that the items of a set answer are
    the numbers first..last of the `what` ("pairs", "statements"), and refuses anything else with a
    reason."""
    if answer is Ellipsis:
        return report(CheckResult(NOT_ATTEMPTED, f"{name}: {NOT_ATTEMPTED} (replace the ... with your answer)", name),
                      quiet)
    why = _unnumbered_item(answer, numbered) or _name_item(mismatch(answer, expected, rtol, atol, dtype), item_names)
    if why:
        shown = "" if why != "wrong value" else f": {_show(answer)} is not it"
        message = f"{name}: wrong{shown}" if shown else f"{name}: wrong: {why}"
        return report(CheckResult(WRONG, _with_hint(message, hint), name, hint), quiet)
    return report(CheckResult(CORRECT, f"{name}: correct", name), quiet)


def compare(name: str, got, expected, rtol: float = 1e-5, atol: float = 1e-8) -> str:
    """Print and return 'name | exact: ... | close: ... | max diff: ...' for two values."""
    got_t, exp_t = torch.as_tensor(got).detach().cpu(), torch.as_tensor(expected).detach().cpu()
    same_shape = got_t.shape == exp_t.shape
    exact = same_shape and bool(torch.equal(got_t.double(), exp_t.double()))
    close = same_shape and bool(torch.allclose(got_t.double(), exp_t.double(), rtol=rtol, atol=atol))
    if not same_shape:
        diff = math.inf
    elif got_t.numel() == 0:
        diff = 0.0
    else:
        diff = (got_t.double() - exp_t.double()).abs().max().item()
    line = f"{name:<24s} | exact: {exact!s:5} | close: {close!s:5} | max diff: {diff:.3g}"
    if not same_shape:
        line += f" | shapes differ: {tuple(got_t.shape)} vs {tuple(exp_t.shape)}"
    print(line)
    return line
