"""Lesson 03's explorer: when does the cache rebuild, and which base is in force after each call?

The rule being simulated is the inherited forward of upstream's rotary classes (facts §1.3):
rebuild if the cache is empty (`max_seq_len_cached is None`, as after `__init__`) or if the
requested `seq_len` is *strictly* greater than the cached length; a rebuild caches exactly
`seq_len` rows. The dynamic class's builder also recomputes the base when `seq_len > L`
(facts §2.2) and never restores it. The simulation itself lives in the core module `rope_course.calls`.
"""

from __future__ import annotations

from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..functional import dynamic_ntk_base
from ..calls import DEFAULT_BASE, DEFAULT_DIM, DEFAULT_L, simulate_calls, two_conversations
from .base import Explorer, scaling_factor_slider, seq_len_slider

__all__ = [
    "TimelineExplorer",
    "plain_log_ticks",
]

TIMELINE_DIM = DEFAULT_DIM
TIMELINE_BASE = DEFAULT_BASE
TIMELINE_L = DEFAULT_L
DECODE_STEPS = 8
SECOND_PROMPT = 6000


def plain_log_ticks(axis, ticks, fmt="{:g}") -> None:
    """Fixed ticks with plain-text labels on a log axis and no minor ticks.

    Matplotlib's default log labels are mathtext ($10^{4}$), and parsing them dominates a
    redraw (about 10x the rest); fixed plain labels keep an update within the time budget."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.format(v)))
    axis.set_minor_locator(NullLocator())


class TimelineExplorer(Explorer):
    """Two conversations on one module (L = 4096, D = 64): rebuilds and the base in force."""

    name = "timeline"
    figsize = (7.5, 2.8)

    def make_controls(self):
        return {
            "seq_len": seq_len_slider(5000, lo=256, extra=(TIMELINE_L, TIMELINE_L + 1, SECOND_PROMPT)),
            "scaling_factor": scaling_factor_slider(1.0),
        }

    @staticmethod
    def compute(seq_len, scaling_factor):
        calls = two_conversations(seq_len)
        records = simulate_calls(calls, scaling_factor=scaling_factor)
        # the base a fresh module would use for each call (what the caller probably expects)
        fresh = [dynamic_ntk_base(TIMELINE_BASE, TIMELINE_DIM, l, TIMELINE_L, scaling_factor) for l in calls]
        return {
            "seq_len": seq_len,
            "scaling_factor": scaling_factor,
            "calls": calls,
            "rebuilt": [r.rebuilt for r in records],
            "cached": [r.cached_len for r in records],
            "base": [r.base_in_force for r in records],
            "fresh_base": fresh,
            "rebuilds": sum(r.rebuilt for r in records),
            "final_cached": records[-1].cached_len,
            "final_base": records[-1].base_in_force,
            "fresh_final_base": fresh[-1],
        }

    @staticmethod
    def readout_values(result):
        return {
            "rebuilds": result["rebuilds"],
            "cached length": result["final_cached"],
            "base in force (last call)": result["final_base"],
            "fresh module's base": result["fresh_final_base"],
        }

    @staticmethod
    def _rebuild_points(result, key):
        xs = [i for i, r in enumerate(result["rebuilt"]) if r]
        return xs, [result[key][i] for i in xs]

    def draw(self, fig, result):
        n = len(result["calls"])
        x = list(range(n))
        ax1, ax2 = fig.subplots(1, 2)
        (self.req,) = ax1.plot(x, result["calls"], "o", ms=4, color="tab:gray", label="requested seq_len")
        (self.cache,) = ax1.step(x, result["cached"], where="post", color="tab:blue", label="cached length")
        (self.marks,) = ax1.plot(*self._rebuild_points(result, "cached"), "v", color="tab:red", ms=7, label="rebuild")
        ax1.axhline(TIMELINE_L, color="gray", ls="--", lw=1)
        ax1.axvline(DECODE_STEPS + 0.5, color="k", lw=0.6)
        ax1.set_yscale("log", base=2)
        ax1.set_ylim(2**3, 2**19)
        plain_log_ticks(ax1.yaxis, [16, 256, 4096, 65536])
        ax1.set_xticks([0, DECODE_STEPS, 2 * DECODE_STEPS + 1])
        ax1.set_xlabel("call (gray asked, blue cached, red rebuild)", fontsize=8)
        ax1.set_ylabel("length")
        self.text = ax1.text(0.98, 0.04, "", transform=ax1.transAxes, ha="right", fontsize=8)
        (self.base_line,) = ax2.step(x, result["base"], where="post", color="tab:red", label="base in force")
        (self.fresh_line,) = ax2.plot(x, result["fresh_base"], ".", color="tab:green", label="fresh module")
        ax2.axvline(DECODE_STEPS + 0.5, color="k", lw=0.6)
        ax2.set_yscale("log")
        ax2.set_ylim(5e3, 1e8)
        plain_log_ticks(ax2.yaxis, [1e4, 1e6, 1e8], "{:.0e}")
        ax2.set_xticks([0, DECODE_STEPS, 2 * DECODE_STEPS + 1])
        ax2.set_xlabel("call (red: base in force, green: fresh module)", fontsize=8)
        ax2.set_ylabel("base")
        self._set_text(result)
        fig.tight_layout()
        self.animate(self.req, self.cache, self.marks, self.base_line, self.fresh_line, self.text)

    def _set_text(self, result):
        self.text.set_text(
            f"seq_len={result['seq_len']}  s={result['scaling_factor']:.2f}  rebuilds={result['rebuilds']}"
        )

    def redraw(self, result):
        self.req.set_ydata(result["calls"])
        self.cache.set_ydata(result["cached"])
        self.marks.set_data(*self._rebuild_points(result, "cached"))
        self.base_line.set_ydata(result["base"])
        self.fresh_line.set_ydata(result["fresh_base"])
        self._set_text(result)
