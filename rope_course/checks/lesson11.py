"""Exercise checkers for lesson 11 (engines and serving). Expected values are computed here,
from the package's engine models; the lesson never prints them."""

from __future__ import annotations

from ..engines.batching import deepseek_kv_seq_len, hf_batch_seq_len, left_padded_batch
from ..engines.hf_rule import HFDynamicRope, deepseek_base_after
from ..engines.vllm import VLLMDynamicNTK
from ..functional import dynamic_ntk_base
from ._core import Case, check_answer, check_exercise

__all__ = [
    "TRACE", "TRACE_SETTING", "BATCH", "VLLM_QUESTION", "ToyHFRope",
    "check_trace_hf", "check_trace_lost_reset", "check_fixed_update", "check_vllm_slowest_pair", "check_padded_batch",
]

TRACE_SETTING = {"dim": 64, "max_position_embeddings": 4096, "base": 10000.0, "scaling_factor": 2.0}
TRACE = (6000, 5000, 4096, 3000, 8000, 7000)
BATCH = {"lengths": (1500, 3000, 5000), "pad_to_multiple_of": 1024}


def _trace_bases(lost_reset: bool):
    s = TRACE_SETTING
    rope = HFDynamicRope(s["dim"], s["max_position_embeddings"], s["base"], s["scaling_factor"], lost_reset=lost_reset)
    bases = []
    for n in TRACE:
        rope.update(n)
        bases.append(rope.base_in_force)
    return bases


def _calls_that_differ(lost_reset: bool) -> set[int]:
    s = TRACE_SETTING
    deepseek = deepseek_base_after(TRACE, s["dim"], s["max_position_embeddings"], s["base"], s["scaling_factor"])
    return {i + 1 for i, (a, b) in enumerate(zip(_trace_bases(lost_reset), deepseek)) if a != b}


def check_trace_hf(answer, quiet: bool = False):
    """The 1-based call numbers of TRACE where HF (4.x, 5.13+) and DeepSeek use different bases."""
    return check_answer("trace_hf_vs_deepseek", _as_set(answer), _calls_that_differ(False), quiet=quiet,
                        hint="follow max_seq_len_cached in both: DeepSeek's only grows; HF also resets, "
                             "but only when a call is strictly shorter than L")


def check_trace_lost_reset(answer, quiet: bool = False):
    """The same with HF 5.0-5.12 (the growth rule writes to a stray attribute)."""
    return check_answer("trace_lost_reset_vs_deepseek", _as_set(answer), _calls_that_differ(True), quiet=quiet,
                        hint="in 5.0-5.12 max_seq_len_cached never leaves L: which calls grow, and which keep "
                             "whatever the previous call left?")


def _as_set(answer):
    if isinstance(answer, (list, tuple)):
        return set(answer)
    return answer


class ToyHFRope:
    """The attributes HF's rotary module has, with the base standing in for inv_freq.

    `grown_base(seq_len)` is what `rope_init_fn` returns for a growth (the dynamic base at
    max(seq_len, L)); `base_in_force` plays `inv_freq`; `original_base` plays
    `original_inv_freq`."""

    def __init__(self, max_position_embeddings=4096, base=10000.0, scaling_factor=2.0, dim=64):
        self.max_seq_len_cached = max_position_embeddings
        self.original_max_seq_len = max_position_embeddings
        self.original_base = base
        self.base_in_force = base
        self._args = (base, dim, max_position_embeddings, scaling_factor)

    def grown_base(self, seq_len):
        base, dim, length, s = self._args
        return dynamic_ntk_base(base, dim, max(seq_len, length), length, s)


FIX_CASES = [
    Case((calls,), label=f"calls {list(calls)}")
    for calls in [(3000, 1000), (8192, 6000), (8192, 4095), (5000, 4096, 4095, 6000, 5500), (100, 200),
                  (9000, 9001, 10)]
]


def _run_update(update):
    def run(calls):
        rope = ToyHFRope()
        out = []
        for n in calls:
            update(rope, n)
            out.append(rope.base_in_force)
        return out
    return run


def _reference_bases(calls):
    s = TRACE_SETTING
    rope = HFDynamicRope(s["dim"], s["max_position_embeddings"], s["base"], s["scaling_factor"])
    out = []
    for n in calls:
        rope.update(n)
        out.append(rope.base_in_force)
    return out


def check_fixed_update(update, quiet: bool = False):
    """`update(rope, seq_len)` on a `ToyHFRope`: the bases after each call must be HF's (5.13+)."""
    return check_exercise("fixed_update", _run_update(update), _reference_bases, FIX_CASES, rtol=1e-12, quiet=quiet,
                          hint="the growth and the reset must write the attribute that the next call reads")


VLLM_QUESTION = {"dim": 128, "base": 10000.0, "max_position_embeddings": 4096, "scaling_factor": 3.0,
                 "prompt_len": 100}


def _vllm_slowest_pair_ratio():
    # the slowest pair's inv_freq under vLLM's constant base, over the trained one, in Python floats
    q = VLLM_QUESTION
    engine = VLLMDynamicNTK(q["dim"], q["max_position_embeddings"], q["base"], q["scaling_factor"])
    assert engine.base_for(q["prompt_len"]) == engine.base  # the prompt's length plays no part
    exponent = (q["dim"] - 2) / q["dim"]  # inv_freq[D/2 - 1] = base^(-(D-2)/D)
    return (engine.base / q["base"]) ** -exponent


def check_vllm_slowest_pair(answer, quiet: bool = False):
    """inv_freq[D/2 - 1] under vLLM before PR #41277 over the trained inv_freq[D/2 - 1], for a
    100-token prompt (D = 128, s = 3)."""
    # 6 significant digits, as the lesson asks: a rounding error of up to 5e-6 relative
    return check_answer("vllm_slowest_pair", answer, _vllm_slowest_pair_ratio(), rtol=1e-5, quiet=quiet,
                        hint="inv_freq[i] = base^(-2i/D); write the ratio for i = D/2 - 1 with vLLM's base "
                             "and look at what the pair's exponent does to the base change's exponent")


def _padded_batch_bases():
    s = TRACE_SETTING
    lengths = list(BATCH["lengths"])
    multiple = BATCH["pad_to_multiple_of"]
    width = -(-max(lengths) // multiple) * multiple
    ids, _ = left_padded_batch(lengths, width=width)
    args = (s["base"], s["dim"])
    deepseek = dynamic_ntk_base(*args, deepseek_kv_seq_len(lengths, width=width), s["max_position_embeddings"],
                                s["scaling_factor"])
    hf = dynamic_ntk_base(*args, hf_batch_seq_len(ids), s["max_position_embeddings"], s["scaling_factor"])
    return (deepseek, hf)


def check_padded_batch(answer, quiet: bool = False):
    """(DeepSeek's base, HF's base) for the 1500-token prompt of BATCH at prefill."""
    # 4 significant digits, as the lesson asks: a rounding error of up to 5e-4 relative
    return check_answer("padded_batch", answer, _padded_batch_bases(), rtol=6e-4, quiet=quiet,
                        hint="DeepSeek passes the padded width as seq_len; HF takes the largest position id "
                             "+ 1, and left-padding position ids start every prompt at 0")
