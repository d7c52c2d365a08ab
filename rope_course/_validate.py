"""Input checks shared by the pure functions and the modules.

Every public entry point validates *before* it touches any state, so a rejected call
leaves a module exactly as it was. Messages name the parameter and the value received.
"""

from __future__ import annotations

import math
import numbers
import operator

__all__ = [
    "check_dim",
    "check_max_position_embeddings",
    "check_base",
    "check_scaling_factor",
    "check_seq_len",
    "check_positive_int",
]


def _as_int(name: str, value) -> int:
    """Accept Python/numpy integers and 0-d integer tensors; refuse bools, floats, strings."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool ({value!r})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})") from None


def _as_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r})")
    return float(value)


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    value = _as_int(name, value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_dim(dim, minimum: int = 2) -> int:
    """`dim` is the rotary width D: an even int. The dynamic class needs D >= 4 for D/(D-2)."""
    dim = _as_int("dim", dim)
    if dim < minimum or dim % 2:
        why = " (the dynamic NTK exponent dim/(dim-2) needs dim >= 4)" if minimum >= 4 else ""
        raise ValueError(f"dim must be an even int >= {minimum}{why}, got {dim}")
    return dim


def check_max_position_embeddings(value) -> int:
    return check_positive_int("max_position_embeddings", value)


def check_base(base) -> float:
    value = _as_real("base", base)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"base must be a finite number > 0, got {base!r}")
    return value


def check_scaling_factor(scaling_factor) -> float:
    value = _as_real("scaling_factor", scaling_factor)
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"scaling_factor must be a finite number >= 1, got {scaling_factor!r}")
    return value


def check_seq_len(seq_len) -> int:
    if seq_len is None:
        raise ValueError(
            "seq_len is required: upstream's forward never infers it from x (seq_len=None makes "
            "upstream raise a TypeError); DeepseekV3Attention always passes seq_len=kv_seq_len "
            "(past + new tokens)"
        )
    return check_positive_int("seq_len", seq_len)
