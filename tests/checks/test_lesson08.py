"""Lesson 08's checkers against independently written answers: the stub, a correct one, typical wrong ones."""

import math

import numpy as np
import torch

from rope_course.checks import CORRECT, NOT_ATTEMPTED, WRONG
from rope_course.checks.lesson08 import check_distinct_positions_1500, check_fixed_rebuild, check_shared_row_1700


def bf16_nearest(p: int) -> int:
    """p rounded to bf16 (8 significant bits), ties to even, written out by hand."""
    if p < 256:
        return p
    spacing = 2 ** (int(math.log2(p)) - 7)
    low = p // spacing * spacing
    rest = p - low
    if rest * 2 < spacing or (rest * 2 == spacing and (low // spacing) % 2 == 0):
        return low
    return low + spacing


def test_bf16_nearest_agrees_with_torch_on_small_integers():
    # the hand rule above is the test's own; check it once against a cast of exact integers
    assert [bf16_nearest(p) for p in range(4096)] == torch.arange(4096).to(torch.bfloat16).int().tolist()


def test_distinct_positions_1500():
    assert check_distinct_positions_1500(..., quiet=True).status == NOT_ATTEMPTED
    by_hand = 257 + 127 + 128 + (1496 - 1024) // 8 + 1  # 0..256, 258..510, 512..1020, 1024..1496
    assert by_hand == len({bf16_nearest(p) for p in range(1500)})
    assert check_distinct_positions_1500(by_hand, quiet=True).correct
    assert check_distinct_positions_1500(np.int64(by_hand), quiet=True).correct
    assert check_distinct_positions_1500(float(by_hand), quiet=True).correct
    for wrong in (1500, by_hand + 1, by_hand - 1):  # every position its own; 1499 -> 1504 counted; 0 forgotten
        r = check_distinct_positions_1500(wrong, quiet=True)
        assert r.status == WRONG and "Hint" in r.message and str(by_hand) not in r.message


def test_shared_row_1700():
    assert check_shared_row_1700(..., quiet=True).status == NOT_ATTEMPTED
    same = {p for p in range(2048) if bf16_nearest(p) == bf16_nearest(1700)}
    assert same == set(range(1692, 1701))
    assert check_shared_row_1700(same, quiet=True).correct
    assert check_shared_row_1700(sorted(same), quiet=True).correct
    assert check_shared_row_1700(range(1692, 1701), quiet=True).correct
    for wrong in (set(range(1697, 1705)),   # rounds 1700 up to 1704 and takes 1704's neighbours
                  set(range(1693, 1700)),   # forgets both ties
                  {1700}):                  # every position its own row
        r = check_shared_row_1700(wrong, quiet=True)
        assert r.status == WRONG and "Hint" in r.message


def _tables(inv_freq, positions, dtype):
    angles = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((angles, angles), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def fixed(base, dim, seq_len, dtype):
    inv = torch.tensor([base ** (-2 * i / dim) for i in range(dim // 2)], dtype=torch.float32)
    return _tables(inv, torch.arange(seq_len, dtype=torch.float32), dtype)


def fixed_in_float64(base, dim, seq_len, dtype):
    inv = torch.tensor([base ** (-2 * i / dim) for i in range(dim // 2)], dtype=torch.float64)
    return _tables(inv, torch.arange(seq_len, dtype=torch.float64), dtype)


def unfixed(base, dim, seq_len, dtype):  # the excerpt as it is
    inv = torch.tensor([base ** (-2 * i / dim) for i in range(dim // 2)]).to(torch.bfloat16)
    return _tables(inv, torch.arange(seq_len, dtype=inv.dtype), dtype)


def positions_only(base, dim, seq_len, dtype):  # float32 positions, but the rounded inv_freq kept
    inv = torch.tensor([base ** (-2 * i / dim) for i in range(dim // 2)]).to(torch.bfloat16).float()
    return _tables(inv, torch.arange(seq_len, dtype=torch.float32), dtype)


def float32_out(base, dim, seq_len, dtype):  # right numbers, never cast
    return fixed(base, dim, seq_len, torch.float32)


def test_fixed_rebuild():
    def stub(base, dim, seq_len, dtype):
        raise NotImplementedError

    assert check_fixed_rebuild(stub, quiet=True).status == NOT_ATTEMPTED
    assert check_fixed_rebuild(fixed, quiet=True).status == CORRECT
    assert check_fixed_rebuild(fixed_in_float64, quiet=True).correct
    for wrong, says in [(unfixed, "values differ"), (positions_only, "values differ"), (float32_out, "dtype")]:
        r = check_fixed_rebuild(wrong, quiet=True)
        assert r.status == WRONG and says in r.message and "Hint" in r.message, (wrong.__name__, r.message)
    r = check_fixed_rebuild(lambda *a: fixed(*a)[0], quiet=True)  # cos only
    assert r.status == WRONG and "(cos, sin)" in r.message and "returned a Tensor" in r.message
    r = check_fixed_rebuild(lambda *a: tuple(t.tolist() for t in fixed(*a)), quiet=True)  # lists, not tensors
    assert r.status == WRONG and "returned a tuple of (list, list)" in r.message


def test_fixed_rebuild_says_what_the_stacked_shape_is():
    def half_width(base, dim, seq_len, dtype):  # forgot the cat: (seq_len, dim/2) tables
        inv = torch.tensor([base ** (-2 * i / dim) for i in range(dim // 2)], dtype=torch.float32)
        angles = torch.arange(seq_len, dtype=torch.float32)[:, None] * inv[None, :]
        return angles.cos().to(dtype), angles.sin().to(dtype)

    r = check_fixed_rebuild(half_width, quiet=True)
    assert r.status == WRONG and "cos and sin shown stacked, shape (2, seq_len, dim)" in r.message
    assert "(2, 4096, 32), expected (2, 4096, 64)" in r.message
    r = check_fixed_rebuild(lambda *a: fixed(*a)[0], quiet=True)  # a raise: no stacked shapes to explain
    assert "stacked" not in r.message
