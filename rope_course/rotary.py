"""The rotary-embedding modules of DeepSeek-V3's `modeling_deepseek.py`, reproduced faithfully.

Names and behaviour mirror upstream so a learner can read the two side by side:

* `RotaryEmbedding` (upstream `DeepseekV3RotaryEmbedding`): builds a cache in `__init__` and
  throws it away (`max_seq_len_cached = None`), rebuilds only when `seq_len` is strictly greater
  than the cached length, and then caches exactly `seq_len` rows.
* `DynamicNTKScalingRotaryEmbedding`: overrides only `__init__` and `_set_cos_sin_cache`; past
  L it raises the base and overwrites `inv_freq` for good, so later short calls see the
  adjusted table (history dependence).
* `LinearScalingRotaryEmbedding`: positions divided by s (for comparisons).

Differences from upstream, all on the error path: bad arguments raise a `ValueError` (or
`TypeError`) that names the parameter before any state changes, and `seq_len=None` says what
upstream requires instead of crashing inside `torch.arange` or a `None > int` comparison.
Inside `with rope_course.upstream_errors():` the forward path's checks are off, and a bad call
fails exactly where upstream's code fails. A rebuild computes everything before it changes the
module, so a failure part-way leaves it as it was.
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import (
    check_base,
    check_dim,
    check_max_position_embeddings,
    check_scaling_factor,
    checked_seq_len,
    input_checks_on,
)
from .functional import cos_sin_tables, dynamic_ntk_base, inv_freq_for_base

__all__ = [
    "RotaryEmbedding",
    "DynamicNTKScalingRotaryEmbedding",
    "LinearScalingRotaryEmbedding",
]


def _check_x(x) -> None:
    if not input_checks_on():
        return
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor (only its device and dtype are used), got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise TypeError(f"x must have a floating dtype (cos/sin are cast to it), got {x.dtype}")


class RotaryEmbedding(nn.Module):
    """Upstream `DeepseekV3RotaryEmbedding`."""

    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None):
        dim = check_dim(dim)
        max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
        check_base(base)
        super().__init__()
        self.dim = dim
        self.max_position_embeddings = max_position_embeddings
        self.base = base
        self.register_buffer("inv_freq", inv_freq_for_base(base, dim, device), persistent=False)
        # Upstream builds a full table here "to make torch.jit.trace work" ...
        self._set_cos_sin_cache(
            seq_len=max_position_embeddings,
            device=self.inv_freq.device,
            dtype=torch.get_default_dtype(),
        )
        # ... and then discards it: the None forces a rebuild on the first forward.
        self.max_seq_len_cached = None

    def _commit(self, seq_len, cos, sin, inv_freq=None) -> None:
        """Install a finished rebuild. Everything is computed before this runs, so a rebuild that
        fails part-way (bad input, out of memory) leaves the module exactly as it was. Upstream
        assigns `max_seq_len_cached` first; on success the observable state is the same."""
        if inv_freq is not None:
            self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.register_buffer("cos_cached", cos, persistent=False)
        self.register_buffer("sin_cached", sin, persistent=False)
        self.max_seq_len_cached = seq_len

    def _set_cos_sin_cache(self, seq_len, device, dtype):
        seq_len = checked_seq_len(seq_len)
        cos, sin = cos_sin_tables(self.inv_freq, seq_len, dtype, device)
        self._commit(seq_len, cos, sin)

    def forward(self, x, seq_len=None):
        seq_len = checked_seq_len(seq_len)  # the course's guard (off inside `upstream_errors()`)
        _check_x(x)
        if self.max_seq_len_cached is None or seq_len > self.max_seq_len_cached:
            self._set_cos_sin_cache(seq_len=seq_len, device=x.device, dtype=x.dtype)
        return (
            self.cos_cached[:seq_len].to(dtype=x.dtype),
            self.sin_cached[:seq_len].to(dtype=x.dtype),
        )

    def extra_repr(self) -> str:
        text = f"dim={self.dim}, max_position_embeddings={self.max_position_embeddings}, base={self.base}"
        if hasattr(self, "scaling_factor"):
            text += f", scaling_factor={self.scaling_factor}"
        return text


class LinearScalingRotaryEmbedding(RotaryEmbedding):
    """Upstream `DeepseekV3LinearScalingRotaryEmbedding`: positions t/s, every frequency / s."""

    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0):
        check_scaling_factor(scaling_factor)
        # Must precede super().__init__: the parent's constructor calls our override, which reads it.
        self.scaling_factor = scaling_factor
        super().__init__(dim, max_position_embeddings, base, device)

    def _set_cos_sin_cache(self, seq_len, device, dtype):
        seq_len = checked_seq_len(seq_len)
        cos, sin = cos_sin_tables(self.inv_freq, seq_len, dtype, device, position_scale=self.scaling_factor)
        self._commit(seq_len, cos, sin)


class DynamicNTKScalingRotaryEmbedding(RotaryEmbedding):
    """Upstream `DeepseekV3DynamicNTKScalingRotaryEmbedding` (forward inherited, not overridden)."""

    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0):
        check_dim(dim, minimum=4)
        check_scaling_factor(scaling_factor)
        # Upstream sets this first too; here it is not needed at init (the parent's build uses
        # seq_len == L, which skips the strict `>` branch), but the siblings do need it.
        self.scaling_factor = scaling_factor
        super().__init__(dim, max_position_embeddings, base, device)

    def _set_cos_sin_cache(self, seq_len, device, dtype):
        seq_len = checked_seq_len(seq_len)
        new_inv_freq = None
        if seq_len > self.max_position_embeddings:
            new_base = dynamic_ntk_base(
                self.base, self.dim, seq_len, self.max_position_embeddings, self.scaling_factor
            )
            new_inv_freq = inv_freq_for_base(new_base, self.dim, device)
        tables = cos_sin_tables(self.inv_freq if new_inv_freq is None else new_inv_freq, seq_len, dtype, device)
        # Overwrites the buffer for good: nothing ever restores the original inv_freq.
        self._commit(seq_len, *tables, inv_freq=new_inv_freq)
