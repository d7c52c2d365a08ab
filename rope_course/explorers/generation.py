"""Lesson 07's generation inspector: a KV cache, key by key, at every decode step.

The setting is lesson 07's tiny attention: D = 64, b = 10^4, L = 16, keys cached after RoPE
(upstream, SOURCES.md#upstream-attention). A fresh dynamic module serves a prefill of 12 tokens,
then one token per step; the `step` slider picks how many steps have run (kv_seq_len = 12 +
step). For every cached key the picture shows

* top: the base the key was rotated with when it was cached (its height and its colour: black
  for the original base b, vermillion for an older dynamic base, blue for the base now in
  force) against the base now in force (the dashed line), which is the base a fresh prefill of
  the same tokens would use for every key;
* bottom: the key's angle error against that fresh prefill, the largest over its 32 pairs of
  the rotation between the cached key and the consistent one (radians, wrapped into [0, pi]).

The math is `rope_course.attention.post_rope_key_bases` and `stale_angle_errors` (pure, float64);
tests/explorers/test_generation.py checks it against the keys a real `TinyCausalAttention`
cache holds.
"""

from __future__ import annotations

import numpy as np

from ..attention import post_rope_key_bases, stale_angle_errors
from ..functional import dynamic_ntk_base
from . import style
from .base import Explorer, int_choice_slider, scaling_factor_slider

__all__ = ["GENERATION_SETTING", "generation_state", "GenerationInspector"]

GENERATION_SETTING = {"dim": 64, "base": 10000.0, "max_position_embeddings": 16, "prefill_len": 12,
                      "max_steps": 36}
# Legend labels, one per kind of cached key (the same labels in both panels).
KINDS = ("key rotated with the original base b", "key rotated with an older dynamic base",
         "key rotated with the base now in force")
KIND_STYLE = dict(zip(KINDS, (dict(color=style.PLAIN, marker="s"), dict(color=style.BEYOND, marker="o"),
                              dict(color=style.DYNAMIC, marker="D"))))


def generation_state(step: int, scaling_factor: float, dim: int = 64, base: float = 10000.0,
                     max_position_embeddings: int = 16, prefill_len: int = 12) -> dict:
    """The cache after `step` one-token decode steps that follow a prefill of `prefill_len`.

    Returns per key (positions 0 .. kv_seq_len-1): the base it was rotated with, its kind (an
    index into KINDS), its largest angle error over the pairs and the pair where it occurs;
    and the base now in force, the number of distinct bases in the cache and of keys whose base
    is not the one in force."""
    seq_len = prefill_len + int(step)
    bases = post_rope_key_bases(seq_len, prefill_len, dim, base, max_position_embeddings, scaling_factor)
    now = dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
    errors = stale_angle_errors(seq_len, prefill_len, dim, base, max_position_embeddings, scaling_factor)
    kinds = np.where(bases == now, 2, np.where(bases == base, 0, 1))
    worst = errors.max(axis=1)
    return {
        "step": int(step),
        "scaling_factor": float(scaling_factor),
        "kv_seq_len": seq_len,
        "positions": np.arange(seq_len),
        "bases": bases,
        "kinds": kinds,
        "base_now": now,
        "errors": worst,
        "worst_pair": errors.argmax(axis=1),
        "distinct_bases": int(np.unique(bases).size),
        "stale_keys": int((bases != now).sum()),
        "max_error": float(worst.max()),
        "max_error_key": int(worst.argmax()),
    }


class GenerationInspector(Explorer):
    name = "generation"
    figsize = style.figsize(5.2)

    def make_controls(self):
        s = GENERATION_SETTING
        return {
            "step": int_choice_slider("step", 8, range(0, s["max_steps"] + 1)),
            "scaling_factor": scaling_factor_slider(2.0),
        }

    @staticmethod
    def compute(step, scaling_factor):
        s = GENERATION_SETTING
        return generation_state(step, scaling_factor, s["dim"], s["base"], s["max_position_embeddings"],
                                s["prefill_len"])

    @staticmethod
    def readout_values(result):
        return {
            "kv_seq_len": result["kv_seq_len"],
            "base now in force": result["base_now"],
            "distinct bases in the cache": result["distinct_bases"],
            "keys with an older base": result["stale_keys"],
            "largest angle error (rad)": result["max_error"],
            "at key": result["max_error_key"],
        }

    @staticmethod
    def _title(result):
        return (f"step = {result['step']} (kv_seq_len = {result['kv_seq_len']}), "
                f"scaling_factor = {result['scaling_factor']:.2f}")

    def draw(self, fig, result):
        s = GENERATION_SETTING
        last = s["prefill_len"] + s["max_steps"] - 1
        ax_base, ax_err = fig.subplots(2, 1, sharex=True)
        self.base_ticks = style.LiveTicks(ax_base, "base the key\nwas rotated with", label_chars=4)
        self.error_ticks = style.LiveTicks(ax_err, "angle error\n(rad)", label_chars=4)
        self.base_points, self.error_points = {}, {}
        for kind in KINDS:
            props = dict(ls="none", ms=6, **KIND_STYLE[kind])
            (self.base_points[kind],) = ax_base.plot([], [], label=kind, **props)
            (self.error_points[kind],) = ax_err.plot([], [], label=kind, **props)
        (self.now_line,) = ax_base.plot([-0.7, last + 0.7], [0, 0], color=style.DYNAMIC, ls="--", lw=1.5,
                                        label="base now in force (a fresh prefill's for every key)")
        for ax in (ax_base, ax_err):
            ax.axvline(s["max_position_embeddings"] - 0.5, color=style.REFERENCE, ls=":", lw=1.5,
                       label=f"L = {s['max_position_embeddings']}")
            ax.set_xlim(-0.7, last + 0.7)
        style.plain_ticks(ax_err.xaxis, [0, s["prefill_len"], s["max_position_embeddings"], 24, 32, 40, last])
        ax_err.set_xlabel(f"cached key position (prefill of {s['prefill_len']} keys, then one key per step)")
        style.legend(ax_base, ncols=2)
        self.title = style.readout_title(fig, self._title(result))
        self._update(result)
        fig.tight_layout()
        self.animate(*self.base_points.values(), *self.error_points.values(), self.now_line, self.title,
                     rarely=[*self.base_ticks.artists, *self.error_ticks.artists])

    def _update(self, result):
        positions, kinds = result["positions"], result["kinds"]
        for k, kind in enumerate(KINDS):
            chosen = kinds == k
            self.base_points[kind].set_data(positions[chosen], result["bases"][chosen])
            self.error_points[kind].set_data(positions[chosen], result["errors"][chosen])
        self.base_ticks.set_top(max(result["bases"].max(), result["base_now"]))
        self.now_line.set_ydata([result["base_now"], result["base_now"]])
        self.error_ticks.set_top(result["max_error"], minimum=0.05)

    def redraw(self, result):
        self._update(result)
        self.title.set_text(self._title(result))
