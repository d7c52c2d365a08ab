"""Lesson 03's explorer: when does the cache rebuild, and which base is in force after each call?

The rule being simulated is the inherited forward of upstream's rotary classes
(SOURCES.md#upstream-forward):
rebuild if the cache is empty (`max_seq_len_cached is None`, as after `__init__`) or if the
requested `seq_len` is *strictly* greater than the cached length; a rebuild caches exactly
`seq_len` rows. The dynamic class's builder also recomputes the base when `seq_len > L`
(SOURCES.md#upstream-dynamic-cache) and never restores it. The simulation itself lives in the core
module `rope_course.calls`.

Both panels use linear axes from 0 whose tops follow the data (`style.LiveTicks`): the point
is the difference between two lengths (6008 against 8200) and two bases (14850 against
20473 at the default seq_len 8192), which a log axis flattens.
"""

from __future__ import annotations

from ..calls import DEFAULT_BASE, DEFAULT_DIM, DEFAULT_L, simulate_calls, two_conversations
from ..functional import dynamic_ntk_base
from . import style
from .base import Explorer, scaling_factor_slider, seq_len_slider

__all__ = ["TimelineExplorer"]

TIMELINE_DIM = DEFAULT_DIM
TIMELINE_BASE = DEFAULT_BASE
TIMELINE_L = DEFAULT_L
DECODE_STEPS = 8
SECOND_PROMPT = 6000


class TimelineExplorer(Explorer):
    """Two conversations on one module (L = 4096, D = 64): rebuilds and the base in force."""

    name = "timeline"
    figsize = style.figsize(3.9)

    def make_controls(self):
        return {
            # 5996: the first conversation ends at 6004, inside the second one's range, so only
            # the second conversation's later calls rebuild (the in-between case lesson 03 names)
            "seq_len": seq_len_slider(
                8192, lo=256, extra=(TIMELINE_L, TIMELINE_L + 1, SECOND_PROMPT - DECODE_STEPS // 2, SECOND_PROMPT)
            ),
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

    @staticmethod
    def _title(result):
        return f"seq_len = {result['seq_len']}, scaling_factor = {result['scaling_factor']:.2f}"

    def draw(self, fig, result):
        x = list(range(len(result["calls"])))
        ax1, ax2 = fig.subplots(1, 2)
        self.length_ticks = style.LiveTicks(ax1, "length (tokens)", label_chars=4)
        (self.req,) = ax1.plot(x, result["calls"], "o", ms=6, color=style.REFERENCE, label="requested seq_len")
        (self.cache,) = ax1.step(x, result["cached"], where="post", color=style.BLUE, label="cached length")
        (self.marks,) = ax1.plot(*self._rebuild_points(result, "cached"), "v", color=style.BEYOND, ms=8,
                                 label="rebuild")
        self.l_line = ax1.axhline(TIMELINE_L, color=style.REFERENCE, ls="--", lw=1.2, label=f"L = {TIMELINE_L}")
        self.base_ticks = style.LiveTicks(ax2, "base", label_chars=4)
        (self.base_line,) = ax2.step(x, result["base"], where="post", color=style.BEYOND, label="base in force")
        (self.fresh_line,) = ax2.plot(x, result["fresh_base"], "o", ms=6, color=style.GREEN,
                                      label="a fresh module's base")
        for ax in (ax1, ax2):
            ax.axvline(DECODE_STEPS + 0.5, color=style.BLACK, lw=0.8, gid=style.DECORATION)
            ax.set_xlim(-0.6, len(x) - 0.4)
            style.plain_ticks(ax.xaxis, [0, DECODE_STEPS, DECODE_STEPS + 1, 2 * DECODE_STEPS + 1])
            ax.set_xlabel(f"call: seq_len + {DECODE_STEPS} steps | {SECOND_PROMPT} + {DECODE_STEPS} steps")
            style.legend(ax, ncols=2)
        self._set_tops(result)
        self.title = style.readout_title(fig, self._title(result))
        fig.tight_layout()
        self.animate(self.req, self.cache, self.marks, self.base_line, self.fresh_line, self.title,
                     rarely=[self.l_line, *self.length_ticks.artists, *self.base_ticks.artists])

    def _set_tops(self, result):
        self.length_ticks.set_top(max(max(result["calls"]), max(result["cached"]), TIMELINE_L))
        self.base_ticks.set_top(max(max(result["base"]), max(result["fresh_base"])))

    def redraw(self, result):
        self.req.set_ydata(result["calls"])
        self.cache.set_ydata(result["cached"])
        self.marks.set_data(*self._rebuild_points(result, "cached"))
        self.base_line.set_ydata(result["base"])
        self.fresh_line.set_ydata(result["fresh_base"])
        self._set_tops(result)
        self.title.set_text(self._title(result))
