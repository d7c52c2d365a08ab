"""Lesson 05's checkers against independently written answers: the stub, one correct answer
and typical wrong ones for each exercise."""

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson05 import (
    FIX_TRACE_CALLS,
    HF_TRACE_CALLS,
    HF_TRACE_L,
    MISCONCEPTION_COUNT,
    check_base_after,
    check_hf_trace,
    check_misconceptions,
    check_restoring_fix,
)


def stub(*args):
    raise NotImplementedError


def ntk_base(l, dim, L, s, b=10000):
    """b' typed out here (not the package's function)."""
    return b if l <= L else b * (s * l / L - (s - 1)) ** (dim / (dim - 2))


def closed_form(calls, dim, L, s):
    return ntk_base(max(calls), dim, L, s)


def replay(calls, dim, L, s, reset_below_L=False, last_only=False, first_only=False):
    if last_only:
        return ntk_base(calls[-1], dim, L, s)
    if first_only:
        return ntk_base(calls[0], dim, L, s)
    cached, base = None, 10000
    for l in calls:
        if cached is None or l > cached:
            cached = l
            if l > L:
                base = ntk_base(l, dim, L, s)
        if reset_below_L and l < L:
            cached, base = None, 10000
    return base


# --- exercise 1: the closed form -----------------------------------------------------------------
def test_base_after_accepts_closed_form_and_replay():
    assert check_base_after(closed_form, quiet=True).status == CORRECT
    assert check_base_after(replay, quiet=True).correct


def test_base_after_accepts_float32_and_numpy_scalars():
    import numpy as np
    import torch

    assert check_base_after(lambda c, d, L, s: torch.tensor(closed_form(c, d, L, s)), quiet=True).correct
    assert check_base_after(lambda c, d, L, s: np.float32(closed_form(c, d, L, s)), quiet=True).correct


def test_base_after_rejects_a_length_one_token_off():
    r = check_base_after(lambda c, d, L, s: ntk_base(max(c) - 1, d, L, s), quiet=True)
    assert r.status == WRONG and "Hint" in r.message


def test_base_after_not_attempted():
    assert check_base_after(stub, quiet=True).status == NOT_ATTEMPTED


def test_base_after_rejects_stateless_answers():
    r = check_base_after(lambda c, d, L, s: replay(c, d, L, s, last_only=True), quiet=True)
    assert r.status == WRONG and "calls [32, 8]" in r.message and "Hint" in r.message
    r = check_base_after(lambda c, d, L, s: replay(c, d, L, s, first_only=True), quiet=True)
    assert r.status == WRONG and "calls [1000, 3000]" in r.message


def test_base_after_rejects_hf_style_reset():
    r = check_base_after(lambda c, d, L, s: replay(c, d, L, s, reset_below_L=True), quiet=True)
    assert r.status == WRONG and "calls [32, 8]" in r.message


# --- exercise 2: HF's rule on one trace ------------------------------------------------------------
def hf_lengths(calls, L, strict_reset=True, reset=True):
    """HF's growth and reset rules typed out here; the length whose base serves each call."""
    cached, out = L, []
    for l in calls:
        before = cached
        if l > cached:
            cached = l
        below = l < L if strict_reset else l <= L
        if reset and below and before > L:
            cached = L
        out.append(cached)
    return tuple(out)


def test_hf_trace():
    assert check_hf_trace(..., quiet=True).status == NOT_ATTEMPTED
    mine = hf_lengths(HF_TRACE_CALLS, HF_TRACE_L)
    assert mine == (3000, 3000, 2048, 2500, 4000, 4000)
    assert check_hf_trace(mine, quiet=True).status == CORRECT


def test_hf_trace_rejects_deepseek_rule_and_non_strict_reset():
    deepseek = tuple(max(HF_TRACE_CALLS[: k + 1]) for k in range(len(HF_TRACE_CALLS)))
    r = check_hf_trace(deepseek, quiet=True)
    assert r.status == WRONG and "call 3 (1000 tokens): wrong" in r.message and "Hint" in r.message
    r = check_hf_trace(hf_lengths(HF_TRACE_CALLS, HF_TRACE_L, strict_reset=False), quiet=True)
    assert r.status == WRONG and "call 6 (2048 tokens): wrong" in r.message
    r = check_hf_trace(tuple(max(l, HF_TRACE_L) for l in HF_TRACE_CALLS), quiet=True)  # "every call its own"
    assert r.status == WRONG and "call 2 (2500 tokens): wrong" in r.message


