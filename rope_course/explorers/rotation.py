"""Lesson 01's explorer: how far each rotary pair has turned at the last position of a sequence.

For a request of length `seq_len` the last token sits at position p = seq_len - 1, and pair i
of a query or key is turned by the angle p * inv_freq[i] (index 0 = highest frequency). The
picture has two panels:

* left, a unit circle: where the unit vector (1, 0) of a few pairs lands at position p (the
  angle modulo 2*pi, which is all the dot product can see);
* right, for the pairs that never completed a turn in training (wavelength > L; pairs 23..31
  at D = 64, L = 4096), the largest angle at p divided by the largest angle inside the
  trained window (position L - 1), under plain RoPE (base 10000) and under dynamic NTK with
  L = 4096 and the chosen `scaling_factor`, on a linear axis with the line at 1. Pairs that
  wrapped in training have no "trained maximum" that matters (they saw every angle), so they
  are not drawn. Plain RoPE takes every slow pair to (l-1)/(L-1) of its range; dynamic NTK at
  s = 1 brings the slowest back to 1 (up to the one-position offset) and leaves the others
  above it at every l > L (up to 1.196 at l = 2L, 2.446 at 32L). A larger s squeezes the
  slowest pair below 1 at every length once s > L/(L-1) (every s > 1 on the slider), and the
  faster ones only as s grows: at s = 2 up to 3 of them still exceed 1 at long lengths; from
  s = 3.5 on, all stay below 1 up to l = 131072, though at any s a long enough request takes
  pair 23 above 1 again (from l = 141262 at s = 3.5). Lesson 01 checks these numbers.
  The y axis fits the dynamic curve (and shows at least 0 .. 2.5): plain RoPE's nine values are
  all (l-1)/(L-1), up to 32 at 131072, and fitting them would squash the dynamic curve against 0.
  When plain RoPE is above the axis, its markers sit on the top edge as triangles
  (`PINNED_MARKER`), and the title gives its value.

`compute` is pure and only does 32-element arithmetic, so a slider move is cheap at any length.
"""

from __future__ import annotations

import math

import numpy as np

from ..angles import never_turned, trained_range_fraction
from ..functional import dynamic_ntk_base, inv_freq_for_base
from . import style
from .base import Explorer, format_number, scaling_factor_slider, seq_len_slider
from .clock import FractionPanel

ROTATION_DIM = 64
ROTATION_BASE = 10000
ROTATION_L = 4096
# The pairs drawn on the unit circle: the fastest, three in between, the slowest.
CIRCLE_PAIRS = (0, 8, 16, 24, 31)
PLAIN_LABEL, DYNAMIC_LABEL = "plain RoPE", "dynamic NTK"
PLAIN_MARKER, PINNED_MARKER = "s", "^"
FRACTION_MIN_TOP = 2.5  # plain RoPE stays on the axis up to l = 2.5 L; the dynamic curve always does
_COLORS = (style.VERMILLION, style.ORANGE, style.GREEN, style.SKY_BLUE, style.PURPLE)


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
    slow = never_turned(trained)
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
        "slow_pairs": np.flatnonzero(slow),
        "fraction_plain": trained_range_fraction(plain[slow], trained[slow]),
        "fraction_dynamic": trained_range_fraction(dynamic[slow], trained[slow]),
    }


def fraction_axis_top(result) -> float:
    """Top of the fraction panel's y axis: fits the dynamic curve, at least `FRACTION_MIN_TOP`."""
    return max(style.nice_top(float(np.max(result["fraction_dynamic"]))), FRACTION_MIN_TOP)


class RotationExplorer(Explorer):
    name = "rotation"
    figsize = style.figsize(3.8)
    SERIES = {
        PLAIN_LABEL: dict(color=style.PLAIN, marker=PLAIN_MARKER, ls="-", clip_on=False),
        DYNAMIC_LABEL: dict(color=style.DYNAMIC, marker="o", ls="-"),
    }

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(8192, lo=2, extra=(ROTATION_L, ROTATION_L + 1)),
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
            "largest fraction, dynamic": float(result["fraction_dynamic"].max()),
        }

    def _show_fractions(self, result) -> None:
        """The fraction panel: the axis fits the dynamic curve; plain RoPE above it is pinned to the top."""
        plain = result["fraction_plain"]
        top = self.panel.update({PLAIN_LABEL: plain, DYNAMIC_LABEL: result["fraction_dynamic"]},
                                top_from=(DYNAMIC_LABEL,))
        if top != fraction_axis_top(result):  # the title's note and the picture must agree
            raise RuntimeError(f"fraction axis top {top} differs from fraction_axis_top {fraction_axis_top(result)}")
        above = plain > top
        line = self.panel.lines[PLAIN_LABEL]
        line.set_data(self.panel.pairs, np.where(above, top, plain))
        line.set_marker(PINNED_MARKER if above.any() else PLAIN_MARKER)

    def draw(self, fig, result):
        circle_ax, fraction_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
        theta = np.linspace(0, 2 * math.pi, 97)
        circle_ax.plot(np.cos(theta), np.sin(theta), color=style.BAND, lw=1.5, gid=style.DECORATION)
        self.spokes = []
        for pair, color in zip(CIRCLE_PAIRS, _COLORS):
            angle = result["wrapped_dynamic"][pair]
            (line,) = circle_ax.plot([0, math.cos(angle)], [0, math.sin(angle)], "-o", color=color,
                                     markevery=[1], lw=2, ms=6, label=f"pair {pair}")
            self.spokes.append((pair, line))
        circle_ax.set_xlim(-1.15, 1.15)
        circle_ax.set_ylim(-1.15, 1.15)
        circle_ax.set_aspect("equal")
        circle_ax.set_axis_off()
        circle_ax.set_title("(1, 0) at p, dynamic NTK")
        style.legend(circle_ax, where="right")

        self.panel = FractionPanel(fraction_ax, result["slow_pairs"], self.SERIES, min_top=FRACTION_MIN_TOP)
        style.legend(fraction_ax)  # before the data: the legend keeps the plain marker, not the pinned one
        self._show_fractions(result)
        self.title = style.readout_title(fig, self._caption(result))
        fig.tight_layout()
        self.animate(*(line for _, line in self.spokes), *self.panel.artists, self.title,
                     rarely=self.panel.rare_artists)

    @staticmethod
    def _caption(result):
        return (f"p = {result['position']}, scaling_factor = {result['scaling_factor']:.2f}, "
                f"base = {format_number(result['base'])}; plain RoPE at {result['fraction_plain'][0]:.2f}"
                f"{RotationExplorer._pinned_note(result)}")

    @staticmethod
    def _pinned_note(result) -> str:
        above = float(result["fraction_plain"][0]) > fraction_axis_top(result)
        return " (\u25b2: above the axis)" if above else ""

    def redraw(self, result):
        for pair, line in self.spokes:
            angle = result["wrapped_dynamic"][pair]
            line.set_data([0, math.cos(angle)], [0, math.sin(angle)])
        self._show_fractions(result)
        self.title.set_text(self._caption(result))
