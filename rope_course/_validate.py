"""Input checks shared by the pure functions, the modules and the engine models.

Every public entry point validates *before* it touches any state, so a rejected call leaves a
module exactly as it was. Messages name the parameter and the value received. There is one
integer check (`check_int`) and one real-number check (`check_real`); the named checks below
are those two with the course's rules for each parameter.

Booleans are never numbers here, in any form (Python `True`, `numpy.bool_`, a 0-d bool tensor):
`seq_len=True` is a bug, not the length 1.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
import operator

import numpy as np
import torch

__all__ = [
    "check_int",
    "check_real",
    "check_positive_int",
    "check_dim",
    "check_max_position_embeddings",
    "check_base",
    "check_scaling_factor",
    "check_seq_len",
    "check_position_scale",
    "check_table_size",
    "checked_seq_len",
    "input_checks_on",
    "upstream_errors",
    "MAX_TABLE_BYTES",
]

# The most memory a pair of cos/sin tables may take. DeepSeek-V3's longest table (163840 x 64,
# float32) is 80 MiB; 4 GiB is 50 times that. A larger request is almost surely a typo
# (seq_len=10**9), and allocating it would kill the notebook's kernel instead of raising.
MAX_TABLE_BYTES = 4 << 30


def _is_bool(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    return isinstance(value, torch.Tensor) and value.dtype == torch.bool


def _describe(value) -> str:
    return f"{type(value).__name__} ({value!r})"


def check_int(name: str, value, minimum: int | None = None) -> int:
    """A Python int for a Python/numpy integer or a 0-d integer tensor; bools and floats refused."""
    if _is_bool(value):
        raise TypeError(f"{name} must be an int, got a bool ({value!r})")
    if isinstance(value, torch.Tensor) and (value.dim() != 0 or value.dtype.is_floating_point):
        raise TypeError(f"{name} must be an int, got a tensor of shape {tuple(value.shape)} and dtype {value.dtype}")
    try:
        out = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {_describe(value)}") from None
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {out}")
    return out


def check_real(name: str, value, *, minimum: float | None = None, strict: bool = False,
               why: str = "") -> float:
    """A finite Python float for a Python/numpy real or a 0-d real tensor.

    `minimum` with `strict=False` requires value >= minimum, with `strict=True` value > minimum;
    `why` is appended to the range error to say what the bound is for.
    """
    if _is_bool(value):
        raise TypeError(f"{name} must be a real number, got a bool ({value!r})")
    if isinstance(value, torch.Tensor):
        if value.dim() != 0 or value.is_complex():
            raise TypeError(f"{name} must be a real number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and (out <= minimum if strict else out < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum:g}{why}, got {value!r}")
    return out


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    return check_int(name, value, minimum)


def check_dim(dim, minimum: int = 2) -> int:
    """`dim` is the rotary width D: an even int. The dynamic class needs D >= 4 for D/(D-2)."""
    dim = check_int("dim", dim)
    if dim < minimum or dim % 2:
        why = " (the dynamic NTK exponent dim/(dim-2) needs dim >= 4)" if minimum >= 4 else ""
        raise ValueError(f"dim must be an even int >= {minimum}{why}, got {dim}")
    return dim


def check_max_position_embeddings(value) -> int:
    return check_int("max_position_embeddings", value, 1)


def check_base(base) -> float:
    """RoPE's base b, with inv_freq[i] = b^(-2i/D): it must be > 1 for the pairs to have
    distinct frequencies from fast (i = 0) to slow (i = D/2 - 1)."""
    return check_real(
        "base", base, minimum=1.0, strict=True,
        why=" (at base 1 every pair has the same frequency, and below 1 the order of the pairs inverts)",
    )


def check_scaling_factor(scaling_factor) -> float:
    return check_real("scaling_factor", scaling_factor, minimum=1.0)


def check_position_scale(position_scale) -> float:
    """The linear class divides positions by it (its scaling_factor): finite and > 0."""
    return check_real("position_scale", position_scale, minimum=0.0, strict=True)


def check_seq_len(seq_len) -> int:
    if seq_len is None:
        raise ValueError(
            "seq_len is required: upstream's forward never infers it from x (seq_len=None makes "
            "upstream raise a TypeError); DeepseekV3Attention always passes seq_len=kv_seq_len "
            "(past + new tokens)"
        )
    return check_int("seq_len", seq_len, 1)


def check_table_size(seq_len: int, dim: int, dtype: torch.dtype) -> None:
    """Refuse, before allocating, a (seq_len, dim) cos/sin pair larger than MAX_TABLE_BYTES."""
    needed = 2 * seq_len * dim * torch.empty((), dtype=dtype).element_size()
    if needed > MAX_TABLE_BYTES:
        raise ValueError(
            f"seq_len={seq_len} would need {needed / 2**30:.1f} GiB for the cos and sin tables "
            f"(2 x seq_len x dim={dim} x {torch.empty((), dtype=dtype).element_size()} bytes); "
            f"the limit is {MAX_TABLE_BYTES / 2**30:.0f} GiB (rope_course._validate.MAX_TABLE_BYTES). "
            "Is it a typo?"
        )


# --- switching the forward path's guard off, to see upstream's own errors -------------------
_INPUT_CHECKS = contextvars.ContextVar("rope_course_input_checks", default=True)


@contextlib.contextmanager
def upstream_errors():
    """Inside this block the modules' forward path runs without the course's input checks on
    `seq_len` and `x`, so a bad call fails where and how upstream's code fails (for example
    `forward(x)` without `seq_len`). Only for showing those errors; everything else is unchanged.

        with rc.upstream_errors():
            rope(x)          # TypeError raised by upstream's own expression, not by the course
    """
    token = _INPUT_CHECKS.set(False)
    try:
        yield
    finally:
        _INPUT_CHECKS.reset(token)


def input_checks_on() -> bool:
    return _INPUT_CHECKS.get()


def checked_seq_len(seq_len):
    """`check_seq_len(seq_len)`, or `seq_len` untouched inside `upstream_errors()`."""
    return check_seq_len(seq_len) if _INPUT_CHECKS.get() else seq_len
