"""Lesson 04's explorer: the dynamic base b' and what it does to every frequency pair.

For a rebuild at length l > L the dynamic class uses b' = b * a(l)^(D/(D-2)) with
a(l) = 1 + s(l/L - 1) (SOURCES.md#upstream-dynamic-cache). Pair i's frequency then changes by the ratio
inv_freq'[i] / inv_freq[i] = a^(-2i/(D-2)): 1 for the highest pair (i = 0) and exactly 1/a for
the lowest (i = D/2 - 1), like linear interpolation by a. Only D/2 numbers per curve are
computed, so an update is cheap at any seq_len.

Both axes are logarithmic on purpose: the ratio a^(-2i/(D-2)) is a straight line there (one
factor per pair) and runs over up to three decades; wavelengths run over nine. The ratio axis
follows the data: its bottom is the first of `RATIO_FLOORS` below 1/a (with some room), so the
default a = 2 (1 to 0.5) fills the panel as a = 497 (1 to 0.002) does; it changes only when 1/a
crosses a floor, and only then is the figure laid out again.
"""

from __future__ import annotations

import math

import numpy as np

from ..functional import dynamic_ntk_base, inv_freq_for_base, ntk_bracket
from . import style
from .base import Explorer, int_choice_slider, scaling_factor_slider, seq_len_slider, widen_descriptions

__all__ = ["pair_ratios", "DynamicBaseExplorer"]

EXPLORER_BASE = 10000
RATIO_FLOORS = (0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4)
RATIO_TICKS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
RATIO_TOP = 1.5
ROOM = 1.25  # the lowest point sits at least this factor above the bottom of the axis


def ratio_floor(lowest_ratio: float) -> float:
    """Bottom of the ratio axis: the largest floor at most lowest_ratio / ROOM."""
    return next((f for f in RATIO_FLOORS if f <= lowest_ratio / ROOM), RATIO_FLOORS[-1])


def ratio_ticks(floor: float) -> list[float]:
    """Ticks from 1 down to the floor: 1-2-5 steps over up to a decade, decades beyond."""
    ticks = [t for t in RATIO_TICKS if t >= floor]
    return ticks if len(ticks) <= 5 else [t for t in ticks if math.log10(t).is_integer()]


def pair_ratios(bracket: float, dim: int) -> np.ndarray:
    """Closed form of inv_freq'[i] / inv_freq[i] = a^(-2i/(D-2)), i = 0 .. D/2-1 (float64)."""
    i = np.arange(dim // 2)
    return bracket ** (-2.0 * i / (dim - 2))


class DynamicBaseExplorer(Explorer):
    name = "dynamic_base"
    figsize = style.figsize(3.9)

    def make_controls(self):
        return widen_descriptions({
            "seq_len": seq_len_slider(8192, lo=256, extra=(4096, 4097, 2048, 2049)),
            "scaling_factor": scaling_factor_slider(1.0),
            "dim": int_choice_slider("dim", 64, [8, 16, 32, 64, 128]),
            "max_position_embeddings": int_choice_slider("max_position_embeddings", 4096, [2048, 4096, 8192, 16384]),
        })

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
            "ratio_floor": ratio_floor(min(float(ratio.min()), 1.0 / bracket)),
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
        pairs = result["pairs"]
        (self.ratio_line,) = ax1.plot(pairs, result["ratio"], "o-", ms=4, color=style.DYNAMIC, label="dynamic NTK")
        (self.linear_line,) = ax1.plot(pairs, np.full(len(pairs), result["linear_ratio"]), "--", color=style.PI,
                                       label="interpolation by a (1/a)")
        ax1.set_yscale("log")
        self._set_ratio_axis(ax1, result["ratio_floor"])
        ax1.set_ylabel("inv_freq' / inv_freq")
        (self.wl_orig,) = ax2.plot(pairs, result["wavelength_original"], color=style.PLAIN, label="original")
        (self.wl_new,) = ax2.plot(pairs, result["wavelength_new"], color=style.DYNAMIC, ls="-.",
                                  label="after the rebuild")
        self.l_line = ax2.axhline(result["max_position_embeddings"], color=style.REFERENCE, ls="--", lw=1.5,
                                  label="L (trained)")
        self.s_line = ax2.axhline(result["seq_len"], color=style.GREEN, ls=":", lw=2, label="seq_len")
        ax2.set_yscale("log")
        ax2.set_ylim(1, 1e8)
        style.plain_ticks(ax2.yaxis, [1, 1e2, 1e4, 1e6, 1e8])
        ax2.set_ylabel("wavelength (tokens)")
        for ax in (ax1, ax2):
            self._set_pair_axis(ax, result["dim"])
            ax.set_xlabel("pair i (0 = highest frequency)")
            style.legend(ax, ncols=2)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(self.ratio_line, self.linear_line, self.wl_orig, self.wl_new, self.l_line, self.s_line, self.title)

    @staticmethod
    def _set_ratio_axis(ax, floor):
        ax.set_ylim(floor, RATIO_TOP)
        style.plain_ticks(ax.yaxis, ratio_ticks(floor))

    @staticmethod
    def _set_pair_axis(ax, dim):
        last = dim // 2 - 1
        step = max(1, (dim // 2) // 4)
        ax.set_xlim(-0.8, last + 0.8)
        style.plain_ticks(ax.xaxis, [*(t for t in range(0, last, step) if last - t >= step / 2), last])

    @staticmethod
    def _title(result):
        return (f"seq_len = {result['seq_len']}, s = {result['scaling_factor']:.2f}: "
                f"a = {result['bracket']:.6g}, b' = {result['new_base']:.6g}")

    def redraw(self, result):
        pairs = result["pairs"]
        self.ratio_line.set_data(pairs, result["ratio"])
        self.linear_line.set_data(pairs, np.full(len(pairs), result["linear_ratio"]))
        self.wl_orig.set_data(pairs, result["wavelength_original"])
        self.wl_new.set_data(pairs, result["wavelength_new"])
        self.l_line.set_ydata([result["max_position_embeddings"]] * 2)
        self.s_line.set_ydata([result["seq_len"]] * 2)
        ratio_ax = self.fig.axes[0]
        new_pairs = ratio_ax.get_xlim()[1] != result["dim"] // 2 - 1 + 0.8  # dim moved: the axes change
        new_floor = ratio_ax.get_ylim()[0] != result["ratio_floor"]  # 1/a crossed a floor
        if new_pairs:
            for ax in self.fig.axes:
                self._set_pair_axis(ax, result["dim"])
        if new_floor:
            self._set_ratio_axis(ratio_ax, result["ratio_floor"])
        if new_pairs or new_floor:
            self.relayout()  # the new tick labels take other room
        self.title.set_text(self._title(result))
