"""Lesson 09's explorer: linear, NTK-aware (fixed), dynamic NTK and YaRN frequencies side by side.

The picture: wavelengths 2*pi/inv_freq' (log scale: they span six decades) against the pair
index i (0 = highest frequency) for each method and the original (black), with the original
context L (grey, dashed) and the requested length `seq_len` (vermillion, dotted). The readout
gives the dynamic and the fixed NTK-aware bases, YaRN's range and its softmax factor mscale^2,
and dynamic NTK's ratio inv_freq'/inv_freq at the lowest pair (1/a). All four methods use the
same factor s; YaRN uses DeepSeek-V3's betas (32/1) with L0 = L. Only 32 points per curve are
computed per update.
"""

from __future__ import annotations

import math

import numpy as np

from ..functional import dynamic_ntk_base, ntk_bracket, ntk_fixed_base
from ..yarn import yarn_find_correction_range, yarn_get_mscale, yarn_inv_freq
from . import style
from .base import Explorer, scaling_factor_slider, seq_len_slider

DIM = 64
BASE = 10000
L = 4096
BETA_FAST, BETA_SLOW = 32, 1
METHODS = ("linear", "NTK-aware", "dynamic NTK", "YaRN")


def scaling_ratios(seq_len: int, scaling_factor: float, dim: int = DIM, base: float = BASE,
                   max_position_embeddings: int = L) -> dict[str, np.ndarray]:
    """inv_freq'[i] / inv_freq[i] for each method (float64 arrays of length dim/2)."""
    i = np.arange(dim // 2, dtype=np.float64)
    s = float(scaling_factor)
    ntk_base = ntk_fixed_base(base, dim, s)
    dyn_base = dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, s)
    original = base ** (-2 * i / dim)
    yarn = yarn_inv_freq(dim, base, s, max_position_embeddings, BETA_FAST, BETA_SLOW).double().numpy()
    return {
        "linear": np.full(dim // 2, 1.0 / s),
        "NTK-aware": (ntk_base / base) ** (-2 * i / dim),
        "dynamic NTK": (dyn_base / base) ** (-2 * i / dim),
        "YaRN": yarn / original,
    }


class ScalingCompare(Explorer):
    name = "scaling_compare"
    figsize = style.figsize(3.9)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(16384, extra=(L, L + 1)),
            "scaling_factor": scaling_factor_slider(4.0),
        }

    @staticmethod
    def compute(seq_len, scaling_factor, dim=DIM, base=BASE, max_position_embeddings=L):
        ratios = scaling_ratios(seq_len, scaling_factor, dim, base, max_position_embeddings)
        i = np.arange(dim // 2, dtype=np.float64)
        original = base ** (-2 * i / dim)
        wavelengths = {k: 2 * math.pi / (original * r) for k, r in ratios.items()}
        low, high = yarn_find_correction_range(BETA_FAST, BETA_SLOW, dim, base, max_position_embeddings)
        return {
            "seq_len": int(seq_len),
            "scaling_factor": float(scaling_factor),
            "pairs": i,
            "ratios": ratios,
            "original_wavelength": 2 * math.pi / original,
            "wavelengths": wavelengths,
            "max_position_embeddings": max_position_embeddings,
            "dynamic_base": dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor),
            "ntk_base": ntk_fixed_base(base, dim, float(scaling_factor)),
            "bracket": (ntk_bracket(seq_len, max_position_embeddings, scaling_factor)
                        if seq_len > max_position_embeddings else 1.0),
            "yarn_low": low,
            "yarn_high": high,
            "yarn_softmax_factor": yarn_get_mscale(scaling_factor, 1.0) ** 2,
        }

    @staticmethod
    def readout_values(result):
        return {
            "seq_len": result["seq_len"],
            "scaling_factor": result["scaling_factor"],
            "dynamic base": result["dynamic_base"],
            "NTK-aware base": result["ntk_base"],
            "YaRN low": result["yarn_low"],
            "YaRN high": result["yarn_high"],
            "YaRN mscale^2": result["yarn_softmax_factor"],
            "dynamic ratio at last pair": float(result["ratios"]["dynamic NTK"][-1]),
        }

    def draw(self, fig, result):
        # One axes: the per-pair ratio picture is these curves divided by the black one (lesson
        # 09 draws it). Axes, ticks and the legend are static, drawn once (see Explorer.render_png).
        ax = fig.add_subplot()
        colors = {"linear": style.PI, "NTK-aware": style.NTK_AWARE, "dynamic NTK": style.DYNAMIC, "YaRN": style.YARN}
        styles = {"linear": "-", "NTK-aware": "--", "dynamic NTK": "-", "YaRN": "-."}
        self.wave_lines = {}
        i = result["pairs"]
        ax.plot(i, result["original_wavelength"], color=style.PLAIN, lw=1.2, label="original")
        for k in METHODS:
            (self.wave_lines[k],) = ax.plot(i, result["wavelengths"][k], styles[k], color=colors[k], label=k)
        ax.axhline(result["max_position_embeddings"], color=style.REFERENCE, ls="--", lw=1.2, label="trained L")
        self.seq_line = ax.axhline(result["seq_len"], color=style.BEYOND, ls=":", lw=2, label="seq_len")
        ax.set_yscale("log")
        ax.set_ylim(3, 3e7)
        style.plain_ticks(ax.yaxis, [10, 1e3, 1e5, 1e7], ["10", "1000", "100k", "10M"])
        style.plain_ticks(ax.xaxis, [0, 8, 16, 24, 31])
        ax.set_xlabel("pair i (0 = highest frequency); every method uses the same scaling_factor")
        ax.set_ylabel("wavelength (tokens, log scale)")
        style.legend(ax, where="right")
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(*self.wave_lines.values(), self.seq_line, self.title)

    @staticmethod
    def _title(result):
        return f"seq_len = {result['seq_len']}, scaling_factor = {result['scaling_factor']:.2f}"

    def redraw(self, result):
        for k in METHODS:
            self.wave_lines[k].set_ydata(result["wavelengths"][k])
        self.seq_line.set_ydata([result["seq_len"], result["seq_len"]])
        self.title.set_text(self._title(result))
