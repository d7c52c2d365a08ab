"""The check-yourself helper and the exercise-checker framework."""

import torch

from rope_course.checks import NOT_ATTEMPTED, Case, check_exercise, compare


def square(x):
    return x * x


CASES = [Case((3.0,)), Case((torch.tensor([1.0, -3.0]),), label="a tensor")]


def test_stub_reports_not_attempted(capsys):
    def stub(x):
        raise NotImplementedError

    result = check_exercise("square", stub, square, CASES)
    assert result.status == NOT_ATTEMPTED and not result.correct
    assert NOT_ATTEMPTED in capsys.readouterr().out


def test_correct_answer():
    assert check_exercise("square", lambda x: x**2, square, CASES, quiet=True).correct


def test_wrong_answer_names_the_case_expected_and_got():
    result = check_exercise("square", lambda x: x * 2, square, CASES, quiet=True)
    assert result.status == "wrong" and "(3.0)" in result.message and "expected 9" in result.message and "got 6" in result.message
    result = check_exercise("square", lambda x: x * x if isinstance(x, float) else x, square, CASES, quiet=True)
    assert "a tensor" in result.message and "max diff" in result.message


def test_wrong_shape_and_exceptions_are_reported():
    result = check_exercise("square", lambda x: torch.zeros(3) if isinstance(x, torch.Tensor) else x * x, square, CASES, quiet=True)
    assert result.status == "wrong" and "shape (2,)" in result.message
    result = check_exercise("square", lambda x: 1 / 0, square, CASES, quiet=True)
    assert "ZeroDivisionError" in result.message


def test_types_are_checked_for_bools_and_strings():
    assert not check_exercise("flag", lambda: 1, lambda: True, [Case()], quiet=True).correct
    assert check_exercise("flag", lambda: True, lambda: True, [Case()], quiet=True).correct


def test_compare_line(capsys):
    line = compare("cos", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    assert "exact: True" in line and "max diff: 0" in line
    line = compare("cos", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.000001]))
    assert "exact: False" in line and "close: True" in line
    line = compare("cos", torch.tensor([1.0]), torch.tensor([1.0, 2.0]))
    assert "shapes differ" in line
