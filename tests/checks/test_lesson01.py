import math

import numpy as np
import pytest
import torch

import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson01 import (
    check_half_fixed_port,
    check_interleave,
    check_never_turned,
    check_table_angle,
    interleave,
    port_apply_rotary,
)


def stub(*args):
    raise NotImplementedError


def test_interleave_inverts_deinterleave():
    x = torch.randn(2, 3, 16)
    assert torch.equal(interleave(rc.deinterleave(x)), x)
    assert torch.equal(rc.deinterleave(interleave(x)), x)
    assert interleave(torch.arange(8.0)).tolist() == [0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]
    with pytest.raises(ValueError, match="even"):
        interleave(torch.zeros(3))


@pytest.mark.parametrize("check", [check_table_angle, check_never_turned, check_half_fixed_port])
def test_unanswered_is_not_attempted(check):
    result = check(..., quiet=True)
    assert result.status == NOT_ATTEMPTED and not result.correct


def test_interleave_stub_is_not_attempted():
    assert check_interleave(stub, quiet=True).status == NOT_ATTEMPTED


# --- exercise 1: emb[1000, 40] -------------------------------------------------------------------
def test_table_angle_accepts_the_derivation():
    # column 40 repeats column 40 - 32 = 8; inv_freq[8] = 10000^(-16/64) = 0.1; times position 1000
    assert check_table_angle(1000 * 10000 ** (-16 / 64), quiet=True).correct
    assert check_table_angle(np.float32(100.0), quiet=True).correct
    assert check_table_angle(100, quiet=True).correct


@pytest.mark.parametrize("answer", [
    1000 * 10000 ** (-40 / 64),                      # column 40 read as pair 40 (no mod D/2)
    1000 * 10000 ** (-80 / 64),                      # 2j instead of 2 (j mod D/2)
    1000 * 10000 ** (-20 / 64),                      # interleaved layout: column 40 = pair 20
    math.cos(100.0),                                  # cos of the angle
    100.0 - 15 * 2 * math.pi,                         # reduced modulo 2 pi
])
def test_table_angle_rejects_typical_mistakes(answer):
    result = check_table_angle(answer, quiet=True)
    assert result.status == WRONG and "Hint:" in result.message and "expected" not in result.message


# --- exercise 2: never-turned pairs at b = 50000 ----------------------------------------------------
def independent_never_turned(base, dim, L):
    """Pairs i with (L - 1) * base^(-2i/dim) < 2 pi, by the bound on i (not by counting arcs)."""
    bound = dim / 2 * math.log((L - 1) / (2 * math.pi)) / math.log(base)  # pair i never turns iff i > bound
    return dim // 2 - (math.floor(bound) + 1)


def test_never_turned_accepts_the_derivation():
    assert independent_never_turned(10000, 64, 4096) == 9  # the lesson's own setting, as a sanity check
    assert check_never_turned(independent_never_turned(50000, 64, 4096), quiet=True).correct
    assert check_never_turned(np.int64(12), quiet=True).correct


@pytest.mark.parametrize("answer", [
    9,        # the lesson's D = 64, b = 10^4 count, not recomputed
    20,       # the index of the first never-turned pair instead of the count
    19,       # the bound 19.16 itself
    13,       # counting the boundary pair 19 too
    12.5,
])
def test_never_turned_rejects_typical_mistakes(answer):
    result = check_never_turned(answer, quiet=True)
    assert result.status == WRONG and "Hint:" in result.message


# --- exercise 3: the half-fixed port -----------------------------------------------------------------
def test_port_is_what_the_exercise_shows():
    q = torch.randn(1, 1, 3, 8, dtype=torch.float64)
    k = torch.randn(1, 1, 3, 8, dtype=torch.float64)
    cos, sin = rc.cos_sin_tables(rc.inv_freq_for_base(10000, 8).double(), 3, torch.float64)
    pos = torch.arange(3).unsqueeze(0)
    q_port, k_port = port_apply_rotary(q, k, cos, sin, pos)
    q_ds, k_ds = rc.apply_rotary_pos_emb(q, k, cos, sin, pos)
    assert torch.allclose(q_port, q_ds, atol=1e-12)      # q is treated as DeepSeek treats it
    assert not torch.allclose(k_port, k_ds, atol=1e-3)   # k is not


def test_half_fixed_port_accepts_the_prediction():
    assert check_half_fixed_port((True, False), quiet=True).correct
    assert check_half_fixed_port([True, False], quiet=True).correct


@pytest.mark.parametrize("answer,why", [
    ((False, False), "(a), does the score depend only on m - n: wrong value"),  # a wrong layout breaks it?
    ((True, True), "(b), is it DeepSeek's score: wrong value"),  # thinks a permutation of k does not matter
    ((False, True), "(a), does the score depend only on m - n"),
    ((1, 0), "(a), does the score depend only on m - n: expected True or False"),
    ((True,), "expected 2 items"),
])
def test_half_fixed_port_rejects_typical_mistakes(answer, why):
    result = check_half_fixed_port(answer, quiet=True)
    assert result.status == WRONG and why in result.message and "Hint:" in result.message
    assert "item " not in result.message   # the exercise's own names, not the framework's 0-based index


# --- exercise 4: interleave ------------------------------------------------------------------------
def test_interleave_accepts_solutions():
    def by_stacking(x):
        half = x.shape[-1] // 2
        return torch.stack((x[..., :half], x[..., half:]), dim=-1).flatten(-2)

    def by_index(x):
        dim = x.shape[-1]
        order = torch.tensor([i // 2 + (dim // 2) * (i % 2) for i in range(dim)])
        return x[..., order]

    assert check_interleave(by_stacking, quiet=True).correct
    assert check_interleave(by_index, quiet=True).correct


@pytest.mark.parametrize("wrong,case", [
    (rc.deinterleave, "x = arange(8.)"),                                               # the same permutation again
    (lambda x: x.reshape(*x.shape[:-1], 2, -1).reshape(x.shape), "x = arange(8.)"),    # the transpose forgotten
    (lambda x: torch.stack((x[..., :x.shape[-1] // 2], x[..., x.shape[-1] // 2:]), -1).reshape(-1),
     "x of shape (2, 3, 4, 16)"),                                                       # leading axes lost
    (lambda x: x.flip(-1), "x = arange(8.)"),
])
def test_interleave_rejects_typical_mistakes(wrong, case):
    result = check_interleave(wrong, quiet=True)
    assert result.status == WRONG and case in result.message and "Hint:" in result.message
