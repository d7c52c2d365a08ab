"""Lesson 06 checkers: accept the reference, report a stub as not attempted, reject typical mistakes."""

import math

import numpy as np
import torch

import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson06 import (
    check_max_angle_ratios,
    check_pairs_beyond,
    check_score_at_distance,
    reference_max_angle_ratios,
    reference_pairs_beyond,
    reference_score_at_distance,
)


def stub(*args, **kwargs):
    raise NotImplementedError


def test_references_are_correct_and_stubs_not_attempted():
    assert check_score_at_distance(reference_score_at_distance, quiet=True).correct
    assert check_max_angle_ratios(reference_max_angle_ratios, quiet=True).correct
    assert check_pairs_beyond(reference_pairs_beyond, quiet=True).correct
    for check in (check_score_at_distance, check_max_angle_ratios, check_pairs_beyond):
        assert check(stub, quiet=True).status == NOT_ATTEMPTED


def test_max_angle_ratios_accepts_numpy_and_lists():
    assert check_max_angle_ratios(lambda *a: reference_max_angle_ratios(*a).numpy(), quiet=True).correct
    assert check_max_angle_ratios(lambda *a: reference_max_angle_ratios(*a).tolist(), quiet=True).correct


def _score(q, k, distance, inv_freq, sign=1.0, cross=True):
    q, k = torch.as_tensor(q, dtype=torch.float64), torch.as_tensor(k, dtype=torch.float64)
    ang = distance * torch.as_tensor(inv_freq, dtype=torch.float64)
    dot = q[0::2] * k[0::2] + q[1::2] * k[1::2]
    crs = q[0::2] * k[1::2] - q[1::2] * k[0::2]
    return float((dot * ang.cos() + (sign * crs * ang.sin() if cross else 0)).sum())


def test_score_rejects_a_wrong_sign_and_a_missing_cross_term():
    wrong_sign = check_score_at_distance(lambda *a: _score(*a, sign=-1.0), quiet=True)
    assert wrong_sign.status == "wrong" and "distance=3" in wrong_sign.message
    no_cross = check_score_at_distance(lambda *a: _score(*a, cross=False), quiet=True)
    assert no_cross.status == "wrong" and "(D=8, distance=3)" in no_cross.message


def _ratios(dim, base, seq_len, L, s, off_by_one=False, plain=False):
    new_base = base if plain else rc.dynamic_ntk_base(base, dim, seq_len, L, s)
    e = np.arange(0, dim, 2) / dim
    if off_by_one:
        return seq_len * new_base ** -e / (L * base ** -e)
    return (seq_len - 1) * new_base ** -e / ((L - 1) * base ** -e)


def test_ratios_reject_positions_from_one_and_forgetting_the_new_base():
    r = check_max_angle_ratios(lambda *a: _ratios(*a, off_by_one=True), quiet=True)
    assert r.status == "wrong" and "l=8192" in r.message
    r = check_max_angle_ratios(lambda *a: _ratios(*a, plain=True), quiet=True)
    assert r.status == "wrong" and "s=1" in r.message


def test_pairs_beyond_rejects_counting_all_pairs_and_no_scaling():
    def all_pairs(dim, base, seq_len, L, s):
        return int((_ratios(dim, base, seq_len, L, s) > 1).sum())

    def no_scaling(dim, base, seq_len, L, s):
        e = np.arange(0, dim, 2) / dim
        never = (L - 1) * base ** -e < 2 * math.pi
        return int((never & (_ratios(dim, base, seq_len, L, s, plain=True) > 1)).sum())

    r = check_pairs_beyond(all_pairs, quiet=True)
    assert r.status == "wrong" and "l=8192, L=4096, s=1" in r.message
    r = check_pairs_beyond(no_scaling, quiet=True)
    assert r.status == "wrong" and "s=2" in r.message
