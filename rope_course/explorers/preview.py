"""Lesson 00's first slider: a preview of the dynamic base as the requested length grows."""

from __future__ import annotations

import numpy as np

from ..functional import dynamic_ntk_base
from .base import Explorer, scaling_factor_slider, seq_len_slider

PREVIEW_DIM = 64
PREVIEW_L = 4096


def base_curve(scaling_factor: float, dim: int = PREVIEW_DIM, max_position_embeddings: int = PREVIEW_L,
               lengths=None) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, dynamic base at each length) for the curve of the preview plot."""
    if lengths is None:
        lengths = np.unique(np.geomspace(1, 131072, 256).astype(int))
    bases = np.array([dynamic_ntk_base(10000, dim, int(l), max_position_embeddings, scaling_factor) for l in lengths])
    return np.asarray(lengths), bases


class DynamicBasePreview(Explorer):
    name = "preview"
    figsize = (7.0, 2.8)

    def make_controls(self):
        return {"seq_len": seq_len_slider(8192, extra=(PREVIEW_L, PREVIEW_L + 1)), "scaling_factor": scaling_factor_slider(1.0)}

    @staticmethod
    def compute(seq_len, scaling_factor):
        lengths, bases = base_curve(scaling_factor)
        new_base = dynamic_ntk_base(10000, PREVIEW_DIM, seq_len, PREVIEW_L, scaling_factor)
        return {"lengths": lengths, "bases": bases, "seq_len": seq_len, "new_base": new_base}

    @staticmethod
    def readout_values(result):
        return {"seq_len": result["seq_len"], "new base": result["new_base"]}

    def draw(self, fig, result):
        ax = fig.add_subplot()
        (self.curve,) = ax.plot(result["lengths"], result["bases"], color="tab:blue")
        (self.marker,) = ax.plot([result["seq_len"]], [result["new_base"]], "o", color="tab:red")
        ax.axvline(PREVIEW_L, color="gray", ls="--", lw=1)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_ylim(5e3, 1e9)
        ax.set_xlabel("seq_len (log scale); dashed: max_position_embeddings = 4096")
        ax.set_ylabel("base used")
        fig.tight_layout()

    def redraw(self, result):
        self.curve.set_ydata(result["bases"])
        self.marker.set_data([result["seq_len"]], [result["new_base"]])
