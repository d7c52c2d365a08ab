"""Lesson 07 checkers: accept the reference, report a stub as not attempted, reject typical mistakes."""

import torch

import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson07 import (
    check_cached_key_base,
    check_rerotate_keys,
    check_stale_angle,
    reference_cached_key_base,
    reference_rerotate_keys,
    reference_stale_angle,
)


def stub(*args, **kwargs):
    raise NotImplementedError


def test_references_are_correct_and_stubs_not_attempted():
    assert check_cached_key_base(reference_cached_key_base, quiet=True).correct
    assert check_rerotate_keys(reference_rerotate_keys, quiet=True).correct
    assert check_stale_angle(reference_stale_angle, quiet=True).correct
    for check in (check_cached_key_base, check_rerotate_keys, check_stale_angle):
        assert check(stub, quiet=True).status == NOT_ATTEMPTED


def test_cached_key_base_rejects_off_by_one_and_ignoring_the_prefill():
    def off_by_one(position, prefill_len, dim, base, L, s):
        return rc.dynamic_ntk_base(base, dim, max(position, prefill_len), L, s)

    def ignores_prefill(position, prefill_len, dim, base, L, s):
        return rc.dynamic_ntk_base(base, dim, position + 1, L, s)

    r = check_cached_key_base(off_by_one, quiet=True)
    assert r.status == "wrong" and "position=16" in r.message
    r = check_cached_key_base(ignores_prefill, quiet=True)
    assert r.status == "wrong" and "prefill of 20" in r.message


def test_rerotate_rejects_last_rows_and_a_missing_deinterleave():
    def last_rows(raw, cos, sin):
        t = raw.shape[-2]
        pos = torch.arange(cos.shape[0] - t, cos.shape[0]).unsqueeze(0)
        return rc.apply_rotary_pos_emb(raw, raw, cos, sin, pos)[1]

    def no_deinterleave(raw, cos, sin):
        t = raw.shape[-2]
        c, s_ = cos[:t], sin[:t]
        return raw * c + rc.rotate_half(raw) * s_

    r = check_rerotate_keys(last_rows, quiet=True)
    assert r.status == "wrong" and "table of 7 rows" in r.message
    r = check_rerotate_keys(no_deinterleave, quiet=True)
    assert r.status == "wrong" and "t=5 keys" in r.message


def test_stale_angle_rejects_the_highest_pair_and_the_final_base_everywhere():
    def highest_pair(position, prefill_len, seq_len, dim, base, L, s):
        return (float(position), float(position))

    def final_base_both(position, prefill_len, seq_len, dim, base, L, s):
        b = rc.dynamic_ntk_base(base, dim, seq_len, L, s)
        return (position * b ** (-(dim - 2) / dim),) * 2

    r = check_stale_angle(highest_pair, quiet=True)
    assert r.status == "wrong" and "position=16" in r.message
    r = check_stale_angle(final_base_both, quiet=True)
    assert r.status == "wrong" and "position=16" in r.message
