"""The clock picture: every rotary pair is a clock hand (lessons 01 and 04), and the fraction
of its trained angle range that a request reaches.

Pair i turns by p * theta_i at position p. Over a request of `seq_len` tokens its hand sweeps
the arc (seq_len - 1) * theta_i; in training it swept (L - 1) * theta_i (`rope_course.angles`
does the math). On a clock face each pair is a ring, the fastest (i = 0) innermost, the
slowest (i = D/2 - 1) outermost; angle 0 is at 3 o'clock and angles grow counter-clockwise,
as in lesson 01's rotation. The light grey band is the arc swept in training, the blue arc
the part of the request's arc inside it, the vermillion arc the angles the pair never saw in
training, the black dot the hand at the last position. Fast pairs wrap many times in training:
every angle is familiar, so their rings get no band and are drawn as full thin blue circles.
Slow pairs never turned once; under plain RoPE a long request carries them past the end of
their band, under dynamic NTK with a large `scaling_factor` they stay squeezed inside it, up to
a length that grows with s (from s = 3.5 past the slider's 131072; at any s pair 23 leaves
again far enough out, lesson 01).

Explorers (D = 64, b = 10^4, L = 4096, where exactly 9 pairs, 23..31, never turned):

* `ClockExplorer` ("clock", lesson 01): plain RoPE; left the clock at the end of training
  (seq_len = L), right at `seq_len`.
* `ScaledClockExplorer` ("clock_scaled", lesson 04): plain RoPE (left) against a `method`
  ("dynamic NTK", "PI", "YaRN"; right) at `seq_len` and `scaling_factor`.
* `TrainedFractionExplorer` ("trained_fraction", lesson 04): for each never-turned pair, the
  largest angle at `seq_len` divided by the largest trained one, on a linear axis with the
  line at 1, under `method` with its own `scaling_factor`, for L = 4096 or the seed's 2048.
  At L = 4096, s = 1, l = 32L all 9 pairs end beyond their range, 8 of them by 12% to 2.45x and
  the slowest only by the one-position offset (1.00024); at L = 2048, s = 2, l = 2L all 11 are
  compressed to 0.667-0.950.

Usage in a lesson (one line each, as the last line of a cell)::

    from rope_course.explorers.clock import ClockExplorer; ClockExplorer().show()
    from rope_course.explorers.clock import ScaledClockExplorer; ScaledClockExplorer().show()
    from rope_course.explorers.clock import TrainedFractionExplorer; TrainedFractionExplorer().show()

Keyword arguments set the starting slider values, e.g. `ScaledClockExplorer(seq_len=8192,
scaling_factor=2.0)`. Each class's `compute(**params)` is pure and returns the numbers shown.

`FractionPanel` draws the fraction view and is shared with the rotation and attention
explorers. Everything is computed for 32 pairs, so an update costs the same at any seq_len.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import LineCollection

from ..angles import METHODS, angle_report, never_turned
from . import style
from .base import (
    Explorer,
    choice_buttons,
    int_choice_slider,
    scaling_factor_slider,
    seq_len_slider,
    widen_descriptions,
)

__all__ = [
    "CLOCK_L",
    "FractionPanel",
    "ClockFace",
    "ClockExplorer",
    "ScaledClockExplorer",
    "TrainedFractionExplorer",
]

CLOCK_DIM = 64
CLOCK_BASE = 10000.0
CLOCK_L = 4096
LABELLED_PAIRS = (0, 12, 23, 27, 31)  # evenly spread on the ruler (16 sat so close to 23 it read "16 23")
SCALED_METHODS = tuple(m for m in METHODS if m != "plain")
ARC_STEP = 2 * math.pi / 180  # polyline resolution of an arc: 2 degrees
TURN = 2 * math.pi


class FractionPanel:
    """Per pair: largest angle at seq_len / largest trained angle, linear from 0, line at 1.

    `series` maps a legend label to line properties (color, ls, marker). The y axis follows the
    data (`style.LiveTicks`) but never shows less than 0 .. `min_top`, so the line at 1 and
    the spread around it stay readable; everything that depends on the y limit is animated.
    """

    def __init__(self, ax, pairs, series: dict[str, dict], min_top: float = 1.5, pair_ticks=None,
                 xlabel: str = "pair i (never turned in training)"):
        self.ax = ax
        self.min_top = min_top
        self.ticks = style.LiveTicks(ax, "largest angle / trained largest", label_chars=3)
        self.one = ax.axhline(1.0, color=style.REFERENCE, ls="--", lw=1.5, label="trained range (1)")
        self.lines = {}
        for label, props in series.items():
            (self.lines[label],) = ax.plot([], [], label=label, **{"ms": 6, **props})
        self.set_pairs(pairs, pair_ticks)
        ax.set_xlabel(xlabel)

    def set_pairs(self, pairs, pair_ticks=None) -> None:
        """The x axis: which pairs are drawn (a static part of the figure)."""
        self.pairs = np.asarray(pairs)
        self.ax.set_xlim(self.pairs[0] - 0.6, self.pairs[-1] + 0.6)
        style.plain_ticks(self.ax.xaxis, list(self.pairs) if pair_ticks is None else pair_ticks)

    @property
    def artists(self) -> list:
        """What changes with every update (animate these)."""
        return list(self.lines.values())

    @property
    def rare_artists(self) -> list:
        """What changes only with the y limit (`animate(..., rarely=...)`)."""
        return [self.one, *self.ticks.artists]

    def update(self, values: dict[str, np.ndarray], top_from=None) -> float:
        """Draw `values` (label -> one value per pair); the y axis fits the series named in
        `top_from` (all of them by default). Returns the top of the y axis."""
        fitted = values if top_from is None else {label: values[label] for label in top_from}
        top = self.ticks.set_top(max(float(np.max(v)) for v in fitted.values()), minimum=self.min_top)
        for label, line in self.lines.items():
            line.set_data(self.pairs, values[label])
        return top


SLOW_RING_WEIGHT = 3.0  # a never-turned ring gets 3x the room of a wrapped one: it carries the story


def ring_radii(trained_arc) -> np.ndarray:
    """Ring radius of each pair, from 0.12 (fastest) to 1 (slowest); never-turned rings get
    `SLOW_RING_WEIGHT` times the spacing of the rings that wrapped in training."""
    weights = np.where(never_turned(trained_arc), SLOW_RING_WEIGHT, 1.0)
    edges = np.concatenate(([0.0], np.cumsum(weights)))
    centres = (edges[:-1] + edges[1:]) / 2
    return 0.12 + 0.88 * (centres - centres[0]) / max(centres[-1] - centres[0], 1e-12)


def _arc(radius: float, start: float, stop: float) -> np.ndarray:
    """Points of the arc of `radius` from angle `start` to `stop` (radians, stop - start <= 2 pi)."""
    n = max(2, int(math.ceil((stop - start) / ARC_STEP)) + 1)
    angles = np.linspace(start, stop, n)
    return np.column_stack((radius * np.cos(angles), radius * np.sin(angles)))


def clock_segments(arc, trained_arc, radii) -> tuple[list, list]:
    """(inside, beyond) polylines of a clock face: per pair, the part of [0, arc] within the
    trained arc and the part beyond it, each at most one full turn (angles repeat after 2 pi)."""
    inside, beyond = [], []
    for a, t, r in zip(arc, trained_arc, radii):
        familiar = min(a, t, TURN)
        if familiar > 0:
            inside.append(_arc(r, 0.0, familiar))
        if a > t and t < TURN:
            beyond.append(_arc(r, t, min(a, TURN)))
    return inside, beyond


class ClockFace:
    """One clock face: the trained arcs as static grey bands, the request's arcs animated."""

    BAND_PT = 6.0  # line widths (points) on a never-turned ring; a wrapped ring's are thinner
    ARC_PT = 2.2
    WRAPPED_ARC_PT = 1.2

    def __init__(self, ax, trained_arc, title: str = ""):
        self.ax = ax
        self.trained_arc = np.asarray(trained_arc)
        self.radii = ring_radii(self.trained_arc)
        slow = never_turned(self.trained_arc)
        bands = [_arc(r, 0.0, t) for r, t in zip(self.radii[slow], self.trained_arc[slow]) if t > 0]
        ax.add_collection(LineCollection(bands, colors=style.BAND, linewidths=self.BAND_PT, capstyle="butt",
                                         label="trained arc (positions 0 .. L-1)"))
        self.inside = LineCollection([], colors=style.BLUE, capstyle="butt",
                                     label="arc at seq_len, inside the trained arc")
        self.beyond = LineCollection([], colors=style.BEYOND, linewidths=self.ARC_PT, capstyle="butt",
                                     label="arc at seq_len, beyond it (never seen)")
        ax.add_collection(self.inside)
        ax.add_collection(self.beyond)
        (self.hands,) = ax.plot([], [], "o", color=style.BLACK, ms=3.0, label="hand at p = seq_len - 1")
        ax.set_xlim(-1.08, 1.08)
        ax.set_ylim(-1.08, 1.08)
        ax.set_aspect("equal")
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_bounds(0.0, 1.0)
        ax.yaxis.set_visible(False)
        # The ruler under the right half: ring radius = pair index (angle 0 points this way).
        style.plain_ticks(ax.xaxis, [self.radii[i] for i in LABELLED_PAIRS if i < len(self.radii)],
                          [str(i) for i in LABELLED_PAIRS if i < len(self.radii)])
        ax.set_xlabel("ring = pair i")
        self.title = ax.set_title(title)

    @property
    def artists(self) -> list:
        return [self.inside, self.beyond, self.hands]

    def update(self, arc) -> None:
        arc = np.asarray(arc)
        inside, beyond = clock_segments(arc, self.trained_arc, self.radii)
        self.inside.set_segments(inside)
        self.inside.set_linewidths([self.ARC_PT if t < TURN else self.WRAPPED_ARC_PT
                                    for a, t in zip(arc, self.trained_arc) if min(a, t, TURN) > 0])
        self.beyond.set_segments(beyond)
        hand = np.mod(arc, TURN)
        self.hands.set_data(self.radii * np.cos(hand), self.radii * np.sin(hand))


