"""Lesson 11's explorer: the base each engine uses for one request, alone and batched.

A request of `seq_len` tokens, and a second request of `other_len` tokens batched with it. The
bars are the base (b' of the dynamic formula) that rotates the first request's tokens:

* DeepSeek's class and HF's rule, alone (what the per-request fix gives in any batch);
* DeepSeek batched: one `kv_seq_len` = the padded batch length (`engines.batching`);
* HF batched: max(position_ids) + 1 over the batch (mask-derived ids, so pads do not count);
* vLLM before PR #41277: one constant b (s^2 - s + 1)^(D/(D-2)) for every request;
* vLLM after it: one base from the engine's served length (16384 here) for every request.

Setting: D = 64, b = 10^4, L = 4096 (`engines.differences.SETTING`). The grey line is b.
"""

from __future__ import annotations

import numpy as np

from ..engines.batching import deepseek_kv_seq_len, hf_batch_seq_len, left_padded_batch
from ..engines.differences import SETTING
from ..engines.vllm import VLLMDynamicNTK
from ..functional import dynamic_ntk_base
from . import style
from .base import Explorer, int_choice_slider, scaling_factor_slider, seq_len_slider

__all__ = ["ENGINE_BARS", "engine_bases", "EnginesExplorer"]

ENGINE_BARS = ("alone", "DeepSeek batched", "HF batched", "vLLM old", "vLLM fixed")
TICK_LABELS = ("alone", "DeepSeek", "HF", "vLLM old", "vLLM fixed")
OTHER_LENS = [256, 1024, 2048, 4096, 6000, 8192, 16384, 32768, 65536, 131072]


def engine_bases(seq_len, scaling_factor, other_len, dim=SETTING["dim"], base=SETTING["base"],
                 max_position_embeddings=SETTING["max_position_embeddings"], served_len=SETTING["vllm_served_len"]):
    """{bar: base} for a request of `seq_len` tokens batched with one of `other_len` tokens."""
    lengths = [seq_len, other_len]
    ids, _ = left_padded_batch(lengths)

    def at(n):
        return dynamic_ntk_base(base, dim, n, max_position_embeddings, scaling_factor)

    old = VLLMDynamicNTK(dim, max_position_embeddings, base, scaling_factor)
    new = VLLMDynamicNTK(dim, served_len, base, scaling_factor, max_trained_positions=max_position_embeddings)
    return dict(zip(ENGINE_BARS, (at(seq_len), at(deepseek_kv_seq_len(lengths)), at(hf_batch_seq_len(ids)),
                                  old.base_for(seq_len), new.base_for(seq_len))))


class EnginesExplorer(Explorer):
    name = "engines"
    figsize = style.figsize(3.8)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(1024, lo=256, extra=(4096, 4097, 6000)),
            "scaling_factor": scaling_factor_slider(2.0),
            "other_len": int_choice_slider("other_len", 8192, OTHER_LENS),
        }

    @staticmethod
    def compute(seq_len, scaling_factor, other_len=8192):
        bases = engine_bases(seq_len, scaling_factor, other_len)
        return {"seq_len": seq_len, "scaling_factor": scaling_factor, "other_len": other_len,
                "bases": np.array(list(bases.values())), "labels": list(bases)}

    @staticmethod
    def readout_values(result):
        return {f"base {name}": float(v) for name, v in zip(ENGINE_BARS, result["bases"])}

    def draw(self, fig, result):
        ax = fig.add_subplot()
        x = np.arange(len(ENGINE_BARS))
        colors = (style.REFERENCE, style.BEYOND, style.DYNAMIC, style.PI, style.YARN)
        hatches = ("", "//", "\\\\", "..", "xx")
        self.bars = ax.bar(x, result["bases"], width=0.6, color=colors, hatch=hatches, edgecolor=style.BLACK)
        for bar, label in zip(self.bars, ("alone = per-request fix", "DeepSeek, one kv_seq_len per batch",
                                          "HF, max(position_ids)+1 per batch", "vLLM before #41277 (constant)",
                                          "vLLM after #41277 (serves 16384)")):
            bar.set_label(label)
        (self.original,) = ax.plot([-0.5, len(x) - 0.5], [SETTING["base"]] * 2, color=style.REFERENCE, ls="--", lw=1.2,
                                   label="original base b = 10000")
        ax.set_xlim(-0.5, len(x) - 0.5)
        style.plain_ticks(ax.xaxis, list(x), TICK_LABELS)
        self.ticks = style.LiveTicks(ax, "base used for the request", label_chars=7)
        self.ticks.set_top(float(result["bases"].max()))
        style.legend(ax, where="right")
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(*self.bars, self.original, *self.ticks.artists, self.title)

    @staticmethod
    def _title(result):
        return (f"seq_len = {result['seq_len']}, batched with other_len = {result['other_len']}, "
                f"scaling_factor = {result['scaling_factor']:.2f} (D = 64, L = 4096)")

    def redraw(self, result):
        for bar, value in zip(self.bars, result["bases"]):
            bar.set_height(float(value))
        self.ticks.set_top(float(result["bases"].max()))
        self.title.set_text(self._title(result))
