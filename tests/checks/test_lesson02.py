import numpy as np
import pytest
import torch

import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson02 import (
    FAILURE_OPTIONS,
    FAILURE_SITUATIONS,
    check_failing_expression,
    check_inferred_rows,
    check_returned_bytes,
    check_slice_and_cast,
    failure_site,
    forward_inferring_seq_len,
    observe_rebuilds,
    shares_storage,
    slice_and_cast_reference,
)


def stub(*args):
    raise NotImplementedError


def test_shares_storage():
    t = torch.arange(10.0)
    assert shares_storage(t[:3], t) and shares_storage(t[2:], t)
    assert not shares_storage(t[:3].clone(), t)
    assert not shares_storage(t[:3].to(torch.float64), t)


def test_observe_rebuilds_matches_the_rule_and_restores_the_module():
    rope = rc.RotaryEmbedding(8, max_position_embeddings=16)
    assert observe_rebuilds(rope, [4, 4, 10, 16, 17, 8]) == [True, False, True, True, True, False]
    assert "_set_cos_sin_cache" not in vars(rope)          # the instance wrapper is removed
    assert rope.max_seq_len_cached == 17
    dyn = rc.DynamicNTKScalingRotaryEmbedding(8, max_position_embeddings=16, scaling_factor=2.0)
    assert observe_rebuilds(dyn, [20, 3, 21]) == [True, False, True]


def test_failure_site_names_upstreams_expression_for_each_class():
    """The issue-11 facts: standard fresh fails in arange, dynamic fresh at its own `>` with L,
    after an earlier call both at the forward's `>` with the cached length."""
    message, chain, line = failure_site(rc.RotaryEmbedding(64))
    assert message.startswith("TypeError: arange()") and chain[:2] == ["forward", "_set_cos_sin_cache"]
    assert "torch.arange(seq_len" in line
    message, chain, line = failure_site(rc.DynamicNTKScalingRotaryEmbedding(64))
    assert message == "TypeError: '>' not supported between instances of 'NoneType' and 'int'"
    assert chain == ["forward", "_set_cos_sin_cache"] and line == "if seq_len > self.max_position_embeddings:"
    for cls in (rc.RotaryEmbedding, rc.DynamicNTKScalingRotaryEmbedding):
        module = cls(64)
        module(torch.zeros(1), seq_len=10)
        _, chain, line = failure_site(module)
        assert chain == ["forward"] and "seq_len > self.max_seq_len_cached" in line
    with rc.upstream_errors():
        assert failure_site(rc.RotaryEmbedding(64)) is not None  # nesting the switch changes nothing
    with pytest.raises(ValueError, match="seq_len is required"):
        rc.RotaryEmbedding(64)(torch.zeros(1))  # and the guard is back on afterwards


def test_situations_are_the_ones_the_exercise_describes():
    assert len(FAILURE_SITUATIONS) == 4 and set(FAILURE_OPTIONS) == {"A", "B", "C", "D"}
    linear = FAILURE_SITUATIONS[0][1]()
    assert isinstance(linear, rc.LinearScalingRotaryEmbedding) and linear.max_seq_len_cached is None
    yarn = FAILURE_SITUATIONS[1][1]()
    assert isinstance(yarn, rc.YarnRotaryEmbedding) and yarn.max_seq_len_cached is None
    repaired = FAILURE_SITUATIONS[2][1]()
    assert isinstance(repaired, rc.DynamicNTKScalingRotaryEmbedding) and repaired.max_seq_len_cached is None
    assert repaired.cos_cached.shape == (3000, 64)  # the long call's table and base are still there
    assert torch.equal(repaired.inv_freq, rc.inv_freq_for_base(rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0), 64))
    dynamic = FAILURE_SITUATIONS[3][1]()
    assert dynamic.max_seq_len_cached is None  # the failed call left the module as it was


@pytest.mark.parametrize("check", [check_failing_expression, check_returned_bytes, check_inferred_rows])
def test_unanswered_is_not_attempted(check):
    result = check(..., quiet=True)
    assert result.status == NOT_ATTEMPTED and not result.correct


# --- exercise 1 -------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [("A", "A", "C", "C"), ["a", "a", "c", "c"], (" A", "A ", "c", "C")])
def test_failing_expression_accepts_the_answer(answer):
    assert check_failing_expression(answer, quiet=True).correct


@pytest.mark.parametrize("answer,why", [
    (("A", "A", "C", "B"), "situation 4: wrong value"),   # thinks the failed call left a cached length behind
    (("A", "A", "B", "C"), "situation 3: wrong value"),   # "after an earlier call": misses that the repair set None
    (("A", "A", "A", "C"), "situation 3: wrong value"),   # thinks a module past L has a builder starting with arange
    (("C", "A", "C", "C"), "situation 1: wrong value"),   # thinks every scaled class compares with L
    (("A", "A", "B"), "expected 4 items"),
    ("AABC", "expected a tuple"),
])
def test_failing_expression_rejects_typical_mistakes(answer, why):
    result = check_failing_expression(answer, quiet=True)
    assert result.status == WRONG and why in result.message and "Hint:" in result.message
    assert "item " not in result.message   # situations are numbered 1 to 4, as in the lesson


