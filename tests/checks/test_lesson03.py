"""Lesson 03's checkers against independently written answers: the stub, one correct answer and
typical wrong ones for each exercise."""

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson03 import (
    DECODE_PREFILL,
    DECODE_STEPS,
    TRACE_CALLS,
    check_count_rebuilds,
    check_decode_rows,
    check_trace_prediction,
)


def stub(calls):
    raise NotImplementedError


def walk(calls, strict=True, init_cache_valid=False, L=2048):
    """A rebuild counter written for this test: the rule, or one of its typical misreadings."""
    cached = L if init_cache_valid else None
    count = 0
    for seq_len in calls:
        if cached is None:
            grow = True
        else:
            grow = seq_len > cached if strict else seq_len >= cached
        if grow:
            cached = seq_len
            count += 1
    return count


# --- exercise 1: the trace --------------------------------------------------------------------
def test_trace_settings_are_the_lessons():
    assert TRACE_CALLS == (4000, 4001, 6000, 6001, 5000, 5001, 6002)


def test_trace_not_attempted_correct_and_wrong():
    assert check_trace_prediction(..., quiet=True).status == NOT_ATTEMPTED
    # by hand: 4000 (first), 4001, 6000, 6001 and 6002 rebuild; 5000 and 5001 run on b'(6001)
    assert check_trace_prediction((5, 6001), quiet=True).status == CORRECT
    assert check_trace_prediction([5, 6001], quiet=True).correct  # a list is fine too


def test_trace_rejects_own_base_for_the_short_call():
    r = check_trace_prediction((5, 5001), quiet=True)
    assert r.status == WRONG and "(b), the length whose base serves call 6: wrong" in r.message and "Hint" in r.message
    assert "item" not in r.message and "6001" not in r.message


def test_trace_rejects_counting_every_call_past_L():
    r = check_trace_prediction((7, 6001), quiet=True)
    assert r.status == WRONG and "(a), the number of rebuilds: wrong" in r.message
    r = check_trace_prediction((5, "6001"), quiet=True)
    assert r.status == WRONG and "(b), the length whose base serves call 6: expected a number, got str" in r.message
    r = check_trace_prediction(5, quiet=True)
    assert r.status == WRONG and "expected a tuple of 2 items" in r.message


# --- exercise 2: rows built while decoding ----------------------------------------------------
def test_decode_rows():
    assert check_decode_rows(..., quiet=True).status == NOT_ATTEMPTED
    P, n = DECODE_PREFILL, DECODE_STEPS
    by_hand = (n + 1) * P + n * (n + 1) // 2  # rebuilds of P, P+1, ..., P+n rows
    assert check_decode_rows(by_hand, quiet=True).correct
    assert check_decode_rows(float(by_hand), quiet=True).correct  # 25171968.0 counts as the integer


def test_decode_rows_rejects_constant_table_and_missing_prefill():
    P, n = DECODE_PREFILL, DECODE_STEPS
    r = check_decode_rows(P + n, quiet=True)  # "the table is built once"
    assert r.status == WRONG and "is not it" in r.message and "Hint" in r.message
    assert not check_decode_rows(n * P + n * (n + 1) // 2, quiet=True).correct  # forgot the prefill's rebuild
    assert not check_decode_rows((n + 1) * P + n * (n + 1) // 2 + 1, quiet=True).correct  # off by one: exact ints


# --- exercise 3: the planted bug ---------------------------------------------------------------
def test_count_accepts_fixed_version_and_reports_stub():
    assert check_count_rebuilds(lambda c: walk(c), quiet=True).correct
    assert check_count_rebuilds(stub, quiet=True).status == NOT_ATTEMPTED


def test_count_rejects_the_planted_bug():
    r = check_count_rebuilds(lambda c: walk(c, init_cache_valid=True), quiet=True)
    assert r.status == WRONG and "5, 6, 7" in r.message and "Hint" in r.message


def test_count_rejects_greater_or_equal():
    r = check_count_rebuilds(lambda c: walk(c, strict=False), quiet=True)
    assert r.status == WRONG and "the same length three times" in r.message


def test_count_rejects_counting_calls_past_L():
    r = check_count_rebuilds(lambda c: sum(1 for l in c if l > 2048), quiet=True)
    assert r.status == WRONG and "5, 6, 7" in r.message
