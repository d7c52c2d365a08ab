"""Checkers for lesson 02 (the inherited forward).

Exercises (the expected values are computed here, from the package's modules, never printed by
the lesson):
1. `check_failing_expression(answer)`: predict where upstream's forward fails without
   `seq_len` in four situations the lesson does not show: a tuple of four letters, one per
   situation, from `FAILURE_OPTIONS`.
2. `check_returned_bytes(answer)`: derive how many bytes of new tensor memory the returned
   (cos, sin) of three calls occupy (a view of the cache: none; a copy: all of it).
3. `check_inferred_rows(answer)`: predict, for the "seq_len is inferred from x" fix of the
   series, how many rows a decode step gets and how many it needs: (rows returned, rows needed).
4. `check_slice_and_cast(fn)`: fn(table, seq_len, dtype) -> what forward returns for one table.
   Checked on values, dtype, and whether the result shares storage with `table` (it must when
   no cast is needed, and must not when the dtypes differ).

Helpers the lesson uses too: `shares_storage`, `observe_rebuilds`, `failure_site`.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import torch

from .._validate import upstream_errors
from ..rotary import DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding, RotaryEmbedding
from ..yarn import YarnRotaryEmbedding
from ._core import CORRECT, Case, CheckResult, check_answer, check_exercise, report

__all__ = [
    "shares_storage",
    "observe_rebuilds",
    "failure_site",
    "FAILURE_OPTIONS",
    "FAILURE_SITUATIONS",
    "forward_inferring_seq_len",
    "slice_and_cast_reference",
    "check_failing_expression",
    "check_returned_bytes",
    "check_inferred_rows",
    "check_slice_and_cast",
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


def failure_site(module, x=None) -> tuple[str, list[str], str] | None:
    """Call `module(x)` without seq_len with the course's guard off (`upstream_errors()`), so the
    call fails where upstream's code fails. Returns (the error's first line, the chain of the
    package's functions it went through, the source line that raised), or None if it did not fail.
    A torch error is cut before its list of accepted signatures, which differs between releases."""
    x = torch.zeros(1) if x is None else x
    try:
        with upstream_errors():
            module(x)
    except TypeError as exc:
        # the package's frames below this function (torch's own frames and this one left out)
        frames = [f for f in traceback.extract_tb(exc.__traceback__)[1:] if "rope_course" in Path(f.filename).parts]
        first_line = str(exc).splitlines()[0].split(" - got ")[0]  # torch lists the signatures after " - got "
        return f"{type(exc).__name__}: {first_line}", [f.name for f in frames], (frames[-1].line or "").strip()
    return None


# --- exercise 1: where does upstream fail? ----------------------------------------------------
FAILURE_OPTIONS = {
    "A": "torch.arange(seq_len, ...) in the cache builder",
    "B": "the forward's own check `seq_len > self.max_seq_len_cached`",
    "C": "the dynamic builder's `seq_len > self.max_position_embeddings`",
    "D": "no error",
}


def _linear_fresh():
    return LinearScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)


def _yarn_fresh():
    return YarnRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)


def _dynamic_after_a_long_call_and_the_repair():
    module = DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)
    module(torch.zeros(1), seq_len=3000)  # past L: a new base, 3000 rows cached
    module.max_seq_len_cached = None  # lesson 02's repair: force a rebuild on the next call
    return module


def _dynamic_after_a_failed_call():
    module = DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)
    failure_site(module)  # the first call without seq_len fails ...
    return module  # ... and the second one is made on the module it left behind


FAILURE_SITUATIONS = (
    ("LinearScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0), fresh", _linear_fresh),
    ("YarnRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0), fresh", _yarn_fresh),
    ("a DynamicNTKScalingRotaryEmbedding(64, 2048, scaling_factor=2.0) after one call with seq_len=3000, then "
     "the repair `module.max_seq_len_cached = None`", _dynamic_after_a_long_call_and_the_repair),
    ("a fresh DynamicNTKScalingRotaryEmbedding(64, 2048, scaling_factor=2.0) whose first call without "
     "seq_len has just failed", _dynamic_after_a_failed_call),
)


def _letter(site) -> str:
    if site is None:
        return "D"
    _, chain, line = site
    if "torch.arange" in line:
        return "A"
    if chain[-1] == "forward" and "max_seq_len_cached" in line:
        return "B"
    if "max_position_embeddings" in line:
        return "C"
    raise RuntimeError(f"unexpected failure site {site}")


def failing_expression_reference() -> tuple[str, ...]:
    return tuple(_letter(failure_site(make())) for _, make in FAILURE_SITUATIONS)


def check_failing_expression(answer, quiet: bool = False) -> CheckResult:
    labels = tuple(f"situation {number}" for number in range(1, len(FAILURE_SITUATIONS) + 1))
    return check_answer(
        "failing_expression", answer, failing_expression_reference(),
        hint=("follow the call: the forward's first line compares seq_len with max_seq_len_cached unless that is "
              "None; when it is None, the builder runs and the first expression that uses seq_len fails. What is "
              "max_seq_len_cached in each situation, which builder does each class have, and does a call that "
              "failed leave anything behind?"),
        quiet=quiet,
        item_names=labels,
    )


# --- exercise 2: bytes of the returned tensors -------------------------------------------------
def _new_bytes(module, x, seq_len) -> int:
    """Bytes of tensor data the returned (cos, sin) hold that the module's cache does not."""
    returned = module(x, seq_len=seq_len)
    cache = (module.cos_cached, module.sin_cached)
    return sum(0 if shares_storage(t, c) else t.numel() * t.element_size() for t, c in zip(returned, cache))


