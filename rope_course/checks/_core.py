from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

NOT_ATTEMPTED = "not attempted yet"


def _to_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu")
    return torch.as_tensor(value)


def _max_abs_diff(got, expected) -> float:
    got_t, exp_t = _to_tensor(got), _to_tensor(expected)
    if got_t.is_complex() or exp_t.is_complex():  # e.g. a negative number to a fractional power
        return math.inf
    got_t, exp_t = got_t.double(), exp_t.double()
    if got_t.shape != exp_t.shape:
        return math.inf
    if got_t.numel() == 0:
        return 0.0
    return (got_t - exp_t).abs().max().item()


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        flat = value.detach().flatten()
        head = ", ".join(f"{v:.6g}" for v in flat[:4].tolist())
        more = ", ..." if flat.numel() > 4 else ""
        return f"tensor of shape {tuple(value.shape)}, dtype {value.dtype}: [{head}{more}]"
    if isinstance(value, float):
        return f"{value:.10g}"
    return repr(value)


def compare(name: str, got, expected, rtol: float = 1e-5, atol: float = 1e-8) -> str:
    """Print and return 'name | exact: ... | close: ... | max diff: ...' for two values."""
    got_t, exp_t = _to_tensor(got), _to_tensor(expected)
    same_shape = got_t.shape == exp_t.shape
    exact = same_shape and bool(torch.equal(got_t.double(), exp_t.double()))
    close = same_shape and bool(torch.allclose(got_t.double(), exp_t.double(), rtol=rtol, atol=atol))
    diff = _max_abs_diff(got_t, exp_t)
    line = f"{name:<24s} | exact: {exact!s:5} | close: {close!s:5} | max diff: {diff:.3g}"
    if not same_shape:
        line += f" | shapes differ: {tuple(got_t.shape)} vs {tuple(exp_t.shape)}"
    print(line)
    return line


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
    status: str  # "correct", NOT_ATTEMPTED, or "wrong"
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer, cycle):  # IPython shows the message, not the dataclass
        printer.text(self.message)


def _values_match(got, expected, rtol: float, atol: float) -> bool:
    if isinstance(expected, (tuple, list)) and not isinstance(expected, torch.Size):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return False
        return all(_values_match(g, e, rtol, atol) for g, e in zip(got, expected))
    if isinstance(expected, bool) or isinstance(expected, (str, type(None))):
        return got == expected and type(got) is type(expected)
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return False
        if not expected.dtype.is_floating_point:
            return bool(torch.equal(got.to(expected.dtype), expected))
        return bool(torch.allclose(got.double(), expected.double(), rtol=rtol, atol=atol))
    if isinstance(expected, (int, float)):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        return math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)
    return got == expected


def check_exercise(
    name: str,
    solution: Callable,
    reference: Callable,
    cases: Sequence[Case],
    rtol: float = 1e-5,
    atol: float = 1e-8,
    quiet: bool = False,
) -> CheckResult:
    """Run `solution` against `reference` on every case; report the first mismatch precisely."""

    def done(result: CheckResult) -> CheckResult:
        if not quiet:
            print(result.message)
        return result

    for case in cases:
        try:
            got = solution(*case.args, **case.kwargs)
        except NotImplementedError:
            return done(CheckResult(NOT_ATTEMPTED, f"{name}: {NOT_ATTEMPTED} (the stub still raises NotImplementedError)"))
        except Exception as exc:  # a learner's bug: say which case and what was raised
            return done(CheckResult("wrong", f"{name}: wrong on case {case.describe()}: raised {type(exc).__name__}: {exc}"))
        expected = reference(*case.args, **case.kwargs)
        if not _values_match(got, expected, rtol, atol):
            diff = ""
            try:
                d = _max_abs_diff(got, expected)
                if math.isfinite(d):
                    diff = f" (max diff {d:.3g})"
            except Exception:
                pass
            return done(CheckResult(
                "wrong",
                f"{name}: wrong on case {case.describe()}: expected {_describe(expected)}, got {_describe(got)}{diff}",
            ))
    return done(CheckResult("correct", f"{name}: correct ({len(cases)} cases)"))
