"""YaRN as DeepSeek-V3's `modeling_deepseek.py` does it (`DeepseekV3YarnRotaryEmbedding`).

This is the class the released DeepSeek-V3 and Kimi-K2 configs actually select
(`rope_scaling.type == "yarn"`); the dynamic NTK class is never built for them.

What the upstream cache builder does, in formulas (D = dim, b = base, s = scaling_factor,
L0 = original_max_position_embeddings):

* correction dimension for r full rotations over L0 tokens: D ln(L0 / (2 pi r)) / (2 ln b);
* correction range: (floor of it at r = beta_fast, ceil of it at r = beta_slow), clamped to
  [0, D - 1];
* a linear ramp over the D/2 pair indices, 0 at `low` and 1 at `high` (0.001 added to `high`
  when the two coincide, to avoid dividing by zero);
* inv_freq = freq_inter * ramp + freq_extra * (1 - ramp), with freq_extra = b^(-2i/D) (the
  original frequencies) and freq_inter = 1 / (s * b^(2i/D)) (linear interpolation). Upstream
  writes the weights as (1 - mask, mask) with mask = 1 - ramp;
* positions t are float32 (always, unlike the other classes), and cos/sin are multiplied by
  mscale(s, mscale) / mscale(s, mscale_all_dim) before the cast.

The result depends only on the configuration, never on the requested length: no history
dependence, but the inherited forward still rebuilds at every new length.
"""

from __future__ import annotations

import math

import torch

from ._validate import (
    check_base,
    check_dim,
    check_max_position_embeddings,
    check_positive_int,
    check_real,
    check_scaling_factor,
    checked_seq_len,
)
from .functional import cos_sin_tables
from .rotary import RotaryEmbedding

__all__ = [
    "yarn_find_correction_dim",
    "yarn_find_correction_range",
    "yarn_linear_ramp_mask",
    "yarn_get_mscale",
    "yarn_inv_freq",
    "yarn_cos_sin_tables",
    "YarnRotaryEmbedding",
]


def _check_betas(beta_fast, beta_slow) -> tuple[float, float]:
    fast = check_real("beta_fast", beta_fast, minimum=0.0, strict=True)
    slow = check_real("beta_slow", beta_slow, minimum=0.0, strict=True)
    if fast < slow:
        raise ValueError(
            f"beta_fast must be >= beta_slow (beta_fast counts the rotations of the fast pairs, which "
            f"are kept; beta_slow those of the slow pairs, which are interpolated), got {beta_fast!r} < {beta_slow!r}"
        )
    return fast, slow


def yarn_find_correction_dim(num_rotations, dim, base=10000, max_position_embeddings=2048) -> float:
    """The (fractional) pair index whose wavelength fits `num_rotations` times into the context.

    A pair i turns 2*pi*L0 / wavelength_i = L0 * b^(-2i/D) radians over L0 tokens; setting that to
    2*pi*r and solving for i gives D * ln(L0 / (2*pi*r)) / (2 * ln b).
    """
    r = check_real("num_rotations", num_rotations, minimum=0.0, strict=True)
    dim = check_dim(dim)
    base = check_base(base)
    length = check_max_position_embeddings(max_position_embeddings)
    return (dim * math.log(length / (r * 2 * math.pi))) / (2 * math.log(base))


def yarn_find_correction_range(low_rot, high_rot, dim, base=10000, max_position_embeddings=2048) -> tuple[int, int]:
    """(low, high): floor of the correction dim at `low_rot` (beta_fast), ceil at `high_rot`
    (beta_slow), clamped to [0, dim - 1] as upstream does (note: dim - 1, not dim/2 - 1)."""
    dim = check_dim(dim)
    low = math.floor(yarn_find_correction_dim(low_rot, dim, base, max_position_embeddings))
    high = math.ceil(yarn_find_correction_dim(high_rot, dim, base, max_position_embeddings))
    return max(low, 0), min(high, dim - 1)


def yarn_linear_ramp_mask(low, high, n) -> torch.Tensor:
    """float32 ramp over indices 0..n-1: clamp((i - low) / (high - low), 0, 1).

    0 at and below `low`, 1 at and above `high`; when low == high, 0.001 is added to high
    (upstream's guard against dividing by zero), which makes it a hard switch.
    """
    low = check_real("low", low)
    high = check_real("high", high)
    n = check_positive_int("n", n)
    if high < low:
        raise ValueError(f"the ramp needs low <= high, got low={low!r}, high={high!r}")
    if low == high:
        high += 0.001
    linear = (torch.arange(n, dtype=torch.float32) - low) / (high - low)
    return torch.clamp(linear, 0, 1)


