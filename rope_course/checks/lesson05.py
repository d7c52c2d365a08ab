"""Exercise checkers for lesson 05 (the whole forward, history dependence, HF's reset).

1. `check_base_after(solution)`: derive DeepSeek's base after any call sequence (a closed form).
2. `check_hf_trace(answer)`: predict, call by call, whose base HF's rule serves for one trace.
3. `check_misconceptions(answer)`: which of eight statements found in the wild are true.
4. `check_restoring_fix(answer)`: find what is wrong with a proposed fix of the history dependence
   (restore the original inv_freq inside the builder): for each call of a trace, does the fixed
   module return what a fresh module returns?

Expected values are computed here from the package, never printed by the lesson: the base from
the rebuild simulation (`calls.simulate_calls`), the HF trace from the model of HF's rule
(`hf_reset.HFDynamicRope`), each statement's truth by a small experiment on the modules, and the
fix's trace by running the fixed module against fresh ones.
"""

from __future__ import annotations

import torch

from ..calls import CountingRotaryEmbedding, simulate_calls
from ..functional import dynamic_ntk_base, inv_freq_for_base
from ..hf_reset import HFDynamicRope
from ..presets import KIMI_K2_INSTRUCT, rotary_class_for
from ..rotary import DynamicNTKScalingRotaryEmbedding
from ..yarn import YarnRotaryEmbedding
from ._core import Case, check_answer, check_exercise

__all__ = [
    "HISTORY_CASES",
    "HF_TRACE_CALLS",
    "HF_TRACE_L",
    "HF_TRACE_SCALING_FACTOR",
    "MISCONCEPTION_COUNT",
    "check_base_after",
    "check_hf_trace",
    "check_misconceptions",
    "FIX_TRACE_CALLS",
    "check_restoring_fix",
]

HISTORY_CASES = [
    Case(([8], 8, 16, 2.0), label="calls [8], D=8, L=16, s=2"),
    Case(([32, 8], 8, 16, 2.0), label="calls [32, 8], D=8, L=16, s=2"),
    Case(([1000, 3000], 64, 2048, 2.0), label="calls [1000, 3000], D=64, L=2048, s=2"),
    Case(([3000, 2500], 64, 2048, 2.0), label="calls [3000, 2500], D=64, L=2048, s=2"),
    Case(([3000, 1000], 64, 2048, 2.0), label="calls [3000, 1000], D=64, L=2048, s=2"),
    Case(([4000, 3000, 5000], 64, 2048, 1.0), label="calls [4000, 3000, 5000], D=64, L=2048, s=1"),
    Case(([3000, 2048], 64, 2048, 2.0), label="calls [3000, 2048] (exactly L), D=64, L=2048, s=2"),
    Case(([100, 2048, 7], 64, 2048, 4.0), label="calls [100, 2048, 7] (never past L), D=64, L=2048, s=4"),
    Case(([5000, 9000, 6000, 9000, 8999], 32, 4096, 3.0), label="calls [5000, 9000, 6000, 9000, 8999], D=32, "
                                                                "L=4096, s=3"),
    Case(([2049 + 3 * k for k in range(300)] + [10], 64, 2048, 2.0),
         label="a decode-like run 2049, 2052, ..., 2946, then 10; D=64, L=2048, s=2"),
]

# Exercise 2: one module (D = 64, base 10000), L = 2048, s = 2.
HF_TRACE_CALLS = (3000, 2500, 1000, 2500, 4000, 2048)
HF_TRACE_L = 2048
HF_TRACE_SCALING_FACTOR = 2.0


def _reference_base(calls, dim, max_position_embeddings, scaling_factor):
    return simulate_calls(calls, max_position_embeddings, scaling_factor, 10000, dim)[-1].base_in_force