def _clock_readout(result) -> dict:
    r = result["right"]
    slow = r["fraction"][r["never_turned"]]
    return {
        "seq_len": result["seq_len"],
        "never-turned pairs": r["n_never_turned"],
        "beyond their trained arc": r["n_beyond"],
        "slowest pair: arc / trained": float(slow[-1]),
        "largest arc / trained": r["fraction_max"],
    }


def _clock_title(result) -> str:
    return f"seq_len = {result['seq_len']} (p = {result['seq_len'] - 1})"


class _TwoClocks(Explorer):
    """Two clock faces side by side and one legend; subclasses say what each face shows."""

    figsize = style.figsize(5.4)

    @staticmethod
    def _face_title(result) -> str:
        raise NotImplementedError

    def draw(self, fig, result):
        left_ax, right_ax = fig.subplots(1, 2)
        self.left = ClockFace(left_ax, result["left"]["trained_arc"], result["left_title"])
        self.left.update(result["left"]["arc"])
        self.right = ClockFace(right_ax, result["right"]["trained_arc"], self._face_title(result))
        self.right.update(result["right"]["arc"])
        self.title = style.readout_title(fig, _clock_title(result))
        style.legend_below(fig, right_ax, ncols=2)
        # Fixed margins (equal-aspect faces confuse tight_layout): the title and the face titles
        # above, the ruler and the two legend rows below.
        fig.subplots_adjust(left=0.02, right=0.98, top=0.89, bottom=0.2, wspace=0.08)
        self.animate(*self.right.artists, self.title, *self._also_animated())

    def _also_animated(self) -> list:
        return []

    def redraw(self, result):
        self.right.update(result["right"]["arc"])
        self.title.set_text(_clock_title(result))

    @staticmethod
    def readout_values(result):
        return _clock_readout(result)


