"""Exercise checkers for lesson 08 (precision and cost). The expected values are computed here,
from the package; the lesson never prints them."""

from __future__ import annotations

import torch

from ..cost import nearest_positions
from ..functional import cos_sin_tables, inv_freq_for_base
from ._core import CORRECT, Case, CheckResult, check_answer, check_exercise, report

__all__ = ["check_distinct_positions_1500", "check_shared_row_1700", "check_fixed_rebuild"]

PROMPT_LEN = 1500  # exercise 1: positions 0 .. 1499 of a bf16-cast module
SHARED_POSITION, TABLE_LEN = 1700, 2048  # exercise 2


def check_distinct_positions_1500(answer, quiet: bool = False):
    """How many distinct values the positions 0..1499 take in bf16 (rounded to nearest, ties to even)."""
    expected = int(nearest_positions(PROMPT_LEN, torch.bfloat16).unique().numel())
    return check_answer("distinct_positions_1500", answer, expected, quiet=quiet,
                        hint="bf16 keeps 8 significant bits: count the exact integers up to 256, then the values "
                             "spaced 2 in [256, 512), 4 in [512, 1024) and 8 in [1024, 2048); last, ask where 1499 "
                             "itself lands")


def _shared_row():
    positions = nearest_positions(TABLE_LEN, torch.bfloat16)
    return {int(p) for p in torch.nonzero(positions == positions[SHARED_POSITION]).flatten()}


def check_shared_row_1700(answer, quiet: bool = False):
    """The set of positions in 0..2047 whose bf16 value equals position 1700's."""
    if isinstance(answer, (list, tuple, range)):
        answer = set(answer)
    return check_answer("positions_like_1700", answer, _shared_row(), quiet=quiet,
                        hint="in [1024, 2048) bf16 is spaced 8 apart; 1700 is not on the grid. Which grid value is "
                             "nearest, and where do the ties on either side of it go (to the value whose last "
                             "mantissa bit is 0)?")


def _float32_tables(base, dim, seq_len, dtype):
    return cos_sin_tables(inv_freq_for_base(base, dim), seq_len, dtype)


FIX_CASES = [
    Case((10000.0, 64, 4096, torch.bfloat16), label="base 1e4, dim 64, seq_len 4096, bf16 output"),
    Case((50000.0, 64, 3000, torch.float32), label="base 5e4, dim 64, seq_len 3000, float32 output"),
    Case((10000.0, 8, 300, torch.bfloat16), label="base 1e4, dim 8, seq_len 300, bf16 output"),
]
FIX_HINT = ("two things in the excerpt follow the cast: the dtype of the positions t, and inv_freq itself, which "
            "was rounded to bf16; rebuild both in float32 and cast only at the end")


def _describe(out) -> str:
    """What a learner's function returned, in a few words: 'a tuple of (list, list)', 'a Tensor'."""
    if isinstance(out, (tuple, list)):
        parts = ", ".join(f"{type(t).__name__} {tuple(t.shape)} {t.dtype}" if isinstance(t, torch.Tensor)
                          else type(t).__name__ for t in out[:3])
        return f"a {type(out).__name__} of ({parts}{', ...' if len(out) > 3 else ''})"
    return f"a {type(out).__name__}"


def _stacked(fn):
    """(cos, sin) -> one tensor of shape (2, seq_len, dim), so that a message shows one short summary."""
    def run(*args):
        out = fn(*args)
        if not (isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)
                and out[0].shape == out[1].shape and out[0].dtype == out[1].dtype):
            raise TypeError(f"fixed_rebuild must return (cos, sin), two tensors of the same shape and dtype; "
                            f"it returned {_describe(out)}")
        return torch.stack(tuple(out))
    return run


def _stacked_reference(*args):
    return torch.stack(_float32_tables(*args))


def check_fixed_rebuild(fn, quiet: bool = False):
    """fn(base, dim, seq_len, dtype) -> (cos, sin): a float32 module's tables, cast to `dtype`.
    Messages show cos and sin stacked, as one tensor of shape (2, seq_len, dim)."""
    for case in FIX_CASES:
        dtype = case.args[3]
        # Slack for honest differences: inv_freq computed another way can differ by an ulp, which
        # moves an angle at p ~ 4000 by up to ~5e-4 rad, and a bf16 value may then round to its
        # neighbour (2^-8 away). The bug is off by whole units (bf16 positions, rounded inv_freq).
        result = check_exercise("fixed_rebuild", _stacked(fn), _stacked_reference, [case], rtol=0.0,
                                atol=2**-7 if dtype == torch.bfloat16 else 1e-3, dtype=dtype, hint=FIX_HINT,
                                quiet=True)
        if not result.correct:
            if "expected tensor of shape" in result.message:  # say what the leading 2 of the shapes shown is
                message = result.message.replace(f"{case.label}: ", f"{case.label} (cos and sin shown stacked, "
                                                  f"shape (2, seq_len, dim)): ", 1)
                result = CheckResult(result.status, message, result.exercise, result.hint)
            return report(result, quiet)
    return report(CheckResult(CORRECT, f"fixed_rebuild: correct ({len(FIX_CASES)} cases)", "fixed_rebuild"), quiet)
