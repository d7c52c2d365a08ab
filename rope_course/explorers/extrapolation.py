"""Lesson 10's explorer: the toy model's recall accuracy past its training context under
dynamic NTK, as the class's `scaling_factor` moves.

Evaluating the model on every slider move takes too long on a shared 2-core CPU, so the
training script evaluates the whole slider grid once (scaling_factor 1, 1.25, ..., 16 on a small
fixed evaluation set, `rope_course.toy.eval.explorer_grid`) and stores it in
`rope_course/toy/eval_results.json`; the lesson re-evaluates grid points live and asserts they
match. `compute` only looks the grid up and computes the base, so it is exact and fast.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..functional import dynamic_ntk_base
from .base import Explorer, scaling_factor_slider, seq_len_slider

__all__ = ["ExtrapolationExplorer", "stored_grid", "grid_index"]


@functools.lru_cache(maxsize=1)
def _stored():
    from ..toy.eval import load_results
    from ..toy.train import PACKAGE_DIR, CONFIG_NAME
    import json

    results = load_results()
    info = json.loads((PACKAGE_DIR / CONFIG_NAME).read_text())
    return results, info["model_config"]


def stored_grid() -> dict:
    """The precomputed grid: lengths, factors, acc[i_factor][i_length], loss[...], none_acc, ..."""
    return _stored()[0]["explorer_grid"]


def grid_index(scaling_factor: float, factors) -> int:
    """Index of the grid factor nearest to `scaling_factor` (the slider steps by 0.25, on the grid)."""
    return int(np.argmin([abs(f - scaling_factor) for f in factors]))


class ExtrapolationExplorer(Explorer):
    name = "extrapolation"
    figsize = (8.0, 3.2)

    def make_controls(self):
        lengths = stored_grid()["lengths"]
        return {
            "seq_len": seq_len_slider(512, options=lengths),
            "scaling_factor": scaling_factor_slider(1.0, lo=1.0, hi=16.0, step=0.25),
        }

    @staticmethod
    def compute(seq_len, scaling_factor):
        grid = stored_grid()
        config = _stored()[1]
        lengths = grid["lengths"]
        if seq_len not in lengths:
            raise ValueError(f"seq_len must be one of the evaluated lengths {lengths}, got {seq_len}")
        i = grid_index(scaling_factor, grid["factors"])
        j = lengths.index(seq_len)
        L = config["max_position_embeddings"]
        head_dim = config["d_model"] // config["n_heads"]
        factor = grid["factors"][i]
        return {
            "lengths": np.asarray(lengths),
            "acc": np.asarray(grid["acc"][i]),
            "none_acc": np.asarray(grid["none_acc"]),
            "seq_len": int(seq_len),
            "scaling_factor": float(factor),
            "L": L,
            "base": dynamic_ntk_base(config["rope_base"], head_dim, int(seq_len), L, float(factor)),
            "acc_at": float(grid["acc"][i][j]),
            "loss_at": float(grid["loss"][i][j]),
            "none_acc_at": float(grid["none_acc"][j]),
        }

    @staticmethod
    def readout_values(result):
        return {
            "seq_len": result["seq_len"],
            "scaling_factor": result["scaling_factor"],
            "base at seq_len": result["base"],
            "dynamic NTK accuracy": result["acc_at"],
            "dynamic NTK loss": result["loss_at"],
            "no-scaling accuracy": result["none_acc_at"],
        }

    def draw(self, fig, result):
        ax = fig.add_subplot()
        x = result["lengths"]
        ax.plot(x, result["none_acc"], "o-", color="0.6", label="no scaling")
        (self.curve,) = ax.plot(x, result["acc"], "o-", color="tab:blue", label="dynamic NTK (slider s)")
        (self.marker,) = ax.plot([result["seq_len"]], [result["acc_at"]], "o", ms=11, mfc="none",
                                 mec="tab:red", mew=2)
        self.vline = ax.axvline(result["seq_len"], color="tab:red", lw=1, alpha=0.5)
        ax.axvline(result["L"], color="gray", ls="--", lw=1)
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(x))
        ax.set_xticklabels([str(v) for v in x])
        ax.set_ylim(-0.02, 1.05)
        ax.set_xlabel(f"evaluation length (dashed: trained context L = {result['L']})")
        ax.set_ylabel("recall accuracy")
        ax.legend(loc="lower left", fontsize=8)
        self.text = ax.text(0.99, 0.97, self._label(result), transform=ax.transAxes, ha="right", va="top",
                            fontsize=9, family="monospace")
        fig.tight_layout()
        self.animate(self.curve, self.marker, self.vline, self.text)

    @staticmethod
    def _label(result):
        return (f"s = {result['scaling_factor']:.2f}   seq_len = {result['seq_len']}\n"
                f"base = {result['base']:.1f}   acc = {result['acc_at']:.3f}")

    def redraw(self, result):
        self.curve.set_ydata(result["acc"])
        self.marker.set_data([result["seq_len"]], [result["acc_at"]])
        self.vline.set_xdata([result["seq_len"], result["seq_len"]])
        self.text.set_text(self._label(result))
