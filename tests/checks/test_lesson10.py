import torch

from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson10 import (
    check_answer_accuracy,
    check_answer_positions,
    check_ntk_fixed_base,
    reference_answer_accuracy,
    reference_answer_positions,
    reference_ntk_fixed_base,
)
from rope_course.toy.data import make_batch
from rope_course.toy.model import ntk_fixed_base


def _stub(*args):
    raise NotImplementedError


def test_references_agree_with_the_package():
    assert reference_ntk_fixed_base(100.0, 32, 8.0) == ntk_fixed_base(100.0, 32, 8.0)
    b = make_batch(1, 128, torch.Generator().manual_seed(0))
    assert reference_answer_positions(128) == (b.targets[0] != -100).nonzero().flatten().tolist()


def test_ntk_fixed_base_checker():
    assert check_ntk_fixed_base(reference_ntk_fixed_base, quiet=True).correct
    assert check_ntk_fixed_base(_stub, quiet=True).status == NOT_ATTEMPTED
    wrong_exponent = check_ntk_fixed_base(lambda b, d, s: b * s ** ((d - 2) / d), quiet=True)
    assert wrong_exponent.status == "wrong" and "base=100, dim=32, s=8" in wrong_exponent.message
    linear_like = check_ntk_fixed_base(lambda b, d, s: b * s, quiet=True)
    assert linear_like.status == "wrong" and "s=8" in linear_like.message


def test_answer_positions_checker():
    assert check_answer_positions(reference_answer_positions, quiet=True).correct
    assert check_answer_positions(_stub, quiet=True).status == NOT_ATTEMPTED
    off_by_one = check_answer_positions(lambda T: [3 * T // 4 + 2 * j + 1 for j in range(T // 8)], quiet=True)
    assert off_by_one.status == "wrong" and "seq_len=8" in off_by_one.message
    all_query_block = check_answer_positions(lambda T: list(range(3 * T // 4, T)), quiet=True)
    assert all_query_block.status == "wrong" and "seq_len=8" in all_query_block.message


def test_answer_accuracy_checker():
    assert check_answer_accuracy(reference_answer_accuracy, quiet=True).correct
    assert check_answer_accuracy(_stub, quiet=True).status == NOT_ATTEMPTED
    over_all_positions = check_answer_accuracy(
        lambda lg, t: (lg.argmax(-1) == t).double().mean().item(), quiet=True)
    assert over_all_positions.status == "wrong" and "scored answers" in over_all_positions.message
    count_not_fraction = check_answer_accuracy(
        lambda lg, t: float((lg[t != -100].argmax(-1) == t[t != -100]).sum()), quiet=True)
    assert count_not_fraction.status == "wrong" and "logits (2, 8, 5)" in count_not_fraction.message