class ClockExplorer(_TwoClocks):
    """Lesson 01: plain RoPE at the end of training (left) and at `seq_len` (right)."""

    name = "clock"

    def make_controls(self):
        return {"seq_len": seq_len_slider(16384, lo=2, extra=(CLOCK_L, CLOCK_L + 1))}

    @staticmethod
    def compute(seq_len):
        seq_len = int(seq_len)
        return {
            "seq_len": seq_len,
            "left": angle_report("plain", CLOCK_L, 1.0, CLOCK_DIM, CLOCK_BASE, CLOCK_L),
            "left_title": f"end of training: seq_len = L = {CLOCK_L}, D = {CLOCK_DIM}",
            "right": angle_report("plain", seq_len, 1.0, CLOCK_DIM, CLOCK_BASE, CLOCK_L),
        }

    @staticmethod
    def _face_title(result):
        return "plain RoPE at seq_len"


class ScaledClockExplorer(_TwoClocks):
    """Lesson 04: plain RoPE (left) against `method` at `scaling_factor` (right), at `seq_len`."""

    name = "clock_scaled"

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(16384, lo=2, extra=(CLOCK_L, CLOCK_L + 1)),
            "scaling_factor": scaling_factor_slider(1.0),
            "method": choice_buttons("method", "dynamic NTK", SCALED_METHODS),
        }

    @staticmethod
    def compute(seq_len, scaling_factor, method="dynamic NTK"):
        seq_len, s = int(seq_len), float(scaling_factor)
        right = angle_report(method, seq_len, s, CLOCK_DIM, CLOCK_BASE, CLOCK_L)
        return {
            "seq_len": seq_len,
            "scaling_factor": s,
            "method": method,
            "left": angle_report("plain", seq_len, 1.0, CLOCK_DIM, CLOCK_BASE, CLOCK_L),
            "left_title": f"plain RoPE (L = {CLOCK_L}, D = {CLOCK_DIM})",
            "right": right,
        }

    @staticmethod
    def _face_title(result):
        return f"{result['method']}, s = {result['scaling_factor']:.2f}"

    def _also_animated(self) -> list:
        return [*self.left.artists, self.right.title]

    def redraw(self, result):
        self.left.update(result["left"]["arc"])
        self.right.title.set_text(self._face_title(result))
        super().redraw(result)

    @staticmethod
    def readout_values(result):
        r = result["right"]
        return {"method": result["method"], "base in force": r["base"], **_clock_readout(result),
                "plain RoPE: beyond": result["left"]["n_beyond"]}


