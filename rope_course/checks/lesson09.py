"""Exercise checkers for lesson 09 (real models: YaRN's temperature in MLA, and the map of what came
next). The expected values are computed here, from the package; the lesson never prints them."""

from __future__ import annotations

import numpy as np
import torch

from ..variants import critical_pair, llama3_inv_freq, original_inv_freq
from ..yarn import yarn_get_mscale
from ._core import Case, check_answer, check_exercise

__all__ = ["LLAMA3_SHAPE", "check_fixed_logits", "check_never_turned_llama3", "check_llama3_split"]

# Llama 3's rotary shape as the lesson states it: head size 128, theta 500000, trained at 8192; the
# llama3 rule with the original implementation's values (SOURCES.md#paper-llama3, #hf-llama3-parameters)
LLAMA3_SHAPE = {"dim": 128, "base": 500000.0, "length": 8192, "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0}


def _upstream_logits(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):
    """DeepSeek's file with mscale at its default 1: cos/sin times mscale(s, 1) / mscale(s, mscale_all_dim)
    (the YaRN class), softmax scale times mscale(s, mscale_all_dim)^2 when it is non-zero (the attention)."""
    cos_sin = yarn_get_mscale(factor, 1.0) / yarn_get_mscale(factor, mscale_all_dim)
    scale = (q_nope.shape[-1] + q_pe.shape[-1]) ** -0.5
    if mscale_all_dim:
        scale = scale * yarn_get_mscale(factor, mscale_all_dim) ** 2
    return (q_nope @ k_nope.T + (cos_sin * q_pe) @ (cos_sin * k_pe).T) * scale


def _logit_cases():
    generator = torch.Generator().manual_seed(9)
    tensors = [torch.randn(5, width, generator=generator, dtype=torch.float64) for width in (128, 128, 64, 64)]
    settings = [(40.0, 1.0, "DeepSeek-V3 (factor 40, mscale_all_dim 1)"), (40.0, 0.0, "factor 40, mscale_all_dim 0"),
                (32.0, 1.0, "Kimi-K2 (factor 32, mscale_all_dim 1)"), (4.0, 0.5, "factor 4, mscale_all_dim 0.5"),
                (64.0, 2.0, "factor 64, mscale_all_dim 2")]
    return [Case((*tensors, factor, ms_all), label=label) for factor, ms_all, label in settings]


def check_fixed_logits(fn, quiet: bool = False):
    """fn(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim) -> the logits upstream's attention computes."""
    return check_exercise("fixed_logits", fn, _upstream_logits, _logit_cases(), rtol=1e-9, atol=1e-12, quiet=quiet,
                          hint="upstream's YaRN class does not multiply cos and sin by 0.1 ln s + 1 but by "
                               "mscale(s, mscale) / mscale(s, mscale_all_dim), with mscale = 1; what is left on the "
                               "RoPE dims once the softmax factor is applied too?")


def check_never_turned_llama3(answer, quiet: bool = False):
    """How many of the 64 pairs (D = 128, theta = 500000) make less than one turn over 8192 tokens."""
    s = LLAMA3_SHAPE
    expected = s["dim"] // 2 - critical_pair(s["dim"], s["base"], s["length"])
    return check_answer("never_turned_llama3", answer, expected, quiet=quiet,
                        hint="pair i turns L * theta^(-2i/D) / (2 pi) times over L tokens; solve for the i where "
                             "that equals 1 (a logarithm), and count the pairs above it")


def _llama3_split():
    s = LLAMA3_SHAPE
    ratio = llama3_inv_freq(s["dim"], s["base"], s["factor"], s["low_freq_factor"], s["high_freq_factor"],
                            s["length"]) / original_inv_freq(s["dim"], s["base"])
    kept = int(np.sum(np.isclose(ratio, 1.0, rtol=1e-12)))
    divided = int(np.sum(np.isclose(ratio, 1.0 / s["factor"], rtol=1e-12)))
    return (kept, ratio.size - kept - divided, divided)


def check_llama3_split(answer, quiet: bool = False):
    """(kept, blended, divided): the llama3 rule's three groups of pairs for LLAMA3_SHAPE. A wrong
    count is named ('divided: wrong value'), not numbered from 0."""
    if isinstance(answer, list):
        answer = tuple(answer)
    return check_answer("llama3_split", answer, _llama3_split(), quiet=quiet, item_names=("kept", "blended", "divided"),
                        hint="a pair is kept when it turns more than high_freq_factor = 4 times over 8192 tokens "
                             "and divided when it turns less than low_freq_factor = 1 time; the rest are blended. "
                             "The three counts add up to 64")
