"""The rebuild rule of upstream's inherited `forward`, as a pure simulation, plus counting modules.

Upstream's rotary classes rebuild their cos/sin cache when the cache is empty
(`max_seq_len_cached is None`, as `__init__` leaves it) or when the requested `seq_len` is
*strictly* greater than the cached length; a rebuild caches exactly `seq_len` rows. The dynamic
class's builder also recomputes the base when `seq_len > L` and never restores it
(SOURCES.md: `upstream-forward`, `upstream-dynamic-cache`).

* `simulate_calls` replays that rule on a list of lengths, without tensors;
* `RebuildLog` and the `Counting*` classes are the package's real modules with a log of every
  `_set_cos_sin_cache` call, so tests (and lessons) can check the simulation against them.

This module is part of the core: it imports no widget or plotting code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import check_seq_len
from .functional import dynamic_ntk_base
from .rotary import DynamicNTKScalingRotaryEmbedding, RotaryEmbedding

__all__ = [
    "CallRecord",
    "simulate_calls",
    "count_rebuilds",
    "two_conversations",
    "RebuildLog",
    "CountingRotaryEmbedding",
    "CountingDynamicNTK",
    "DEFAULT_DIM",
    "DEFAULT_BASE",
    "DEFAULT_L",
]

DEFAULT_DIM = 64
DEFAULT_BASE = 10000
DEFAULT_L = 4096


@dataclass(frozen=True)
class CallRecord:
    """What one forward call does: requested length, rebuilt?, cached length and base after it."""

    seq_len: int
    rebuilt: bool
    cached_len: int
    base_in_force: float


def simulate_calls(calls, max_position_embeddings=DEFAULT_L, scaling_factor=1.0, base=DEFAULT_BASE,
                   dim=DEFAULT_DIM, dynamic=True) -> list[CallRecord]:
    """Replay upstream's rebuild rule on a fresh module for a sequence of `seq_len` values.

    `dynamic=False` models the standard class (the base never changes).
    """
    cached = None  # what __init__ leaves behind
    base_in_force = float(base)
    records = []
    for seq_len in calls:
        seq_len = check_seq_len(seq_len)
        rebuilt = cached is None or seq_len > cached
        if rebuilt:
            cached = seq_len
            if dynamic and seq_len > max_position_embeddings:
                base_in_force = dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
        records.append(CallRecord(seq_len, rebuilt, cached, base_in_force))
    return records


def count_rebuilds(calls, **kwargs) -> int:
    """How many of `calls` rebuild the cache on a fresh module."""
    return sum(r.rebuilt for r in simulate_calls(calls, **kwargs))


def two_conversations(seq_len: int, decode_steps: int = 8, second_prompt: int = 6000) -> list[int]:
    """A prefill of `seq_len` and `decode_steps` one-token steps, then a second conversation on
    the same module: a prefill of `second_prompt` and as many steps. (Each call passes
    kv_seq_len = past + new, as DeepseekV3Attention does.)"""
    first = [seq_len + k for k in range(decode_steps + 1)]
    second = [second_prompt + k for k in range(decode_steps + 1)]
    return first + second


class RebuildLog:
    """Mixin that records every `_set_cos_sin_cache` call: `init_builds` (during `__init__`)
    and `rebuilds` (afterwards, i.e. triggered by forward). Put it first in the bases."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_builds = self.__dict__.pop("_log", [])
        self.rebuilds = []

    def _set_cos_sin_cache(self, seq_len, device, dtype):
        log = self.__dict__.get("rebuilds")
        if log is None:  # still inside __init__
            log = self.__dict__.setdefault("_log", [])
        log.append(seq_len)
        return super()._set_cos_sin_cache(seq_len, device, dtype)


class CountingRotaryEmbedding(RebuildLog, RotaryEmbedding):
    """`RotaryEmbedding` that logs its rebuilds."""


class CountingDynamicNTK(RebuildLog, DynamicNTKScalingRotaryEmbedding):
    """`DynamicNTKScalingRotaryEmbedding` that logs its rebuilds."""
