"""Checkers for lesson 02 (the inherited forward).

Exercises:
1. `check_will_rebuild(fn)`: fn(max_seq_len_cached, seq_len) -> bool, the forward's cache check.
2. `check_slice_and_cast(fn)`: fn(table, seq_len, dtype) -> what forward returns for one table.
   Checked on values, dtype, and whether the result shares storage with `table` (it must when
   no cast is needed, and must not when the dtypes differ).
3. `check_rebuild_pattern(fn)`: fn(seq_lens) -> [bool, ...], which calls of a sequence of
   forward calls on a fresh module rebuild the cache. The reference asks a real module.

Helpers the lesson uses too: `shares_storage`, `observe_rebuilds`.
"""

from __future__ import annotations

import torch

from ..rotary import RotaryEmbedding
from ._core import CORRECT, Case, CheckResult, check_exercise, report

__all__ = [
    "shares_storage",
    "observe_rebuilds",
    "will_rebuild_reference",
    "slice_and_cast_reference",
    "rebuild_pattern_reference",
    "check_will_rebuild",
    "check_slice_and_cast",
    "check_rebuild_pattern",
]


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when a and b are views of the same memory (same untyped storage)."""
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def observe_rebuilds(rope, calls, make_x=None) -> list[bool]:
    """Run rope(x, seq_len=l) for each l in `calls`; return, per call, whether the cache was rebuilt.

    The rebuild is observed, not predicted: `_set_cos_sin_cache` is wrapped on this one instance
    (an instance attribute shadows the class method, and forward calls it through `self`).
    """
    if make_x is None:
        def make_x(_seq_len):
            return torch.zeros(1)
    seen = []
    original = rope._set_cos_sin_cache

    def recording(*args, **kwargs):
        seen.append(True)
        return original(*args, **kwargs)

    rope._set_cos_sin_cache = recording
    try:
        pattern = []
        for seq_len in calls:
            before = len(seen)
            rope(make_x(seq_len), seq_len=seq_len)
            pattern.append(len(seen) > before)
    finally:
        del rope._set_cos_sin_cache
    return pattern


def will_rebuild_reference(max_seq_len_cached, seq_len) -> bool:
    return max_seq_len_cached is None or seq_len > max_seq_len_cached


def slice_and_cast_reference(table: torch.Tensor, seq_len: int, dtype: torch.dtype) -> torch.Tensor:
    return table[:seq_len].to(dtype=dtype)


def rebuild_pattern_reference(seq_lens) -> list[bool]:
    return observe_rebuilds(RotaryEmbedding(8, max_position_embeddings=16), list(seq_lens))


def check_will_rebuild(fn, quiet: bool = False) -> CheckResult:
    cases = [
        Case((None, 16), label="max_seq_len_cached=None (fresh module), seq_len=16"),
        Case((None, 3), label="max_seq_len_cached=None, seq_len=3 (shorter than L)"),
        Case((8, 8), label="max_seq_len_cached=8, seq_len=8 (same length)"),
        Case((8, 9), label="max_seq_len_cached=8, seq_len=9"),
        Case((8, 3), label="max_seq_len_cached=8, seq_len=3"),
        Case((4096, 100000), label="max_seq_len_cached=4096, seq_len=100000"),
    ]
    return check_exercise("will_rebuild", fn, will_rebuild_reference, cases, quiet=quiet)


def _dtype_and_sharing(fn):
    """Wrap a slice-and-cast function so the checker sees (dtype, shares storage with table)."""
    def observed(table, seq_len, dtype):
        out = fn(table, seq_len, dtype)
        if not isinstance(out, torch.Tensor):
            return (type(out).__name__, None)
        return (str(out.dtype), shares_storage(out, table))
    observed.__name__ = getattr(fn, "__name__", "observed")
    return observed


def check_slice_and_cast(fn, quiet: bool = False) -> CheckResult:
    """First the values (exactly), then (dtype, shares storage with table) on the same cases."""
    g = torch.Generator().manual_seed(3)
    table32 = torch.randn(6, 4, generator=g)
    table_bf16 = torch.randn(6, 4, generator=g).to(torch.bfloat16)
    cases = [
        Case((table32, 3, torch.float32), label="float32 table, seq_len=3, dtype=float32 (no cast)"),
        Case((table32, 6, torch.float32), label="float32 table, seq_len=6 (all rows), dtype=float32"),
        Case((table32, 2, torch.bfloat16), label="float32 table, seq_len=2, dtype=bfloat16 (cast)"),
        Case((table_bf16, 3, torch.float32), label="bfloat16 table, seq_len=3, dtype=float32 (cast)"),
    ]
    values = check_exercise("slice_and_cast (values)", fn, slice_and_cast_reference, cases,
                            rtol=0.0, atol=0.0, quiet=True)
    if not values.correct:
        result = values
    else:
        result = check_exercise(
            "slice_and_cast (dtype, shares storage with table)", _dtype_and_sharing(fn),
            _dtype_and_sharing(slice_and_cast_reference), cases, quiet=True,
        )
        if result.correct:
            result = CheckResult(CORRECT, f"slice_and_cast: correct ({len(cases)} cases: values, dtype, storage)")
    result.exercise = "slice_and_cast"
    return report(result, quiet)


def check_rebuild_pattern(fn, quiet: bool = False) -> CheckResult:
    cases = [
        Case(([4, 4, 4],), label="seq_lens [4, 4, 4] (fresh module, L = 16)"),
        Case(([16, 8, 16, 17],), label="seq_lens [16, 8, 16, 17]"),
        Case(([5, 6, 7, 8],), label="seq_lens [5, 6, 7, 8] (a decode loop)"),
        Case(([20, 3, 21],), label="seq_lens [20, 3, 21]"),
    ]
    return check_exercise("rebuild_pattern", fn, rebuild_pattern_reference, cases, quiet=quiet)