# --- exercise 2 -------------------------------------------------------------------------------
def test_returned_bytes_accepts_the_derivation():
    one_copy = 2 * 4096 * 64 * 2  # two tables, 4096 rows x 64, bfloat16 = 2 bytes
    assert check_returned_bytes((one_copy, 0, 0), quiet=True).correct
    assert check_returned_bytes([np.int64(one_copy), torch.tensor(0), 0.0], quiet=True).correct


@pytest.mark.parametrize("answer,call", [
    ((1048576, 0, 2 * 10000 * 64 * 2), "call 3 (bfloat16, seq_len=10000)"),   # thinks a bfloat16 x always copies
    ((524288, 0, 0), "call 1 (bfloat16, seq_len=4096)"),                      # one table only
    ((2 * 4096 * 64 * 4, 0, 0), "call 1"),           # the cache's float32 size instead of the copy's bfloat16
    ((1048576, 2 * 4096 * 64 * 4, 0), "call 2 (float32, seq_len=4096)"),     # thinks the slice copies too
    ((1048576.5, 0, 0), "call 1"),
])
def test_returned_bytes_rejects_typical_mistakes(answer, call):
    result = check_returned_bytes(answer, quiet=True)
    assert result.status == WRONG and "Hint:" in result.message
    assert f"{call}" in result.message and "item " not in result.message


# --- exercise 3 -------------------------------------------------------------------------------
def test_forward_inferring_seq_len_is_the_series_fix():
    rope = rc.RotaryEmbedding(64)
    cos, _ = forward_inferring_seq_len(rope, torch.zeros(2, 4, 7, 16))
    assert cos.shape == (7, 64)
    cos, _ = forward_inferring_seq_len(rope, torch.zeros(2, 4, 7, 16), seq_len=20)
    assert cos.shape == (20, 64)


def test_inferred_rows_accepts_the_prediction():
    assert check_inferred_rows((1, 101), quiet=True).correct
    assert check_inferred_rows([np.int32(1), 101.0], quiet=True).correct


@pytest.mark.parametrize("answer,which", [((101, 101), "(rows returned)"), ((1, 100), "(rows needed)"),
                                          ((128, 101), "(rows returned)"), ((100, 101), "(rows returned)")])
def test_inferred_rows_rejects_typical_mistakes(answer, which):
    result = check_inferred_rows(answer, quiet=True)
    assert result.status == WRONG and "Hint:" in result.message
    assert f"{which}: wrong value" in result.message


def test_answer_checkers_never_show_the_expected_value():
    for check, wrong, secret in ((check_returned_bytes, (1, 2, 3), "1048576"), (check_inferred_rows, (5, 5), "101"),
                                 (check_failing_expression, ("D", "D", "D", "D"), "'C'")):
        assert secret not in check(wrong, quiet=True).message


# --- exercise 4 -------------------------------------------------------------------------------
def test_slice_and_cast_stub_is_not_attempted():
    assert check_slice_and_cast(stub, quiet=True).status == NOT_ATTEMPTED


def test_slice_and_cast_accepts_solution():
    assert check_slice_and_cast(lambda t, l, d: t[:l].to(dtype=d), quiet=True).correct
    assert check_slice_and_cast(lambda t, l, d: t.narrow(0, 0, l).to(d), quiet=True).correct


@pytest.mark.parametrize("wrong,case,what", [
    (lambda t, l, d: t[:l].clone().to(d), "float32 table, seq_len=3, dtype=float32 (no cast)", "shares storage"),
    (lambda t, l, d: t[:l], "float32 table, seq_len=2, dtype=bfloat16 (cast)", "values"),
    (lambda t, l, d: t[-l:].to(d), "float32 table, seq_len=3, dtype=float32 (no cast)", "values"),
    (lambda t, l, d: t[:l + 1].to(d), "float32 table, seq_len=3, dtype=float32 (no cast)", "the shape is (4, 4)"),
    (lambda t, l, d: t.to(d)[:l] if t.dtype != d else t[:l].clone(), "float32 table, seq_len=3", "shares storage"),
    (lambda t, l, d: t[:l].tolist(), "float32 table, seq_len=3", "expected a tensor, got list"),
])
def test_slice_and_cast_rejects_typical_mistakes(wrong, case, what):
    result = check_slice_and_cast(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message and what in result.message
    assert "Hint:" in result.message


def test_slice_and_cast_reference_is_a_view_when_no_cast_is_needed():
    t = torch.randn(5, 4)
    out = slice_and_cast_reference(t, 3, torch.float32)
    assert shares_storage(out, t) and out.shape == (3, 4)
    assert not shares_storage(slice_and_cast_reference(t, 3, torch.bfloat16), t)
