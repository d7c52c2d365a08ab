"""The check-yourself helper and the exercise-checker framework: fair rules, precise messages."""

import json

import numpy as np
import pytest
import torch

from rope_course.checks import (
    CORRECT,
    NOT_ATTEMPTED,
    PROGRESS_ENV,
    WRONG,
    Case,
    check_answer,
    check_exercise,
    compare,
    mismatch,
)


def square(x):
    return x * x


CASES = [Case((3.0,)), Case((torch.tensor([1.0, -3.0]),), label="a tensor")]


def test_stub_reports_not_attempted(capsys):
    def stub(x):
        raise NotImplementedError

    result = check_exercise("square", stub, square, CASES)
    assert result.status == NOT_ATTEMPTED and not result.correct and result.exercise == "square"
    assert NOT_ATTEMPTED in capsys.readouterr().out


def test_correct_answer():
    assert check_exercise("square", lambda x: x**2, square, CASES, quiet=True).correct


def test_wrong_answer_names_the_case_expected_and_got():
    result = check_exercise("square", lambda x: x * 2, square, CASES, quiet=True)
    assert result.status == WRONG and "(3.0)" in result.message and "expected 9" in result.message
    assert "got 6" in result.message
    result = check_exercise("square", lambda x: x * x if isinstance(x, float) else x, square, CASES, quiet=True)
    assert "a tensor" in result.message and "max abs diff 12" in result.message


def test_wrong_shape_and_exceptions_are_reported():
    result = check_exercise("square", lambda x: torch.zeros(3) if isinstance(x, torch.Tensor) else x * x,
                            square, CASES, quiet=True)
    assert result.status == WRONG and "shape is (3,), expected (2,)" in result.message
    result = check_exercise("square", lambda x: 1 / 0, square, CASES, quiet=True)
    assert "ZeroDivisionError" in result.message


@pytest.mark.parametrize("got", [9, np.int64(9), np.int32(9), torch.tensor(9), torch.tensor([9]), 9.0, np.float64(9.0)])
def test_integers_accept_every_scalar_type(got):
    assert mismatch(got, 9) is None


@pytest.mark.parametrize("got", [10, 8, 9.5, np.float32(9.000001)])
def test_integers_compare_exactly(got):
    assert mismatch(got, 9) is not None
    assert mismatch(100001, 100000) == "wrong value"


@pytest.mark.parametrize("got", [0.1 + 0.2, np.float64(0.3), np.float32(0.3), torch.tensor(0.3),
                                 torch.tensor(0.3).double()])
def test_floats_accept_every_scalar_type_within_tolerance(got):
    assert mismatch(got, 0.3, rtol=1e-6) is None
    assert mismatch(got, 0.31, rtol=1e-6) == "wrong value"


def test_bools_are_not_numbers_and_numbers_are_not_bools():
    assert mismatch(True, 1) == "expected a number, got a bool"
    assert "True or False" in mismatch(1, True)
    assert mismatch(np.bool_(True), True) is None and mismatch(torch.tensor(False), False) is None
    assert not check_exercise("flag", lambda: 1, lambda: True, [Case()], quiet=True).correct
    assert check_exercise("flag", lambda: True, lambda: True, [Case()], quiet=True).correct


def test_tensor_rules_type_shape_dtype_values():
    expected = torch.tensor([1.0, 2.0])
    assert mismatch([1.0, 2.0], expected) == "expected a tensor, got list"
    assert mismatch(np.array([1.0, 2.0]), expected) == "expected a tensor, got ndarray"
    assert "shape is (1, 2)" in mismatch(expected[None], expected)
    assert mismatch(expected.double(), expected) is None  # no dtype named: values decide
    assert mismatch(expected.double(), expected, dtype=torch.float32) == (
        "the dtype is torch.float64, but the task asks for torch.float32")
    assert "complex" in mismatch(expected.to(torch.complex64), expected)
    assert mismatch(torch.tensor([1, 2]), torch.tensor([1, 3])) == "the values differ"
    assert mismatch(torch.tensor([1.0, 2.5]), torch.tensor([1, 2])) == "expected whole numbers, got fractions"