def yarn_get_mscale(scale=1, mscale=1) -> float:
    """YaRN's attention temperature factor: 1 if scale <= 1, else 0.1 * mscale * ln(scale) + 1."""
    scale = check_real("scale", scale, minimum=0.0, strict=True)
    mscale = check_real("mscale", mscale)
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def yarn_inv_freq(dim, base=10000, scaling_factor=1.0, original_max_position_embeddings=4096,
                  beta_fast=32, beta_slow=1, device=None) -> torch.Tensor:
    """The float32 inv_freq DeepSeek's YaRN class registers (same op order, bit for bit)."""
    dim = check_dim(dim)
    base = check_base(base)
    scaling_factor = check_scaling_factor(scaling_factor)
    original = check_positive_int("original_max_position_embeddings", original_max_position_embeddings)
    beta_fast, beta_slow = _check_betas(beta_fast, beta_slow)
    exponents = torch.arange(0, dim, 2, dtype=torch.float32, device=device) / dim
    freq_extra = 1.0 / (base**exponents)
    freq_inter = 1.0 / (scaling_factor * base**exponents)
    low, high = yarn_find_correction_range(beta_fast, beta_slow, dim, base, original)
    inv_freq_mask = 1.0 - yarn_linear_ramp_mask(low, high, dim // 2).to(device=device, dtype=torch.float32)
    return freq_inter * (1 - inv_freq_mask) + freq_extra * inv_freq_mask


def yarn_cos_sin_tables(inv_freq: torch.Tensor, seq_len, dtype, device=None, mscale_factor: float = 1.0):
    """cos/sin tables (seq_len, D) as YaRN's class builds them: float32 positions (always, unlike
    the other classes), cos/sin times `mscale_factor`, then the cast. The one table builder
    (`functional.cos_sin_tables`) with those two settings."""
    mscale_factor = check_real("mscale_factor", mscale_factor)
    return cos_sin_tables(inv_freq, seq_len, dtype, device, positions_dtype=torch.float32, amplitude=mscale_factor)


class YarnRotaryEmbedding(RotaryEmbedding):
    """Upstream `DeepseekV3YarnRotaryEmbedding` (forward inherited from `RotaryEmbedding`)."""

    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0,
                 original_max_position_embeddings=4096, beta_fast=32, beta_slow=1, mscale=1, mscale_all_dim=0):
        # Validate everything first: a rejected call builds nothing.
        check_dim(dim)
        check_max_position_embeddings(max_position_embeddings)
        check_base(base)
        check_scaling_factor(scaling_factor)
        check_positive_int("original_max_position_embeddings", original_max_position_embeddings)
        _check_betas(beta_fast, beta_slow)
        check_real("mscale", mscale)
        check_real("mscale_all_dim", mscale_all_dim)
        if yarn_get_mscale(scaling_factor, mscale_all_dim) <= 0 or yarn_get_mscale(scaling_factor, mscale) <= 0:
            raise ValueError("mscale and mscale_all_dim must keep 0.1*m*ln(scaling_factor) + 1 > 0")
        # These must exist before super().__init__: the parent's constructor calls
        # self._set_cos_sin_cache, which Python dispatches to the override below, which reads them.
        self.scaling_factor = scaling_factor
        self.original_max_position_embeddings = original_max_position_embeddings
        self.beta_fast = beta_fast
        self.beta_slow = beta_slow
        self.mscale = mscale
        self.mscale_all_dim = mscale_all_dim
        super().__init__(dim, max_position_embeddings, base, device)

    @property
    def correction_range(self) -> tuple[int, int]:
        return yarn_find_correction_range(
            self.beta_fast, self.beta_slow, self.dim, self.base, self.original_max_position_embeddings
        )

    @property
    def cos_sin_scale(self) -> float:
        """mscale(s, mscale) / mscale(s, mscale_all_dim): 1.0 for the released configs."""
        return float(
            yarn_get_mscale(self.scaling_factor, self.mscale)
            / yarn_get_mscale(self.scaling_factor, self.mscale_all_dim)
        )

    def _set_cos_sin_cache(self, seq_len, device, dtype):
        seq_len = checked_seq_len(seq_len)
        inv_freq = yarn_inv_freq(
            self.dim, self.base, self.scaling_factor, self.original_max_position_embeddings,
            self.beta_fast, self.beta_slow, device,
        )
        cos, sin = yarn_cos_sin_tables(inv_freq, seq_len, dtype, device, self.cos_sin_scale)
        self._commit(seq_len, cos, sin, inv_freq=inv_freq)

    def extra_repr(self) -> str:
        return (
            f"dim={self.dim}, max_position_embeddings={self.max_position_embeddings}, base={self.base}"
            f", scaling_factor={self.scaling_factor}, original_max_position_embeddings="
            f"{self.original_max_position_embeddings}, beta_fast={self.beta_fast}, beta_slow={self.beta_slow}, "
            f"mscale={self.mscale}, mscale_all_dim={self.mscale_all_dim}"
        )