# --- exercise 3: the misconception check -------------------------------------------------------
def test_misconceptions():
    assert MISCONCEPTION_COUNT == 8
    assert check_misconceptions(..., quiet=True).status == NOT_ATTEMPTED
    assert check_misconceptions({5, 6}, quiet=True).status == CORRECT
    assert check_misconceptions([6, 5], quiet=True).correct


def test_misconceptions_rejects_typical_answers_without_naming_them():
    r = check_misconceptions({4, 5, 6}, quiet=True)  # "scaling_factor = 1 means no scaling"
    assert r.status == WRONG and "1 of your items" in r.message and "0 are missing" in r.message
    assert "Hint" in r.message and "{5, 6}" not in r.message
    r = check_misconceptions({3, 5}, quiet=True)  # "dynamic NTK gives Kimi-K2 its long context"
    assert r.status == WRONG and "1 of your items" in r.message and "1 is missing" in r.message
    assert not check_misconceptions(set(), quiet=True).correct


def test_misconceptions_says_when_the_items_are_not_statement_numbers():
    r = check_misconceptions({"5", "6"}, quiet=True)  # strings instead of numbers
    assert r.status == WRONG and "as integers, not str" in r.message and "Hint" in r.message
    r = check_misconceptions({4, 5}, quiet=True)  # 0-based, but both in range: judged as numbers
    assert r.status == WRONG and "1 of your items does not belong there and 1 is missing" in r.message
    r = check_misconceptions({0, 4}, quiet=True)  # 0-based, visibly
    assert r.status == WRONG and "numbered 1 to 8; 0 is not one of them" in r.message
    assert check_misconceptions({5.0, 6}, quiet=True).correct  # 5.0 counts as 5, as in every checker


# --- exercise 4: the fix inside the builder --------------------------------------------------------
def fresh_like(calls, L, fix_runs_on_short_calls=False):
    """For each call, whether the returned table is a fresh module's; typed out here. With
    fix_runs_on_short_calls the learner believes the builder's restore reaches every short call."""
    cached, table_base, same = None, None, []
    for l in calls:
        if cached is None or l > cached:
            cached, table_base = l, (l if l > L else None)
        elif fix_runs_on_short_calls and l <= L:
            table_base = None
        same.append(table_base == (l if l > L else None))
    return tuple(same)


def test_restoring_fix():
    assert check_restoring_fix(..., quiet=True).status == NOT_ATTEMPTED
    mine = fresh_like(FIX_TRACE_CALLS, 2048)
    assert mine == (True, False, False, True)
    assert check_restoring_fix(mine, quiet=True).status == CORRECT
    assert check_restoring_fix(list(mine), quiet=True).correct


def test_restoring_fix_rejects_typical_answers():
    r = check_restoring_fix(fresh_like(FIX_TRACE_CALLS, 2048, fix_runs_on_short_calls=True), quiet=True)
    assert r.status == WRONG and "call 2 (1000 tokens): wrong" in r.message and "Hint" in r.message
    r = check_restoring_fix((True, False, False, False), quiet=True)  # "a later call is never fresh"
    assert r.status == WRONG and "call 4 (3000 tokens): wrong" in r.message
    r = check_restoring_fix((1, 0, 0, 1), quiet=True)
    assert r.status == WRONG and "True or False" in r.message


def test_the_restoring_fix_never_changes_anything():
    """The lesson's solution says the restore runs only on a module that never went past L: the
    fixed class returns upstream's tables bit for bit on random traces."""
    import torch

    from rope_course import DynamicNTKScalingRotaryEmbedding
    from rope_course.checks.lesson05 import RestoringDynamicNTK

    x = torch.zeros(1)
    generator = torch.Generator().manual_seed(3)
    for _ in range(30):
        fixed = RestoringDynamicNTK(16, 64, scaling_factor=2.0)
        upstream = DynamicNTKScalingRotaryEmbedding(16, 64, scaling_factor=2.0)
        for l in torch.randint(1, 200, (6,), generator=generator).tolist():
            assert torch.equal(fixed(x, seq_len=l)[0], upstream(x, seq_len=l)[0])
        assert torch.equal(fixed.inv_freq, upstream.inv_freq)