def check_base_after(solution, quiet: bool = False):
    """`solution(calls, dim, L, s) -> float`: the base a fresh DeepSeek module (base 10000) uses after `calls`."""
    # rtol 1e-6: a float32 answer (a 0-d tensor, rounding error about 6e-8) passes, while the nearest
    # wrong answer among the cases, the base of a length one token off, is at least 1.6e-4 away
    return check_exercise(
        "base_after", solution, _reference_base, HISTORY_CASES, rtol=1e-6,
        hint="which calls rebuild, and which of those set the base? After the last rebuild past L, nothing "
             "changes the base again. Which call is that, whatever the order?",
        quiet=quiet,
    )


def _hf_trace_expected():
    rope = HFDynamicRope(64, HF_TRACE_L, 10000, HF_TRACE_SCALING_FACTOR)
    lengths = []
    for seq_len in HF_TRACE_CALLS:
        rope.update(seq_len)
        # the base in force is b'(max_seq_len_cached): the grown length, or L (= the original base)
        assert rope.base_in_force == dynamic_ntk_base(10000, 64, rope.max_seq_len_cached, HF_TRACE_L,
                                                      HF_TRACE_SCALING_FACTOR)
        lengths.append(rope.max_seq_len_cached)
    return tuple(lengths)


def check_hf_trace(answer, quiet: bool = False):
    """`answer`: for each call of HF_TRACE_CALLS, the length l whose base b'(l) serves it (L for the original)."""
    labels = [f"call {k} ({seq_len} tokens)" for k, seq_len in enumerate(HF_TRACE_CALLS, start=1)]
    return check_answer(
        "hf_trace", answer, _hf_trace_expected() if answer is not Ellipsis else None,
        hint="HF's module starts with max_seq_len_cached = L. Growth: a call longer than max_seq_len_cached. "
             "Reset: a call strictly shorter than L while max_seq_len_cached > L. Anything else keeps the base.",
        quiet=quiet,
        item_names=labels,
    )


# --- the misconception check: each statement's truth, from a small experiment --------------
_X = torch.zeros(1)
_L = 2048


def _frequencies_never_change():
    rope = DynamicNTKScalingRotaryEmbedding(64, _L)
    before = rope.inv_freq.clone()
    rope(_X, seq_len=_L + 1)
    return torch.equal(before, rope.inv_freq)


def _ntk_linearizes_attention():
    # The rule only swaps the base: the new frequencies are plain RoPE's for b', and the score as a
    # function of the distance stays a sum of cosines, not a line.
    rope = DynamicNTKScalingRotaryEmbedding(64, _L)
    rope(_X, seq_len=4 * _L)
    base_swap = torch.equal(rope.inv_freq, inv_freq_for_base(dynamic_ntk_base(10000, 64, 4 * _L, _L, 1.0), 64))
    distances = torch.arange(0, 4 * _L, 256, dtype=torch.float64)
    score = torch.cos(distances[:, None] * rope.inv_freq.double()).sum(-1)
    second_difference = score[2:] - 2 * score[1:-1] + score[:-2]
    return not base_swap or bool(second_difference.abs().max() < 1e-9)


def _dynamic_ntk_gives_kimi_k2_its_context():
    return rotary_class_for(KIMI_K2_INSTRUCT.config["rope_scaling"]) is DynamicNTKScalingRotaryEmbedding


def _factor_one_means_no_scaling():
    return dynamic_ntk_base(10000, 64, 2 * _L, _L, 1.0) == 10000


def _stretches_high_frequencies_less():
    stretch = inv_freq_for_base(10000, 64).double() / inv_freq_for_base(
        dynamic_ntk_base(10000, 64, 2 * _L, _L, 1.0), 64).double()  # wavelength' / wavelength per pair
    return bool(stretch[0] == 1 and (stretch[1:] > stretch[:-1]).all())


def _update_overwrites_original():
    rope = DynamicNTKScalingRotaryEmbedding(64, _L)
    original = rope.inv_freq.clone()
    rope(_X, seq_len=_L + 1)
    rope(_X, seq_len=10)
    return not any(torch.equal(buffer, original) for _, buffer in rope.named_buffers())