def test_sequences_and_sets():
    assert mismatch((1, 2.0), (np.int64(1), 2.0)) is None
    assert mismatch([1, 2], (1, 2)) is None
    assert mismatch((1, 3), (1, 2)) == "item 1: wrong value"
    assert mismatch((1,), (1, 2)) == "expected 2 items, got 1"
    assert mismatch(3, (1, 2)).startswith("expected a tuple of 2 items")
    assert mismatch([3, 1, 2], {1, 2, 3}) is None and mismatch(torch.tensor([1, 2, 3]), {1, 2, 3}) is None
    assert mismatch({1, 2, 4, 5}, {1, 2, 3}) == "2 of your items do not belong there and 1 is missing"
    assert mismatch({1, 4}, {1, 2, 3}) == "1 of your items does not belong there and 2 are missing"
    assert mismatch(" Yarn ", "yarn") is None and mismatch("dynamic", "yarn") == "wrong value"
    assert mismatch(torch.float32, torch.float32) is None and mismatch("float32", torch.float32) is not None


def test_check_answer_stub_correct_wrong_and_hint_without_the_answer():
    assert check_answer("n", ..., 9, quiet=True).status == NOT_ATTEMPTED
    assert check_answer("n", np.int64(9), 9, quiet=True).status == CORRECT
    wrong = check_answer("n", 8, 987654, hint="count the strict inequality", quiet=True)
    assert wrong.status == WRONG and "8 is not it" in wrong.message and "Hint: count the strict" in wrong.message
    assert "987654" not in wrong.message
    assert "expected a number, got str" in check_answer("n", "9", 9, quiet=True).message


def test_function_checker_gives_the_hint_after_a_wrong_answer_only():
    hinted = check_exercise("square", lambda x: x * 2, square, CASES, quiet=True, hint="multiply x by itself")
    assert hinted.message.endswith("Hint: multiply x by itself") and hinted.hint == "multiply x by itself"
    ok = check_exercise("square", square, square, CASES, quiet=True, hint="multiply x by itself")
    assert "Hint" not in ok.message


def test_dtype_named_by_the_task_is_enforced_by_check_exercise():
    def ref(n):
        return torch.arange(n, dtype=torch.float32)

    result = check_exercise("positions", lambda n: torch.arange(n, dtype=torch.float64), ref, [Case((4,))],
                            quiet=True, dtype=torch.float32)
    assert result.status == WRONG and "asks for torch.float32" in result.message


def test_reported_results_are_recorded_for_make_progress(tmp_path, monkeypatch, capsys):
    record = tmp_path / "progress.jsonl"
    monkeypatch.setenv(PROGRESS_ENV, str(record))
    check_answer("a", ..., 1)
    check_answer("b", 2, 1, hint="h")
    check_exercise("square", square, square, CASES)
    check_answer("quiet one", 1, 1, quiet=True)  # not reported, not recorded
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["exercise"], r["status"]) for r in lines] == [("a", NOT_ATTEMPTED), ("b", WRONG), ("square", CORRECT)]
    assert lines[1]["message"].startswith("b: wrong") and set(lines[0]) == {"exercise", "status", "message"}
    assert capsys.readouterr().out.count("\n") >= 3


def test_nothing_is_recorded_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    check_answer("a", 1, 1)
    assert list(tmp_path.iterdir()) == []


def test_compare_line(capsys):
    line = compare("cos", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    assert "exact: True" in line and "max diff: 0" in line
    line = compare("cos", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.000001]))
    assert "exact: False" in line and "close: True" in line
    line = compare("cos", torch.tensor([1.0]), torch.tensor([1.0, 2.0]))
    assert "shapes differ" in line


def test_messages_stay_short_for_big_wrong_answers():
    result = check_exercise("keys", lambda: list(range(10000)), lambda: torch.arange(10000), [Case()], quiet=True)
    assert "expected a tensor, got list" in result.message and len(result.message) < 400
    pair = check_exercise("tables", lambda: (torch.zeros(2), torch.ones(3)), lambda: (torch.zeros(2), torch.ones(2)),
                          [Case()], quiet=True)
    assert "tuple of 2: (tensor of shape (2,)" in pair.message and len(pair.message) < 600


def test_a_set_cannot_answer_an_ordered_question():
    # {11, 8} iterates in an order of Python's choosing; it must not pass for (8, 11)
    for answer in ({8, 11}, frozenset({8, 11})):
        result = check_answer("pair", answer, (8, 11), quiet=True)
        assert result.status == WRONG and "in order, got" in result.message
    assert check_answer("pair", [8, 11], (8, 11), quiet=True).status == CORRECT
    assert check_answer("members", [11, 8], {8, 11}, quiet=True).status == CORRECT
