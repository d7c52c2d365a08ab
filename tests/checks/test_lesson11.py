"""Lesson 11's checkers: each against the stub, an independently written correct answer, and at
least two typical wrong answers. Nothing here calls the package's engine models."""

import numpy as np
import torch

from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson11 import (
    check_fixed_update,
    check_padded_batch,
    check_trace_hf,
    check_trace_lost_reset,
    check_vllm_slowest_pair,
)

D, B, L, S = 64, 10000.0, 4096, 2.0


def dyn(n, s=S, length=L):
    return B * (1 + s * (n / length - 1)) ** (D / (D - 2)) if n > length else B


def test_trace_hf():
    assert check_trace_hf(..., quiet=True).status == NOT_ATTEMPTED
    assert check_trace_hf({4}, quiet=True).correct
    assert check_trace_hf([4], quiet=True).correct
    # thinks the reset is not strict (4096 = L resets too) / forgets the gap (5000 gets its own base)
    assert check_trace_hf({3, 4}, quiet=True).status == "wrong"
    assert check_trace_hf({2, 3, 4, 6}, quiet=True).status == "wrong"
    assert check_trace_hf(set(), quiet=True).status == "wrong"


def test_trace_lost_reset():
    assert check_trace_lost_reset(..., quiet=True).status == NOT_ATTEMPTED
    assert check_trace_lost_reset((2, 3, 4, 6), quiet=True).correct
    # "no reset means DeepSeek's rule exactly" / forgets that 7000 regrows
    assert check_trace_lost_reset(set(), quiet=True).status == "wrong"
    result = check_trace_lost_reset({2, 3, 4}, quiet=True)
    assert result.status == "wrong" and "Hint" in result.message


def _update(write_prefix=True, strict=True, reset=True):
    def update(rope, seq_len, layer_type=None):
        prefix = "" if layer_type is None else f"{layer_type}_"
        write = prefix if write_prefix else f"{layer_type}_"
        cached = getattr(rope, f"{prefix}max_seq_len_cached")
        if seq_len > cached:
            setattr(rope, f"{prefix}base_in_force", rope.grown_base(seq_len))
            setattr(rope, f"{write}max_seq_len_cached", seq_len)
        shorter = seq_len < rope.original_max_seq_len if strict else seq_len <= rope.original_max_seq_len
        if reset and shorter and cached > rope.original_max_seq_len:
            setattr(rope, f"{prefix}base_in_force", rope.original_base)
            setattr(rope, f"{write}max_seq_len_cached", rope.original_max_seq_len)
    return update


def test_fixed_update():
    def stub(rope, seq_len, layer_type=None):
        raise NotImplementedError

    assert check_fixed_update(stub, quiet=True).status == NOT_ATTEMPTED
    assert check_fixed_update(_update(), quiet=True).correct
    assert check_fixed_update(_update(write_prefix=False), quiet=True).status == "wrong"  # the planted bug
    assert check_fixed_update(_update(strict=False), quiet=True).status == "wrong"  # resets at exactly L
    assert check_fixed_update(_update(reset=False), quiet=True).status == "wrong"  # deletes the reset


def test_vllm_slowest_pair():
    assert check_vllm_slowest_pair(..., quiet=True).status == NOT_ATTEMPTED
    # the pair's exponent -(D-2)/D cancels the base change's D/(D-2): 1 / (s^2 - s + 1), any D, any b
    assert check_vllm_slowest_pair(1 / 7, quiet=True).correct
    assert check_vllm_slowest_pair(np.float32(1 / 7), quiet=True).correct
    assert check_vllm_slowest_pair(torch.tensor(1 / 7, dtype=torch.float64), quiet=True).correct
    assert check_vllm_slowest_pair(0.142857, quiet=True).correct  # 6 significant digits
    assert check_vllm_slowest_pair(1.0, quiet=True).status == "wrong"  # "a short prompt is untouched"
    assert check_vllm_slowest_pair(1 / 3, quiet=True).status == "wrong"  # PI by s
    assert check_vllm_slowest_pair(7 ** (-128 / 126), quiet=True).status == "wrong"  # 1 / (base ratio)
    result = check_vllm_slowest_pair(7.0, quiet=True)  # the ratio upside down
    assert result.status == "wrong" and "Hint" in result.message and "1/7" not in result.message


def test_padded_batch():
    assert check_padded_batch(..., quiet=True).status == NOT_ATTEMPTED
    assert check_padded_batch((dyn(5120), dyn(5000)), quiet=True).correct
    assert check_padded_batch((round(dyn(5120), 1), round(dyn(5000), 1)), quiet=True).correct
    assert check_padded_batch([15200, 14590], quiet=True).correct  # 4 significant digits, as asked
    assert round(dyn(5120), -1) == 15200 and round(dyn(5000), -1) == 14590
    assert check_padded_batch((dyn(5000), dyn(5000)), quiet=True).status == "wrong"  # ignores padding
    assert check_padded_batch((dyn(1500), dyn(1500)), quiet=True).status == "wrong"  # the prompt's own length
    assert check_padded_batch((dyn(5120), dyn(5120)), quiet=True).status == "wrong"  # HF counts pads too
