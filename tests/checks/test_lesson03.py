from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson03 import check_count_rebuilds, check_rows_built


def stub(calls):
    raise NotImplementedError


def walk(calls, strict=True, first_always=True, rows=False):
    cached = None if first_always else 2048
    total = 0
    for l in calls:
        grow = l > cached if cached is not None else True
        if not strict and cached is not None:
            grow = l >= cached
        if grow:
            cached = l
            total += l if rows else 1
    return total


def test_count_accepts_reference():
    assert check_count_rebuilds(lambda c: walk(c), quiet=True).correct


def test_count_not_attempted():
    r = check_count_rebuilds(stub, quiet=True)
    assert r.status == NOT_ATTEMPTED and not r.correct


def test_count_rejects_greater_or_equal():
    r = check_count_rebuilds(lambda c: walk(c, strict=False), quiet=True)
    assert r.status == "wrong" and "the same length three times" in r.message


def test_count_rejects_init_cache_assumed_valid():
    r = check_count_rebuilds(lambda c: walk(c, first_always=False), quiet=True)
    assert r.status == "wrong" and "5, 6, 7" in r.message


def test_count_rejects_only_first_call():
    r = check_count_rebuilds(lambda c: 1, quiet=True)
    assert r.status == "wrong" and "5, 6, 7" in r.message


def test_rows_accepts_reference_and_rejects_count():
    assert check_rows_built(lambda c: walk(c, rows=True), quiet=True).correct
    r = check_rows_built(lambda c: walk(c), quiet=True)
    assert r.status == "wrong" and "5, 6, 7" in r.message
    r = check_rows_built(lambda c: max(c), quiet=True)
    assert r.status == "wrong" and "5, 6, 7" in r.message
    assert check_rows_built(stub, quiet=True).status == NOT_ATTEMPTED
