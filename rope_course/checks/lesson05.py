"""Exercise checkers for lesson 05 (the whole forward, history dependence, HF's reset)."""

from __future__ import annotations

from ..functional import inv_freq_for_base
from ..hf_reset import hf_base_after
from ..calls import simulate_calls
from ._core import Case, check_exercise

__all__ = ["check_inv_freq_after", "check_hf_base_after", "HISTORY_CASES"]

HISTORY_CASES = [
    Case(([8], 8, 16, 2.0), label="calls [8], D=8, L=16, s=2"),
    Case(([32, 8], 8, 16, 2.0), label="calls [32, 8], D=8, L=16, s=2"),
    Case(([1000, 3000], 64, 2048, 2.0), label="calls [1000, 3000], D=64, L=2048, s=2"),
    Case(([3000, 2500], 64, 2048, 2.0), label="calls [3000, 2500], D=64, L=2048, s=2"),
    Case(([3000, 1000], 64, 2048, 2.0), label="calls [3000, 1000], D=64, L=2048, s=2"),
    Case(([4000, 3000, 5000], 64, 2048, 1.0), label="calls [4000, 3000, 5000], D=64, L=2048, s=1"),
    Case(([3000, 2048], 64, 2048, 2.0), label="calls [3000, 2048] (exactly L), D=64, L=2048, s=2"),
]


def _reference_inv_freq(calls, dim, max_position_embeddings, scaling_factor):
    base = simulate_calls(calls, max_position_embeddings, scaling_factor, 10000, dim)[-1].base_in_force
    return inv_freq_for_base(base, dim)


def _reference_hf_base(calls, dim, max_position_embeddings, scaling_factor):
    return hf_base_after(calls, dim, max_position_embeddings, 10000, scaling_factor)[-1]


def check_inv_freq_after(solution, quiet: bool = False):
    """`solution(calls, dim, L, s) -> inv_freq` a DeepSeek module (base 10000) holds after `calls`."""
    return check_exercise("inv_freq_after", solution, _reference_inv_freq, HISTORY_CASES, rtol=1e-5, quiet=quiet)


def check_hf_base_after(solution, quiet: bool = False):
    """`solution(calls, dim, L, s) -> float`: the base in force after `calls` under HF's rule."""
    return check_exercise("hf_base_after", solution, _reference_hf_base, HISTORY_CASES, rtol=1e-9, quiet=quiet)
