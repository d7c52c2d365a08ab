"""Lesson 00's first slider: a preview of the dynamic base as the requested length grows.

The curve is b'(l) = 10000 * a(l)^(64/62) with a(l) = 1 + s (l/4096 - 1) past L = 4096 (and
10000 up to L), for the chosen `scaling_factor` s; the marker sits at the chosen `seq_len`.
The axes show log2(seq_len) and log10(base) on plain linear axes with fixed tick labels (the
values span 17 doublings and nearly 3 decades, 10^4 to 6.1e6 at s = 16); the gray curve is
scaling_factor = 1 for reference.
"""

from __future__ import annotations

import numpy as np

from ..functional import dynamic_ntk_base
from . import style
from .base import Explorer, format_number, scaling_factor_slider, seq_len_slider

PREVIEW_DIM = 64
PREVIEW_BASE = 10000
PREVIEW_L = 4096
PREVIEW_LENGTHS = np.unique(np.geomspace(1, 131072, 256).astype(int))


def base_curve(scaling_factor: float, dim: int = PREVIEW_DIM, max_position_embeddings: int = PREVIEW_L,
               lengths=None) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, dynamic base at each length) for the curve of the preview plot."""
    if lengths is None:
        lengths = PREVIEW_LENGTHS
    bases = np.array([
        dynamic_ntk_base(PREVIEW_BASE, dim, int(l), max_position_embeddings, scaling_factor) for l in lengths
    ])
    return np.asarray(lengths), bases


class DynamicBasePreview(Explorer):
    name = "preview"
    figsize = style.figsize(3.6)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(8192, extra=(PREVIEW_L, PREVIEW_L + 1)),
            "scaling_factor": scaling_factor_slider(1.0),
        }

    @staticmethod
    def compute(seq_len, scaling_factor):
        lengths, bases = base_curve(scaling_factor)
        new_base = dynamic_ntk_base(PREVIEW_BASE, PREVIEW_DIM, seq_len, PREVIEW_L, scaling_factor)
        return {"lengths": lengths, "bases": bases, "seq_len": seq_len,
                "scaling_factor": float(scaling_factor), "new_base": new_base}

    @staticmethod
    def readout_values(result):
        return {"seq_len": result["seq_len"], "scaling_factor": result["scaling_factor"],
                "new base": result["new_base"]}

    @staticmethod
    def _caption(result):
        return (f"seq_len = {result['seq_len']}, scaling_factor = {result['scaling_factor']:.2f}: "
                f"base = {format_number(result['new_base'])}")

    def draw(self, fig, result):
        ax = fig.add_subplot()
        x = np.log2(result["lengths"])
        ax.plot(x, np.log10(base_curve(1.0)[1]), color=style.REFERENCE, lw=1.5, label="scaling_factor = 1")
        (self.curve,) = ax.plot(x, np.log10(result["bases"]), color=style.DYNAMIC, label="the chosen scaling_factor")
        (self.marker,) = ax.plot([np.log2(result["seq_len"])], [np.log10(result["new_base"])], "o", ms=9,
                                 color=style.BEYOND, label="seq_len")
        ax.axvline(np.log2(PREVIEW_L), color=style.REFERENCE, ls="--", lw=1.2,
                   label=f"max_position_embeddings = {PREVIEW_L}")
        style.plain_ticks(ax.xaxis, [0, 4, 8, 12, 17], ["1", "16", "256", "4096", "131072"])
        style.plain_ticks(ax.yaxis, [4, 5, 6, 7], ["10k", "100k", "1M", "10M"])
        ax.set_xlim(-0.3, 17.3)
        ax.set_ylim(np.log10(5e3), 7.2)
        ax.set_xlabel("seq_len (log scale)")
        ax.set_ylabel("base used (log scale)")
        style.legend(ax, ncols=2)
        self.title = style.readout_title(fig, self._caption(result))
        fig.tight_layout()
        self.animate(self.curve, self.marker, self.title)

    def redraw(self, result):
        self.curve.set_ydata(np.log10(result["bases"]))
        self.marker.set_data([np.log2(result["seq_len"])], [np.log10(result["new_base"])])
        self.title.set_text(self._caption(result))
