"""Lesson 01's explorer: how far each rotary pair has turned at the last position of a sequence.

For a request of length `seq_len` the last token sits at position p = seq_len - 1, and pair i
of a query or key is turned by the angle p * inv_freq[i] (index 0 = highest frequency). The
picture has two panels:

* left, a unit circle: where the unit vector (1, 0) of a few pairs lands at position p (the
  angle modulo 2*pi, which is all the dot product can see);
* right, the unwrapped angle p * inv_freq[i] in turns for every pair, under plain RoPE
  (base 10000) and under dynamic NTK with `max_position_embeddings` L = 4096 and the chosen
  `scaling_factor`, against the largest angle each pair ever reached inside the trained window
  (position L - 1). Past L the plain angles of the slow pairs leave the trained range; the
  dynamic base pulls the slowest pair back exactly to it when s = 1.

`compute` is pure and only does 32-element arithmetic, so a slider move is cheap at any length.
"""

from __future__ import annotations

import math

import numpy as np

from ..functional import dynamic_ntk_base, inv_freq_for_base
from .base import Explorer, format_number, scaling_factor_slider, seq_len_slider

ROTATION_DIM = 64
ROTATION_BASE = 10000
ROTATION_L = 4096
# The pairs drawn on the unit circle: the fastest, three in between, the slowest.
CIRCLE_PAIRS = (0, 8, 16, 24, 31)
_COLORS = ("tab:red", "tab:orange", "tab:green", "tab:blue", "tab:purple")


def pair_angles(position: int, inv_freq) -> np.ndarray:
    """Unwrapped angle (radians) of every pair at `position`: position * inv_freq[i], in float64."""
    return float(position) * np.asarray(inv_freq, dtype=np.float64)


def wrap_angle(angles) -> np.ndarray:
    """Angles reduced to [0, 2*pi): what cos and sin (and so the dot product) can see."""
    return np.mod(np.asarray(angles, dtype=np.float64), 2 * math.pi)


def rotation_state(seq_len: int, scaling_factor: float = 1.0, dim: int = ROTATION_DIM,
                   base: float = ROTATION_BASE, max_position_embeddings: int = ROTATION_L) -> dict:
    """Everything the rotation explorer shows, for a request of length `seq_len`."""
    position = seq_len - 1
    inv_plain = inv_freq_for_base(base, dim).double().numpy()
    new_base = dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
    inv_dyn = inv_freq_for_base(new_base, dim).double().numpy()
    plain = pair_angles(position, inv_plain)
    dynamic = pair_angles(position, inv_dyn)
    trained = pair_angles(max_position_embeddings - 1, inv_plain)
    return {
        "seq_len": seq_len,
        "scaling_factor": float(scaling_factor),
        "position": position,
        "base": float(new_base),
        "pairs": np.arange(dim // 2),
        "angles_plain": plain,
        "angles_dynamic": dynamic,
        "angles_trained": trained,
        "wrapped_dynamic": wrap_angle(dynamic),
        "lowest_plain": float(plain[-1]),
        "lowest_dynamic": float(dynamic[-1]),
        "lowest_trained": float(trained[-1]),
    }


class RotationExplorer(Explorer):
    name = "rotation"
    figsize = (8.0, 3.2)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(16384, lo=2, extra=(ROTATION_L, ROTATION_L + 1)),
            "scaling_factor": scaling_factor_slider(1.0),
        }

    @staticmethod
    def compute(seq_len, scaling_factor):
        return rotation_state(int(seq_len), float(scaling_factor))

    @staticmethod
    def readout_values(result):
        return {
            "position p": result["position"],
            "scaling_factor": result["scaling_factor"],
            "base used": result["base"],
            "slowest pair, plain (rad)": result["lowest_plain"],
            "slowest pair, dynamic (rad)": result["lowest_dynamic"],
        }

    @staticmethod
    def _log_turns(angles):
        """log10 of the angle in turns; position 0 (no turn at all) is left undrawn."""
        turns = np.asarray(angles) / (2 * math.pi)
        with np.errstate(divide="ignore"):
            return np.where(turns > 0, np.log10(np.where(turns > 0, turns, 1.0)), np.nan)

    def draw(self, fig, result):
        # Kept cheap to render: fixed ticks with plain labels (a log axis lays out many
        # mathtext labels on every frame), few text artists, no legend on the circle.
        circle_ax, turns_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.4]})
        theta = np.linspace(0, 2 * math.pi, 97)
        circle_ax.plot(np.cos(theta), np.sin(theta), color="0.8", lw=1)
        self.spokes = []
        for pair, color in zip(CIRCLE_PAIRS, _COLORS):
            angle = result["wrapped_dynamic"][pair]
            (line,) = circle_ax.plot([0, math.cos(angle)], [0, math.sin(angle)], "-o", color=color,
                                     markevery=[1], lw=1.5, ms=5)
            self.spokes.append((pair, line))
        circle_ax.set_xlim(-1.15, 1.15)
        circle_ax.set_ylim(-1.15, 1.15)
        circle_ax.set_aspect("equal")
        circle_ax.set_xticks([])
        circle_ax.set_yticks([])
        circle_ax.set_title("pairs 0 8 16 24 31 at p\n(red to purple)", fontsize=7)

        pairs = result["pairs"]
        (self.plain_line,) = turns_ax.plot(pairs, self._log_turns(result["angles_plain"]), ".-", color="0.55",
                                           lw=1, ms=3, label="plain RoPE")
        (self.dynamic_line,) = turns_ax.plot(pairs, self._log_turns(result["angles_dynamic"]), ".-",
                                             color="tab:blue", lw=1.2, ms=3, label="dynamic NTK, L = 4096")
        turns_ax.plot(pairs, self._log_turns(result["angles_trained"]), "--", color="tab:green", lw=1,
                      label="trained max (p = L - 1)")
        turns_ax.set_ylim(-6.5, 4.7)
        turns_ax.set_yticks([-6, -3, 0, 3], ["1e-6", "1e-3", "1", "1e3"])
        turns_ax.set_xticks([0, 8, 16, 24, 31])
        turns_ax.set_xlabel("pair index i (0 = highest frequency)", fontsize=8)
        turns_ax.set_ylabel("turns at p (log)", fontsize=8)
        turns_ax.tick_params(labelsize=7)
        turns_ax.legend(fontsize=6, loc="upper right")
        self.text = turns_ax.text(0.02, 0.04, self._caption(result), transform=turns_ax.transAxes, fontsize=7)
        self.animate(*(line for _, line in self.spokes), self.plain_line, self.dynamic_line, self.text)
        fig.tight_layout()


    @staticmethod
    def _caption(result):
        return (f"p = {result['position']}, scaling_factor = {result['scaling_factor']:.2f}, "
                f"base = {format_number(result['base'])}")

    def redraw(self, result):
        for pair, line in self.spokes:
            angle = result["wrapped_dynamic"][pair]
            line.set_data([0, math.cos(angle)], [0, math.sin(angle)])
        self.plain_line.set_ydata(self._log_turns(result["angles_plain"]))
        self.dynamic_line.set_ydata(self._log_turns(result["angles_dynamic"]))
        self.text.set_text(self._caption(result))
