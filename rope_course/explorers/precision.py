"""Lesson 08's explorer: angle errors per pair up to `seq_len`, float32 against a bf16-cast module.

For positions up to `seq_len` (at most 512 of them, evenly spaced, always including the last),
the angle p * inv_freq[i] is computed as the cache builder computes it, in float32 (positions and
inv_freq float32) and in a module cast to bf16 (positions from `arange(seq_len, dtype=bf16)`,
inv_freq rounded to bf16, product in bf16), and compared with p * b^(-2i/D) in float64.
Picture (log scale, per pair: the errors span eleven decades): blue solid float32, orange
dashed bf16, gray dotted the float32 bound (seq_len - 1) * inv_freq[i] * 2^-22, and a sky-blue
dash-dot line at 2^-9, the largest rounding a bf16 model applies to every cos/sin value anyway
(lesson 08 finds the position, about 43700 here, past which the float32 error exceeds it).
"""

from __future__ import annotations

import numpy as np
import torch

from ..cost import float32_angle_error
from ..functional import inv_freq_for_base
from . import style
from .base import Explorer, seq_len_slider

DIM = 64
BASE = 10000
MAX_SAMPLES = 512
FLOOR = 1e-9  # an error of exactly 0 is drawn here (log scale)
BF16_ROUNDING = 2.0**-9  # half of bf16's spacing in [0.5, 1): the most a cast moves a cos/sin value


def sample_positions(seq_len: int, max_samples: int = MAX_SAMPLES) -> torch.Tensor:
    """Up to `max_samples` distinct positions in [0, seq_len - 1], evenly spaced, ends included."""
    return torch.unique(torch.linspace(0, seq_len - 1, min(seq_len, max_samples), dtype=torch.float64).round().long())


def bf16_angle_error(base: float, dim: int, seq_len: int, positions: torch.Tensor) -> torch.Tensor:
    """Per pair: max |angle - exact| for a module cast to bf16 (upstream's t follows inv_freq)."""
    inv_bf16 = inv_freq_for_base(base, dim).to(torch.bfloat16)
    t_bf16 = torch.arange(seq_len, dtype=torch.bfloat16)[positions]
    angle = torch.outer(t_bf16, inv_bf16)
    i = torch.arange(dim // 2, dtype=torch.float64)
    exact = torch.outer(positions.to(torch.float64), base ** (-2.0 * i / dim))
    return (angle.double() - exact).abs().amax(dim=0)


class PrecisionExplorer(Explorer):
    name = "precision"
    figsize = style.figsize(3.6)

    def make_controls(self):
        return {"seq_len": seq_len_slider(2048, extra=(257, 258))}

    @staticmethod
    def compute(seq_len, dim=DIM, base=BASE):
        positions = sample_positions(int(seq_len))
        f32 = float32_angle_error(base, dim, positions)["angle"]
        b16 = bf16_angle_error(base, dim, int(seq_len), positions)
        return {
            "seq_len": int(seq_len),
            "pairs": np.arange(dim // 2),
            "float32": f32.numpy(),
            "bf16": b16.numpy(),
            # arange is non-decreasing, so unique_consecutive counts the distinct values (and is
            # ~30x cheaper than unique, which sorts)
            "bound": (int(seq_len) - 1) * base ** (-2.0 * np.arange(dim // 2) / dim) * 2.0**-22,
            "distinct_bf16": int(torch.unique_consecutive(torch.arange(int(seq_len), dtype=torch.bfloat16)).numel()),
        }

    @staticmethod
    def readout_values(result):
        return {
            "seq_len": result["seq_len"],
            "float32 max angle error": float(result["float32"].max()),
            "bf16 max angle error": float(result["bf16"].max()),
            "float32 error / bf16 rounding": float(result["float32"].max()) / BF16_ROUNDING,
            "distinct bf16 positions": result["distinct_bf16"],
        }

    def draw(self, fig, result):
        ax = fig.add_subplot()
        (self.f32_line,) = ax.plot(result["pairs"], np.maximum(result["float32"], FLOOR), "-",
                                   color=style.BLUE, label="float32 module")
        (self.b16_line,) = ax.plot(result["pairs"], np.maximum(result["bf16"], FLOOR), "--",
                                   color=style.ORANGE, label="module cast to bf16")
        # The float32 bound (seq_len - 1) * inv_freq[i] * 2^-22 (lesson 08): grows with every
        # seq_len step, so each slider move changes the picture.
        (self.bound_line,) = ax.plot(result["pairs"], np.maximum(result["bound"], FLOOR), ":", color=style.REFERENCE,
                                     lw=2, label="float32 bound")
        ax.axhline(BF16_ROUNDING, color=style.SKY_BLUE, ls="-.", lw=1.5, label="bf16 rounding of cos/sin (2⁻⁹)")
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 2, 3e3)
        style.plain_ticks(ax.yaxis, [1e-8, 1e-6, 1e-4, 1e-2, 1, 1e2], ["1e-8", "1e-6", "1e-4", "0.01", "1", "100"])
        style.plain_ticks(ax.xaxis, [0, 8, 16, 24, 31])
        ax.set_xlabel("pair i (0 = highest frequency); an error of exactly 0 is drawn at 1e-9")
        ax.set_ylabel("angle error (rad, log)")
        style.legend(ax)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(self.f32_line, self.b16_line, self.bound_line, self.title)

    @staticmethod
    def _title(result):
        return f"seq_len = {result['seq_len']}"

    def redraw(self, result):
        self.f32_line.set_ydata(np.maximum(result["float32"], FLOOR))
        self.b16_line.set_ydata(np.maximum(result["bf16"], FLOOR))
        self.bound_line.set_ydata(np.maximum(result["bound"], FLOOR))
        self.title.set_text(self._title(result))
