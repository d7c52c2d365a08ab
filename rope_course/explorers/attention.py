"""Lessons 06 and 07: the angle range each frequency pair reaches, and stale bases in a KV cache.

* `AttentionRangeExplorer` ("attention_range", lesson 06): for D = 64, b = 10^4, L = 4096, the
  largest angle each pair reaches in a window of `seq_len` tokens divided by the largest one it
  reached in training, with no scaling and with dynamic NTK at `scaling_factor`, on a linear
  axis with the line at 1 (`clock.FractionPanel`); the never-turned pairs are shaded.
* `KVDriftExplorer` ("kv_drift", lesson 07): a prefill of up to L tokens, then one token per step
  up to `seq_len`, with post-RoPE caching: how far each cached key's angle is from the one the
  final base would give it.

Both compute only what is drawn: 32 pairs, or a few hundred log-spaced key positions, whatever
`seq_len` is. Only the curves, the seq_len marker, the live y axis and the title are animated
(redrawn on a kept background, see base.py); the rest is drawn once.
"""

from __future__ import annotations

import math

import numpy as np

from ..attention import angle_ranges, stale_angle_errors
from ..functional import dynamic_ntk_base
from . import style
from .base import Explorer, scaling_factor_slider, seq_len_slider
from .clock import FractionPanel

DIM = 64
BASE = 10000.0
L = 4096
N_POINTS = 384  # sampled key positions for the kv_drift curves
DRIFT_PAIRS = (31, 23, 16)