def returned_bytes_reference() -> tuple[int, int, int]:
    module = RotaryEmbedding(64, max_position_embeddings=2048)
    x32, x16 = torch.zeros(1), torch.zeros(1, dtype=torch.bfloat16)
    module(x32, seq_len=8192)
    return (_new_bytes(module, x16, 4096), _new_bytes(module, x32, 4096), _new_bytes(module, x16, 10000))


RETURNED_BYTES_CALLS = ("call 1 (bfloat16, seq_len=4096)", "call 2 (float32, seq_len=4096)",
                        "call 3 (bfloat16, seq_len=10000)")


def check_returned_bytes(answer, quiet: bool = False) -> CheckResult:
    return check_answer(
        "returned_bytes", answer, returned_bytes_reference(),
        hint=("a view holds no data of its own; .to(dtype) makes a copy only when the dtype differs from the "
              "dtype of the cache, and a rebuild builds the cache in the dtype of the x that asked for it. "
              "A copy of one table has seq_len x dim elements of the new dtype, and there are two tables."),
        quiet=quiet,
        item_names=RETURNED_BYTES_CALLS,
    )


# --- exercise 3: the "infer seq_len from x" fix -------------------------------------------------
def forward_inferring_seq_len(rope, x, seq_len=None):
    """The series' fix: `seq_len` optional, inferred from `x.shape[-2]` when it is None."""
    if seq_len is None:
        seq_len = x.shape[-2]
    return rope(x, seq_len=seq_len)


def inferred_rows_reference() -> tuple[int, int]:
    rope = DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)
    value_states = torch.zeros(1, 128, 1, 128)  # (batch, heads, new tokens, v_head_dim) at a decode step
    position_ids = torch.tensor([[100]])  # the new token's position: 100 tokens are cached already
    cos, _ = forward_inferring_seq_len(rope, value_states)
    return cos.shape[0], int(position_ids.max()) + 1


def check_inferred_rows(answer, quiet: bool = False) -> CheckResult:
    return check_answer(
        "inferred_rows", answer, inferred_rows_reference(),
        hint=("the fix passes x.shape[-2] as seq_len: which axis of value_states is that at a decode step? "
              "apply_rotary_pos_emb indexes the table with position_ids: which row indices must the table have?"),
        quiet=quiet,
        item_names=("(rows returned)", "(rows needed)"),
    )


# --- exercise 4: slice and cast ------------------------------------------------------------------
def slice_and_cast_reference(table: torch.Tensor, seq_len: int, dtype: torch.dtype) -> torch.Tensor:
    return table[:seq_len].to(dtype=dtype)


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
    hint = ("forward returns the first seq_len rows, cast with .to(dtype): no .clone() (the no-cast case must "
            "share the table's memory), and the cast must happen when the dtypes differ")
    values = check_exercise("slice_and_cast", fn, slice_and_cast_reference, cases,
                            rtol=0.0, atol=0.0, quiet=True, hint=hint)
    if not values.correct:
        result = values
    else:
        result = check_exercise(
            "slice_and_cast (dtype, shares storage with table)", _dtype_and_sharing(fn),
            _dtype_and_sharing(slice_and_cast_reference), cases, quiet=True, hint=hint,
        )
        if result.correct:
            result = CheckResult(CORRECT, f"slice_and_cast: correct ({len(cases)} cases: values, dtype, storage)")
    result.exercise = "slice_and_cast"
    return report(result, quiet)
