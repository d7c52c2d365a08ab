"""Checkers for lesson 06 (RoPE inside attention; trained angle ranges under dynamic NTK)."""

from __future__ import annotations

import numpy as np
import torch

from ..attention import angle_ranges, inv_freq64, rope_score
from ._core import Case, check_exercise

__all__ = [
    "reference_score_at_distance",
    "reference_max_angle_ratios",
    "reference_pairs_beyond",
    "check_score_at_distance",
    "check_max_angle_ratios",
    "check_pairs_beyond",
]


def reference_score_at_distance(q, k, distance, inv_freq) -> float:
    """q_m . k_n after the rotation, for m - n = distance (q, k: (D,) in the model's layout)."""
    return float(rope_score(q, k, [distance], inv_freq)[0])


def reference_max_angle_ratios(dim, base, seq_len, max_position_embeddings, scaling_factor) -> torch.Tensor:
    """Per pair: (l-1) theta'_i / ((L-1) theta_i) with the dynamic NTK base for l (float64)."""
    return torch.as_tensor(angle_ranges(dim, base, seq_len, max_position_embeddings, scaling_factor)["dynamic_ratio"])


def _as_float64_tensor(fn):
    """Let a learner return a numpy array, a list or a tensor: compare them all as float64 tensors."""

    def wrapped(*args, **kwargs):
        got = fn(*args, **kwargs)
        if isinstance(got, (np.ndarray, list, tuple)):
            got = torch.as_tensor(np.asarray(got, dtype=np.float64))
        elif isinstance(got, torch.Tensor):
            got = got.double()
        return got

    return wrapped


def reference_pairs_beyond(dim, base, seq_len, max_position_embeddings, scaling_factor) -> int:
    """How many pairs that made less than one turn in training exceed their trained max angle."""
    return angle_ranges(dim, base, seq_len, max_position_embeddings, scaling_factor)["n_beyond_dynamic"]


def _score_cases():
    g = torch.Generator().manual_seed(6)
    cases = []
    for dim, distance in [(8, 0), (8, 3), (16, 11), (64, 1000), (64, 5)]:
        q = torch.randn(dim, generator=g, dtype=torch.float64)
        k = torch.randn(dim, generator=g, dtype=torch.float64)
        inv_freq = torch.as_tensor(inv_freq64(10000.0, dim))
        cases.append(Case((q, k, distance, inv_freq), label=f"(D={dim}, distance={distance})"))
    return cases


_RANGE_CASES = [
    Case((64, 10000.0, 8192, 4096, 1.0), label="(D=64, b=1e4, l=8192, L=4096, s=1)"),
    Case((64, 10000.0, 8192, 4096, 2.0), label="(D=64, b=1e4, l=8192, L=4096, s=2)"),
    Case((64, 10000.0, 2048, 4096, 2.0), label="(D=64, b=1e4, l=2048 < L=4096, s=2)"),
    Case((16, 500.0, 100, 16, 3.0), label="(D=16, b=500, l=100, L=16, s=3)"),
    Case((64, 50000.0, 131072, 4096, 1.0), label="(D=64, b=5e4, l=131072, L=4096, s=1)"),
]


def check_score_at_distance(solution, quiet: bool = False):
    return check_exercise("score_at_distance", solution, reference_score_at_distance, _score_cases(),
                          rtol=1e-9, atol=1e-9, quiet=quiet)


def check_max_angle_ratios(solution, quiet: bool = False):
    return check_exercise("max_angle_ratios", _as_float64_tensor(solution), reference_max_angle_ratios, _RANGE_CASES,
                          rtol=1e-9, atol=1e-12, quiet=quiet)


def check_pairs_beyond(solution, quiet: bool = False):
    return check_exercise("pairs_beyond", solution, reference_pairs_beyond, _RANGE_CASES, quiet=quiet)
