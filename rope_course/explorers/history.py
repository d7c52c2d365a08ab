"""Lesson 05's explorer: the same later call, after an earlier call of length `seq_len`.

Three modules answer the later call (length `later_len`): a fresh DeepSeek module, a DeepSeek
module that first served the earlier call (its inv_freq is overwritten for good,
SOURCES.md#upstream-dynamic-cache, SOURCES.md#hf-25306), and Hugging Face's later rule with the
reset below L (`rope_course.hf_reset`, SOURCES.md#hf-rope-utils). The picture shows cos of one
frequency pair over the later call's positions; the readout gives the largest |cos| difference from
the fresh module over the whole table.
"""

from __future__ import annotations

import numpy as np
import torch

from ..calls import simulate_calls
from ..functional import cos_sin_tables, inv_freq_for_base
from ..hf_reset import HFDynamicRope
from . import style
from .base import Explorer, int_choice_slider, scaling_factor_slider, seq_len_slider

__all__ = ["later_call_tables", "HistoryExplorer"]

HISTORY_DIM = 64
HISTORY_L = 2048
HISTORY_BASE = 10000
SHOWN_PAIR = 16  # wavelength about 2*pi*100 = 628 tokens: several turns inside a short call
MAX_POINTS = 400


def later_call_tables(seq_len, later_len, scaling_factor, dim=HISTORY_DIM, max_position_embeddings=HISTORY_L,
                      base=HISTORY_BASE):
    """inv_freq and base used for a call of `later_len` on three modules (fresh, DeepSeek after a
    call of `seq_len`, HF's rule after that call), and the cos tables (float32) they return."""
    records = simulate_calls([seq_len, later_len], max_position_embeddings, scaling_factor, base, dim)
    fresh_base = simulate_calls([later_len], max_position_embeddings, scaling_factor, base, dim)[-1].base_in_force
    deepseek_base = records[-1].base_in_force
    hf = HFDynamicRope(dim, max_position_embeddings, base, scaling_factor)
    hf.update(seq_len)
    hf_rule = hf.update(later_len)
    out = {"fresh_base": fresh_base, "deepseek_base": deepseek_base, "hf_base": hf.base_in_force, "hf_rule": hf_rule}
    tables = {}
    for key, b in (("fresh", fresh_base), ("deepseek", deepseek_base), ("hf", hf.base_in_force)):
        inv_freq = inv_freq_for_base(b, dim)
        out[f"{key}_inv_freq"] = inv_freq
        if b not in tables:  # equal bases give equal tables: compute each once
            tables[b] = cos_sin_tables(inv_freq, later_len, torch.float32)[0]
        out[f"{key}_cos"] = tables[b]
    return out


class HistoryExplorer(Explorer):
    name = "history"
    figsize = style.figsize(3.6)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(4096, lo=256, extra=(HISTORY_L, HISTORY_L + 1, 3000)),
            "scaling_factor": scaling_factor_slider(2.0),
            "later_len": int_choice_slider("later_len", 1024, [256, 1024, 2047, 2048, 2500, 3000, 4096]),
        }

    @staticmethod
    def compute(seq_len, scaling_factor, later_len=1024):
        t = later_call_tables(seq_len, later_len, scaling_factor)
        step = max(1, -(-later_len // MAX_POINTS))
        positions = np.arange(0, later_len, step)
        half = HISTORY_DIM // 2
        curves = {key: t[f"{key}_cos"][positions, SHOWN_PAIR].numpy() for key in ("fresh", "deepseek", "hf")}
        diff = lambda key: float((t[f"{key}_cos"][:, :half] - t["fresh_cos"][:, :half]).abs().max())  # noqa: E731
        return {
            "seq_len": seq_len,
            "scaling_factor": scaling_factor,
            "later_len": later_len,
            "positions": positions,
            "curves": curves,
            "deepseek_diff": diff("deepseek"),
            "hf_diff": diff("hf"),
            "fresh_base": t["fresh_base"],
            "deepseek_base": t["deepseek_base"],
            "hf_base": t["hf_base"],
            "hf_rule": t["hf_rule"],
        }

    @staticmethod
    def readout_values(result):
        return {
            "max |cos diff| DeepSeek": result["deepseek_diff"],
            "max |cos diff| HF": result["hf_diff"],
            "base DeepSeek": result["deepseek_base"],
            "base HF": result["hf_base"],
            "base fresh": result["fresh_base"],
        }

    def draw(self, fig, result):
        ax = fig.add_subplot()
        pos, c = result["positions"], result["curves"]
        (self.fresh,) = ax.plot(pos, c["fresh"], color=style.REFERENCE, lw=4, alpha=0.6, label="fresh module")
        (self.deepseek,) = ax.plot(pos, c["deepseek"], color=style.BEYOND, lw=1.8,
                                   label="DeepSeek after the earlier call")
        (self.hf,) = ax.plot(pos, c["hf"], color=style.BLUE, lw=1.8, ls="--", label="HF rule after the earlier call")
        self._set_x_axis(ax, result["later_len"])
        ax.set_ylim(-1.1, 1.1)
        style.plain_ticks(ax.yaxis, [-1, 0, 1])
        ax.set_xlabel(f"position p in the later call (pair i = {SHOWN_PAIR})")
        ax.set_ylabel("cos(p * inv_freq[i])")
        style.legend(ax)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(self.fresh, self.deepseek, self.hf, self.title)

    @staticmethod
    def _set_x_axis(ax, later_len):
        """The later call's positions fill the width (only later_len moves this axis)."""
        ax.set_xlim(0, later_len)
        ticks = style.nice_ticks(later_len, 6)
        style.plain_ticks(ax.xaxis, ticks, [f"{t:g}" for t in ticks])

    @staticmethod
    def _title(result):
        return (f"earlier seq_len = {result['seq_len']}, later_len = {result['later_len']}, "
                f"s = {result['scaling_factor']:.2f}; HF: {result['hf_rule']}")

    def redraw(self, result):
        pos, c = result["positions"], result["curves"]
        self.fresh.set_data(pos, c["fresh"])
        self.deepseek.set_data(pos, c["deepseek"])
        self.hf.set_data(pos, c["hf"])
        ax = self.fig.axes[0]
        if ax.get_xlim()[1] != result["later_len"]:
            self._set_x_axis(ax, result["later_len"])
            self.relayout()
        self.title.set_text(self._title(result))
