"""What the rotary cache costs: memory, precision, rebuild work (lesson 08).

Pure helpers: byte counts from shapes (checked in the tests against real tensors' nbytes),
float32 angle error against an exact float64 reference, the rounding a bf16 model applies to
cos/sin anyway, how many distinct positions survive a cast to bf16 (and how torch's CPU `arange`
rounds them), how many table rows a decode loop rebuilds, and a small timing helper
(torch.utils.benchmark, interleaved rounds).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping

import torch

from ._validate import check_base, check_dim, check_positive_int, check_seq_len
from .functional import inv_freq_for_base

__all__ = [
    "MIB",
    "GIB",
    "dtype_bytes",
    "cos_sin_cache_bytes",
    "init_cache_bytes",
    "model_init_cache_bytes",
    "distinct_positions",
    "position_rounding_error",
    "nearest_positions",
    "cpu_arange_model",
    "rounding_error",
    "float32_angle_error",
    "decode_rebuild_rows",
    "median_times_interleaved",
]

MIB = 2**20
GIB = 2**30


def dtype_bytes(dtype: torch.dtype) -> int:
    """Bytes per element of a torch dtype (4 for float32, 2 for bf16/fp16, 8 for float64)."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__}")
    return torch.empty((), dtype=dtype).element_size()


def cos_sin_cache_bytes(seq_len, dim, dtype=torch.float32) -> int:
    """Bytes of one module's cos_cached + sin_cached: 2 tables of (seq_len, dim)."""
    seq_len = check_seq_len(seq_len)
    dim = check_dim(dim)
    return 2 * seq_len * dim * dtype_bytes(dtype)


def init_cache_bytes(max_position_embeddings, dim, dtype=None) -> int:
    """Bytes of the cache `__init__` builds (in the default dtype) and then discards."""
    dtype = torch.get_default_dtype() if dtype is None else dtype
    return cos_sin_cache_bytes(check_positive_int("max_position_embeddings", max_position_embeddings), dim, dtype)


def model_init_cache_bytes(num_layers, max_position_embeddings, dim, dtype=None) -> int:
    """The thrown-away init caches of a whole model: one rotary module per attention layer."""
    return check_positive_int("num_layers", num_layers) * init_cache_bytes(max_position_embeddings, dim, dtype)


def distinct_positions(seq_len, dtype) -> int:
    """How many distinct values `arange(seq_len)` has in `dtype` (upstream's t when cast)."""
    seq_len = check_seq_len(seq_len)
    return int(torch.arange(seq_len, dtype=dtype).unique().numel())


def position_rounding_error(seq_len, dtype) -> float:
    """max |t_dtype[p] - p| over p < seq_len: how far a rounded position is from the true one."""
    seq_len = check_seq_len(seq_len)
    exact = torch.arange(seq_len, dtype=torch.float64)
    return float((torch.arange(seq_len, dtype=dtype).double() - exact).abs().max())


def nearest_positions(seq_len, dtype) -> torch.Tensor:
    """The positions 0 .. seq_len-1 each rounded to the nearest value of `dtype` (ties to even):
    an exact cast of the integers, `arange(seq_len).to(dtype)`."""
    seq_len = check_seq_len(seq_len)
    return torch.arange(seq_len, dtype=torch.int64).to(dtype)


def cpu_arange_model(seq_len, width, dtype=torch.bfloat16) -> torch.Tensor:
    """What torch's CPU `arange(seq_len, dtype=dtype)` returns on one thread, for vectors of `width`.

    The kernel fills whole vectors of `width` values, two vectors per step: each vector starts
    from its first position rounded to `dtype`, and adds the offsets 0 .. width-1 to that rounded
    start (in float32, then rounded again). The positions left over after the last pair of
    vectors are computed one by one and rounded to nearest. So past the point where a vector's
    first position is no longer exact in `dtype`, positions can land a whole vector away from
    their nearest value. This reproduces torch 2.13's kernel position by position on this
    course's machine (tests/test_cost.py checks it for the width found there); `width` depends on
    the CPU build, and more threads split the range differently, so it models one thread only.
    """
    seq_len = check_seq_len(seq_len)
    width = check_positive_int("width", width)
    p = torch.arange(seq_len, dtype=torch.int64)
    out = p.to(dtype)
    vectorised = (seq_len // (2 * width)) * (2 * width)
    start = p[:vectorised] // width * width
    offset = (p[:vectorised] - start).to(torch.float32)
    out[:vectorised] = (start.to(dtype).to(torch.float32) + offset).to(dtype)
    return out


def rounding_error(values: torch.Tensor, dtype) -> float:
    """max |values rounded to `dtype` - values|: what a cast to `dtype` does to these numbers."""
    if not isinstance(values, torch.Tensor) or not values.dtype.is_floating_point:
        raise TypeError("values must be a floating-point tensor")
    exact = values.double()
    return float((values.to(dtype).double() - exact).abs().max())


def float32_angle_error(base, dim, positions) -> dict[str, torch.Tensor]:
    """Per pair: max over `positions` of |angle_fp32 - angle_exact| and |cos_fp32 - cos_exact|.

    angle_fp32 is what the cache builder computes (float32 positions times the float32
    inv_freq the package builds, as torch.outer does); the exact angle is p * b^(-2i/D) in
    float64 from the formula. Returns float64 tensors of shape (dim/2,).
    """
    base = check_base(base)
    dim = check_dim(dim)
    p = torch.as_tensor(positions)
    if p.ndim != 1 or p.numel() == 0:
        raise ValueError("positions must be a non-empty 1-D sequence of ints")
    inv32 = inv_freq_for_base(base, dim)
    ang32 = torch.outer(p.to(torch.float32), inv32)
    i = torch.arange(dim // 2, dtype=torch.float64)
    exact = torch.outer(p.to(torch.float64), base ** (-2.0 * i / dim))
    angle_err = (ang32.double() - exact).abs().amax(dim=0)
    cos_err = (ang32.cos().double() - exact.cos()).abs().amax(dim=0)
    return {"angle": angle_err, "cos": cos_err}


def decode_rebuild_rows(prefill, steps) -> int:
    """Table rows computed in a prefill of `prefill` tokens then `steps` one-token steps.

    Each call asks for exactly one more row than the cache holds, so every call rebuilds the
    whole table: prefill + (prefill + 1) + ... + (prefill + steps).
    """
    prefill = check_positive_int("prefill", prefill)
    steps = check_positive_int("steps", steps, minimum=0)
    return prefill * (steps + 1) + steps * (steps + 1) // 2


def median_times_interleaved(funcs: Mapping[str, Callable[[], object]], repeats: int = 7,
                             min_run_time: float = 0.02) -> dict[str, float]:
    """Median time (s) of each function, measured with `torch.utils.benchmark`.

    In each of `repeats` rounds every function is timed in turn (a `blocked_autorange` of at
    least `min_run_time` seconds), so slow drifts of the machine hit all of them alike; the
    result is the median over rounds. For display only: never assert on it.
    """
    from torch.utils.benchmark import Timer

    repeats = check_positive_int("repeats", repeats)
    timers = {name: Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
              for name, fn in funcs.items()}
    rounds = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, timer in timers.items():
            rounds[name].append(timer.blocked_autorange(min_run_time=min_run_time).median)
    return {name: statistics.median(values) for name, values in rounds.items()}