class AttentionRangeExplorer(Explorer):
    name = "attention_range"
    figsize = style.figsize(3.8)
    SERIES = {
        "no scaling": dict(color=style.PLAIN, marker="s", ms=4, lw=1.5),
        "dynamic NTK": dict(color=style.DYNAMIC, marker="o", ms=4, lw=1.5),
    }

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(16384, lo=64, extra=(L, L + 1)),
            "scaling_factor": scaling_factor_slider(1.0),
        }

    @staticmethod
    def compute(seq_len, scaling_factor):
        r = angle_ranges(DIM, BASE, seq_len, L, scaling_factor)
        return {
            "seq_len": seq_len,
            "scaling_factor": scaling_factor,
            "new_base": r["new_base"],
            "plain_ratio": r["plain_ratio"],
            "dynamic_ratio": r["dynamic_ratio"],
            "cycled": r["cycled"],
            "n_uncycled": r["n_uncycled"],
            "n_beyond_plain": r["n_beyond_plain"],
            "n_beyond_dynamic": r["n_beyond_dynamic"],
            "worst_dynamic_ratio": r["worst_dynamic_ratio"],
            "lowest_pair_ratio": float(r["dynamic_ratio"][-1]),
        }

    @staticmethod
    def readout_values(result):
        return {
            "new base": result["new_base"],
            "pairs beyond trained range (no scaling)": result["n_beyond_plain"],
            "pairs beyond trained range (dynamic NTK)": result["n_beyond_dynamic"],
            "worst ratio (dynamic NTK)": result["worst_dynamic_ratio"],
            "lowest pair ratio (dynamic NTK)": result["lowest_pair_ratio"],
        }

    @staticmethod
    def _title(result):
        return f"seq_len = {result['seq_len']}, scaling_factor = {result['scaling_factor']:.2f}"

    def _ratios(self, result):
        plain, dynamic = self.SERIES
        return {plain: result["plain_ratio"], dynamic: result["dynamic_ratio"]}

    def draw(self, fig, result):
        ax = fig.add_subplot()
        pairs = np.arange(DIM // 2)
        first_uncycled = int(np.argmin(result["cycled"])) if not result["cycled"].all() else DIM // 2
        ax.axvspan(first_uncycled - 0.5, DIM // 2 - 0.5, color=style.BAND, lw=0, label="never turned in training")
        self.panel = FractionPanel(ax, pairs, self.SERIES, pair_ticks=[0, 8, 16, 24, 31],
                                   xlabel="pair i (0 = highest frequency)")
        self.panel.update(self._ratios(result))
        style.legend(ax, ncols=4)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(*self.panel.artists, self.title, rarely=self.panel.rare_artists)

    def redraw(self, result):
        self.panel.update(self._ratios(result))
        self.title.set_text(self._title(result))


def kv_drift(seq_len: int, scaling_factor: float, dim: int = DIM, base: float = BASE,
             max_position_embeddings: int = L, pairs=DRIFT_PAIRS, n_points: int = N_POINTS) -> dict:
    """Angle error of sampled cached keys, per pair, after a prefill of min(seq_len, L) tokens and
    one token per step up to `seq_len` with keys cached after RoPE: the rotation between the
    cached key and a consistent one, wrapped into [0, pi] (`attention.stale_angle_errors`)."""
    # Log-spaced key positions (the plot's x axis is logarithmic), always including the last key.
    positions = np.unique(np.geomspace(1, max(seq_len - 1, 1), n_points).astype(np.int64))
    prefill_len = min(seq_len, max_position_embeddings)
    final_base = dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
    errors = stale_angle_errors(seq_len, prefill_len, dim, base, max_position_embeddings, scaling_factor,
                                positions=positions, pairs=pairs)
    idx = list(pairs)
    steps = max(0, seq_len - max_position_embeddings)
    return {
        "positions": positions,
        "errors": errors,
        "pairs": tuple(int(i) for i in idx),
        "final_base": final_base,
        "max_error_lowest": float(errors[:, idx.index(dim // 2 - 1)].max()) if dim // 2 - 1 in idx else math.nan,
        "max_error": float(errors.max()),
        "rebuilds": 1 + steps,
        "decode_steps": steps,
    }


class KVDriftExplorer(Explorer):
    name = "kv_drift"
    figsize = style.figsize(3.8)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(8192, lo=64, extra=(L, L + 1)),
            "scaling_factor": scaling_factor_slider(1.0),
        }

    @staticmethod
    def compute(seq_len, scaling_factor):
        r = kv_drift(seq_len, scaling_factor)
        r["seq_len"] = seq_len
        r["scaling_factor"] = scaling_factor
        return r

    @staticmethod
    def readout_values(result):
        return {
            "final base": result["final_base"],
            "decode steps past L": result["decode_steps"],
            "table rebuilds": result["rebuilds"],
            "max angle error, lowest pair (rad)": result["max_error_lowest"],
            "max angle error, shown pairs (rad)": result["max_error"],
        }

    @staticmethod
    def _title(result):
        return f"seq_len = {result['seq_len']}, scaling_factor = {result['scaling_factor']:.2f}"

    @staticmethod
    def _masked(errors):
        return np.where(errors > 0, errors, np.nan)  # keys cached at the final base: no error

    def draw(self, fig, result):
        ax = fig.add_subplot()
        colors = (style.BLUE, style.ORANGE, style.GREEN)
        styles = ("-", "--", "-.")
        self.lines = []
        for j, (pair, color, ls) in enumerate(zip(result["pairs"], colors, styles)):
            (line,) = ax.plot(result["positions"], self._masked(result["errors"][:, j]), color=color, ls=ls, lw=1.8,
                              label=f"pair {pair}")
            self.lines.append(line)
        ax.axvline(L, color=style.REFERENCE, lw=1.2, ls="--", label=f"L = {L}")
        self.seq_marker = ax.axvline(result["seq_len"], color=style.BEYOND, lw=1.5, label="seq_len")
        ax.axhline(np.pi, color=style.REFERENCE, lw=1.2, ls=":", label="pi (completely wrong)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlim(16, 131072)
        ax.set_ylim(1e-6, 10)
        style.plain_ticks(ax.xaxis, [16, 256, 4096, 65536])
        style.plain_ticks(ax.yaxis, [1e-6, 1e-4, 0.01, 1], ["1e-6", "1e-4", "0.01", "1"])
        ax.set_xlabel("key position (log scale; prefill of min(seq_len, L), then one token per step)")
        ax.set_ylabel("angle error (rad, log scale)")
        style.legend(ax, ncols=3)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(*self.lines, self.seq_marker, self.title)

    def redraw(self, result):
        for j, line in enumerate(self.lines):
            line.set_data(result["positions"], self._masked(result["errors"][:, j]))
        self.seq_marker.set_xdata([result["seq_len"], result["seq_len"]])
        self.title.set_text(self._title(result))