class TrainedFractionExplorer(Explorer):
    """Lesson 04: fraction of the trained angle range per never-turned pair, own s slider."""

    name = "trained_fraction"
    figsize = style.figsize(3.8)

    def make_controls(self):
        return widen_descriptions({
            "seq_len": seq_len_slider(8192, lo=2, extra=(2048, 2049, 3000, CLOCK_L, CLOCK_L + 1)),
            "scaling_factor": scaling_factor_slider(1.0),
            "method": choice_buttons("method", "dynamic NTK", METHODS),
            "max_position_embeddings": int_choice_slider("max_position_embeddings", CLOCK_L, [2048, 4096]),
        })

    @staticmethod
    def compute(seq_len, scaling_factor, method="dynamic NTK", max_position_embeddings=CLOCK_L):
        report = angle_report(method, int(seq_len), float(scaling_factor), CLOCK_DIM, CLOCK_BASE,
                              int(max_position_embeddings))
        return {**report, "slow_fraction": report["fraction"][report["never_turned"]]}

    def draw(self, fig, result):
        ax = fig.add_subplot()
        self.panel = FractionPanel(ax, result["pairs_never_turned"],
                                   {"largest angle at seq_len / trained": dict(color=style.BLUE, marker="o")})
        self.panel.update({"largest angle at seq_len / trained": result["slow_fraction"]})
        style.legend(ax)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(*self.panel.artists, self.title, rarely=self.panel.rare_artists)

    def redraw(self, result):
        if not np.array_equal(self.panel.pairs, result["pairs_never_turned"]):  # L moved: new x axis
            self.panel.set_pairs(result["pairs_never_turned"])
            self.relayout()
        self.panel.update({"largest angle at seq_len / trained": result["slow_fraction"]})
        self.title.set_text(self._title(result))

    @staticmethod
    def _title(result):
        return (f"{result['method']}, s = {result['scaling_factor']:.2f}, seq_len = {result['seq_len']}, "
                f"L = {result['max_position_embeddings']}")

    @staticmethod
    def readout_values(result):
        return {
            "base in force": result["base"],
            "never-turned pairs": result["n_never_turned"],
            "beyond their trained range": result["n_beyond"],
            "smallest fraction": result["fraction_min"],
            "largest fraction": result["fraction_max"],
        }
