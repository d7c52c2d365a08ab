"""Lesson 04's explorer: the dynamic base b' and what it does to every frequency pair.

For a rebuild at length l > L the dynamic class uses b' = b * a(l)^(D/(D-2)) with
a(l) = 1 + s(l/L - 1) (facts §2.2). Pair i's frequency then changes by the ratio
inv_freq'[i] / inv_freq[i] = a^(-2i/(D-2)): 1 for the highest pair (i = 0) and exactly 1/a for
the lowest (i = D/2 - 1), like linear interpolation by a. Only D/2 numbers per curve are
computed, so an update is cheap at any seq_len.
"""

from __future__ import annotations

import math

import numpy as np

from ..functional import dynamic_ntk_base, inv_freq_for_base, ntk_bracket
from .base import Explorer, int_choice_slider, scaling_factor_slider, seq_len_slider
from matplotlib.ticker import MaxNLocator

from .timeline import plain_log_ticks

__all__ = ["pair_ratios", "DynamicBaseExplorer"]

EXPLORER_BASE = 10000


def pair_ratios(bracket: float, dim: int) -> np.ndarray:
    """Closed form of inv_freq'[i] / inv_freq[i] = a^(-2i/(D-2)), i = 0 .. D/2-1 (float64)."""
    i = np.arange(dim // 2)
    return bracket ** (-2.0 * i / (dim - 2))


class DynamicBaseExplorer(Explorer):
    name = "dynamic_base"
    figsize = (7.5, 2.8)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(8192, lo=256, extra=(4096, 4097, 2048, 2049)),
            "scaling_factor": scaling_factor_slider(1.0),
            "dim": int_choice_slider("dim", 64, [8, 16, 32, 64, 128]),
            "max_position_embeddings": int_choice_slider("max_position_embeddings", 4096, [2048, 4096, 8192, 16384]),
        }

    @staticmethod
    def compute(seq_len, scaling_factor, dim=64, max_position_embeddings=4096):
        new_base = dynamic_ntk_base(EXPLORER_BASE, dim, seq_len, max_position_embeddings, scaling_factor)
        rebuilt_with_new_base = seq_len > max_position_embeddings
        bracket = ntk_bracket(seq_len, max_position_embeddings, scaling_factor) if rebuilt_with_new_base else 1.0
        original = inv_freq_for_base(EXPLORER_BASE, dim).double().numpy()
        adjusted = inv_freq_for_base(new_base, dim).double().numpy()
        ratio = adjusted / original
        return {
            "seq_len": seq_len,
            "scaling_factor": scaling_factor,
            "dim": dim,
            "max_position_embeddings": max_position_embeddings,
            "new_base": new_base,
            "bracket": bracket,
            "pairs": np.arange(dim // 2),
            "ratio": ratio,
            "linear_ratio": 1.0 / bracket,
            "lowest_ratio": float(ratio[-1]),
            "wavelength_original": 2 * math.pi / original,
            "wavelength_new": 2 * math.pi / adjusted,
        }

    @staticmethod
    def readout_values(result):
        return {
            "new base": result["new_base"],
            "a": result["bracket"],
            "lowest-pair ratio": result["lowest_ratio"],
            "1/a": result["linear_ratio"],
        }

    def draw(self, fig, result):
        ax1, ax2 = fig.subplots(1, 2)
        (self.ratio_line,) = ax1.plot(result["pairs"], result["ratio"], "o-", ms=3, color="tab:red", label="dynamic NTK")
        (self.linear_line,) = ax1.plot(result["pairs"], np.full(len(result["pairs"]), result["linear_ratio"]),
                                       "--", color="tab:gray", label="linear interp. by a (1/a)")
        ax1.set_yscale("log")
        ax1.set_ylim(5e-4, 1.5)
        plain_log_ticks(ax1.yaxis, [1e-3, 1e-2, 0.1, 1])
        ax1.set_xlim(-1, result["dim"] // 2)
        ax1.set_xlabel("pair i (red: dynamic NTK, dashed: linear 1/a)", fontsize=8)
        ax1.set_ylabel("inv_freq' / inv_freq")
        self.text = ax1.text(0.98, 0.95, "", transform=ax1.transAxes, ha="right", va="top", fontsize=8)
        (self.wl_orig,) = ax2.plot(result["pairs"], result["wavelength_original"], color="tab:gray", label="original")
        (self.wl_new,) = ax2.plot(result["pairs"], result["wavelength_new"], color="tab:red", label="after rebuild")
        self.l_line = ax2.axhline(result["max_position_embeddings"], color="tab:blue", ls="--", lw=1, label="L (trained)")
        self.s_line = ax2.axhline(result["seq_len"], color="tab:green", ls=":", lw=1.2, label="seq_len")
        ax2.set_yscale("log")
        ax2.set_ylim(1, 1e9)
        plain_log_ticks(ax2.yaxis, [1, 1e3, 1e6, 1e9], "{:.0e}")
        for ax in (ax1, ax2):
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax2.set_xlim(-1, result["dim"] // 2)
        ax2.set_xlabel("pair i (gray old, red new; blue L, green seq_len)", fontsize=8)
        ax2.set_ylabel("wavelength (tokens)")
        self._set_text(result)
        fig.tight_layout()
        self.animate(self.ratio_line, self.linear_line, self.wl_orig, self.wl_new, self.l_line, self.s_line, self.text)

    def _set_text(self, result):
        self.text.set_text(
            f"seq_len={result['seq_len']}  s={result['scaling_factor']:.2f}\n"
            f"b'={result['new_base']:.6g}  a={result['bracket']:.4g}"
        )

    def redraw(self, result):
        pairs = result["pairs"]
        self.ratio_line.set_data(pairs, result["ratio"])
        self.linear_line.set_data(pairs, np.full(len(pairs), result["linear_ratio"]))
        self.wl_orig.set_data(pairs, result["wavelength_original"])
        self.wl_new.set_data(pairs, result["wavelength_new"])
        self.l_line.set_ydata([result["max_position_embeddings"]] * 2)
        self.s_line.set_ydata([result["seq_len"]] * 2)
        xlim = (-1, result["dim"] // 2)
        if self.fig.axes[0].get_xlim() != xlim:  # dim moved: the axes themselves change
            for ax in self.fig.axes:
                ax.set_xlim(*xlim)
            self.invalidate_background()
        self._set_text(result)