def _consistent_while_generating():
    rope = DynamicNTKScalingRotaryEmbedding(64, _L)
    seen = set()
    for seq_len in range(_L, _L + 4):  # a prefill of L, then three decode steps
        rope(_X, seq_len=seq_len)
        seen.add(tuple(rope.inv_freq.tolist()))
    return len(seen) == 1


def _constant_work_per_token():
    rope = CountingRotaryEmbedding(64, _L)
    for seq_len in range(100, 110):
        rope(_X, seq_len=seq_len)
    return len(rope.rebuilds) <= 1  # O(1) per token: at most the first call would build a table


_STATEMENTS = (
    _frequencies_never_change,
    _ntk_linearizes_attention,
    _dynamic_ntk_gives_kimi_k2_its_context,
    _factor_one_means_no_scaling,
    _stretches_high_frequencies_less,
    _update_overwrites_original,
    _consistent_while_generating,
    _constant_work_per_token,
)
MISCONCEPTION_COUNT = len(_STATEMENTS)


def _true_statements() -> set[int]:
    assert YarnRotaryEmbedding is rotary_class_for(KIMI_K2_INSTRUCT.config["rope_scaling"])  # K2 selects YaRN
    return {number for number, holds in enumerate(_STATEMENTS, start=1) if holds()}


_MISCONCEPTION_HINT = ("each statement is settled by one experiment from lessons 03-05 (a call past L, the released "
                       "configs, the bracket at s = 1, a decode loop); the cells after this one run them.")


def check_misconceptions(answer, quiet: bool = False):
    """`answer`: the set of the numbers (1-8) of the statements that are true."""
    return check_answer(
        "misconceptions", answer, _true_statements() if answer is not Ellipsis else None,
        hint=_MISCONCEPTION_HINT, quiet=quiet, numbered=(1, MISCONCEPTION_COUNT, "statements"),
    )


# --- exercise 4: a fix of the history dependence that never runs ---------------------------
FIX_TRACE_CALLS = (3000, 1000, 2048, 3000)
FIX_L = 2048
FIX_SCALING_FACTOR = 2.0


class RestoringDynamicNTK(DynamicNTKScalingRotaryEmbedding):
    """The proposed fix of exercise 4: the builder restores the original inv_freq for seq_len <= L.

    It is put where the base is changed, in `_set_cos_sin_cache`; forward calls that builder only
    when the cache is empty or too short, so a shorter call after a long one never reaches it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_inv_freq = self.inv_freq.clone()

    def _set_cos_sin_cache(self, seq_len, device, dtype):
        if seq_len <= self.max_position_embeddings and hasattr(self, "original_inv_freq"):
            self.register_buffer("inv_freq", self.original_inv_freq.clone(), persistent=False)
        super()._set_cos_sin_cache(seq_len, device, dtype)


def _restoring_fix_expected() -> tuple[bool, ...]:
    fixed = RestoringDynamicNTK(64, FIX_L, scaling_factor=FIX_SCALING_FACTOR)
    same = []
    for seq_len in FIX_TRACE_CALLS:
        cos, _ = fixed(_X, seq_len=seq_len)
        fresh = DynamicNTKScalingRotaryEmbedding(64, FIX_L, scaling_factor=FIX_SCALING_FACTOR)
        fresh_cos, _ = fresh(_X, seq_len=seq_len)
        same.append(torch.equal(cos, fresh_cos))
    return tuple(same)


def check_restoring_fix(answer, quiet: bool = False):
    """`answer`: for each call of FIX_TRACE_CALLS, whether the fixed module returns exactly a fresh module's cos."""
    labels = [f"call {k} ({seq_len} tokens)" for k, seq_len in enumerate(FIX_TRACE_CALLS, start=1)]
    return check_answer(
        "restoring_fix", answer, _restoring_fix_expected() if answer is not Ellipsis else None,
        hint="the fix sits inside _set_cos_sin_cache. For each call, does forward call that method at all? "
             "And if it does not, which table does the call get?",
        quiet=quiet,
        item_names=labels,
    )
