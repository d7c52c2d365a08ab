import pytest
import torch

import rope_course as rc
from rope_course.checks import NOT_ATTEMPTED
from rope_course.checks.lesson02 import (
    check_rebuild_pattern,
    check_slice_and_cast,
    check_will_rebuild,
    observe_rebuilds,
    rebuild_pattern_reference,
    shares_storage,
    slice_and_cast_reference,
    will_rebuild_reference,
)


def stub(*args):
    raise NotImplementedError


def simulated_pattern(seq_lens, start=None, strict=True):
    cached, out = start, []
    for l in seq_lens:
        rebuilt = cached is None or (l > cached if strict else l >= cached)
        if rebuilt:
            cached = l
        out.append(rebuilt)
    return out


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


def test_references_agree_with_each_other():
    for lens in ([4, 4, 4], [16, 8, 16, 17], [5, 6, 7, 8], [20, 3, 21], [1, 100, 50, 101]):
        assert rebuild_pattern_reference(lens) == simulated_pattern(lens)
    t = torch.randn(5, 4)
    out = slice_and_cast_reference(t, 3, torch.float32)
    assert shares_storage(out, t) and out.shape == (3, 4)
    assert will_rebuild_reference(None, 1) and not will_rebuild_reference(8, 8) and will_rebuild_reference(8, 9)


@pytest.mark.parametrize("check", [check_will_rebuild, check_slice_and_cast, check_rebuild_pattern])
def test_stub_is_not_attempted(check):
    result = check(stub, quiet=True)
    assert result.status == NOT_ATTEMPTED and not result.correct


def test_will_rebuild_accepts_solution():
    assert check_will_rebuild(lambda c, l: c is None or l > c, quiet=True).correct


@pytest.mark.parametrize("wrong,case", [
    (lambda c, l: c is None or l >= c, "max_seq_len_cached=8, seq_len=8 (same length)"),   # not strict
    (lambda c, l: l > c, "max_seq_len_cached=None (fresh module), seq_len=16"),           # None forgotten (raises)
    (lambda c, l: c is None and l > 16 or c is not None and l > c, "max_seq_len_cached=None (fresh module), seq_len=16"),  # init cache kept
    (lambda c, l: l > 2048, "max_seq_len_cached=None (fresh module), seq_len=16"),        # compares with L
])
def test_will_rebuild_rejects_typical_mistakes(wrong, case):
    result = check_will_rebuild(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message


def test_slice_and_cast_accepts_solution():
    assert check_slice_and_cast(lambda t, l, d: t[:l].to(dtype=d), quiet=True).correct
    assert check_slice_and_cast(lambda t, l, d: t.narrow(0, 0, l).to(d), quiet=True).correct


@pytest.mark.parametrize("wrong,case,what", [
    (lambda t, l, d: t[:l].clone().to(d), "float32 table, seq_len=3, dtype=float32 (no cast)", "shares storage"),
    (lambda t, l, d: t[:l], "float32 table, seq_len=2, dtype=bfloat16 (cast)", "values"),
    (lambda t, l, d: t[-l:].to(d), "float32 table, seq_len=3, dtype=float32 (no cast)", "values"),
    (lambda t, l, d: t[:l + 1].to(d), "float32 table, seq_len=3, dtype=float32 (no cast)", "values"),
    (lambda t, l, d: t.to(d)[:l] if t.dtype != d else t[:l].clone(), "float32 table, seq_len=3", "shares storage"),
])
def test_slice_and_cast_rejects_typical_mistakes(wrong, case, what):
    result = check_slice_and_cast(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message and what in result.message


def test_rebuild_pattern_accepts_solution():
    assert check_rebuild_pattern(simulated_pattern, quiet=True).correct


@pytest.mark.parametrize("wrong,case", [
    (lambda lens: simulated_pattern(lens, start=16), "seq_lens [4, 4, 4] (fresh module, L = 16)"),   # init cache used
    (lambda lens: simulated_pattern(lens, strict=False), "seq_lens [4, 4, 4] (fresh module, L = 16)"),  # >=
    (lambda lens: [l > 16 for l in lens], "seq_lens [4, 4, 4] (fresh module, L = 16)"),             # only past L
    (lambda lens: [True] + [False] * (len(lens) - 1), "seq_lens [16, 8, 16, 17]"),                   # only the first
])
def test_rebuild_pattern_rejects_typical_mistakes(wrong, case):
    result = check_rebuild_pattern(wrong, quiet=True)
    assert result.status == "wrong" and case in result.message
