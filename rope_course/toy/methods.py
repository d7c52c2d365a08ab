"""The scaling methods lesson 10 compares: one list (`METHODS`), one way to build each.

s is the scaling factor, T the evaluation length, L the training context, b the base, D the
head dim. A *fixed* method uses one s for every length (s = `FIXED_FACTOR` = 8 = 1024/128, set
once as a config would); a *dynamic* one uses the factor a(T) = 1 + s(T/L - 1) for T > L and
plain RoPE for T <= L, with s = 1 by default, so a(T) = T/L = max(1, T/L) (the YaRN paper's
section 3.3 dynamic scaling; a is the dynamic class's bracket, `rope_course.ntk_bracket`).

* ``none``: `RotaryEmbedding` (plain RoPE);
* ``pi_*``: position interpolation, `LinearScalingRotaryEmbedding` (every angle divided by s);
* ``ntk_*``: the NTK-aware base b * s^(D/(D-2)) (`ntk_fixed_base`); ``ntk_dynamic`` is exactly
  what a fresh `DynamicNTKScalingRotaryEmbedding` builds at length T (same float ops);
* ``yarn_*``: `rope_course.yarn.YarnRotaryEmbedding` with original length L and the toy's betas
  (`TOY_BETAS`), its temperature applied as DeepSeek's attention does it (mscale =
  mscale_all_dim = 1: cos/sin unscaled, softmax scale times (1 + 0.1 ln s)^2);
* ``yarn_v3beta_*``: the same with DeepSeek-V3's literal betas 32/1 (on the toy they keep only
  pair 0; lesson 10 measures what that does to each task);
* ``ntk_smin``: dynamic NTK with the class factor s_min(T) (`rope_course.attention.s_min`, lesson
  06's prediction);
* ``deepseek_class``: the course's faithful, stateful `DynamicNTKScalingRotaryEmbedding`
  (scaling_factor 1), one module per layer that remembers every earlier call.

The first ten are stateless (a module built for the length); ``deepseek_class`` is evaluated as a
server would run it (see `evaluate.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from ..attention import s_min
from ..engines.traps import ntk_theta as ntk_fixed_base  # b s^(D/(D-2)), the one static NTK base
from ..functional import ntk_bracket
from ..hf_reset import HFDynamicRope
from ..rotary import (
    DynamicNTKScalingRotaryEmbedding,
    LinearScalingRotaryEmbedding,
    RotaryEmbedding,
)
from ..yarn import YarnRotaryEmbedding, yarn_get_mscale

__all__ = [
    "FIXED_FACTOR",
    "MAIN_METHODS",
    "METHODS",
    "TOY_BETAS",
    "V3_BETAS",
    "HFDynamicRotaryEmbedding",
    "Method",
    "RopeSpec",
    "dynamic_factor",
    "make_rotary",
    "ntk_fixed_base",
    "rope_spec",
    "softmax_factor",
]

FIXED_FACTOR = 8.0
TOY_BETAS = (4.0, 1.0)     # (beta_fast, beta_slow) adapted to D = 32, b = 100, L = 128: see lesson 10
V3_BETAS = (32.0, 1.0)     # DeepSeek-V3's config values


@dataclass(frozen=True)
class Method:
    name: str
    family: str        # "none", "pi", "ntk", "yarn", "deepseek"
    mode: str          # "fixed", "dynamic", "smin", "stateful", "none"
    betas: tuple = TOY_BETAS
    label: str = ""


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("none", "none", "none", label="no scaling"),
    Method("pi_fixed", "pi", "fixed", label="PI, s = 8"),
    Method("pi_dynamic", "pi", "dynamic", label="PI, s = T/L"),
    Method("ntk_fixed", "ntk", "fixed", label="NTK-aware, s = 8"),
    Method("ntk_dynamic", "ntk", "dynamic", label="NTK-aware, s = T/L (dynamic NTK)"),
    Method("yarn_fixed", "yarn", "fixed", label="YaRN, s = 8"),
    Method("yarn_dynamic", "yarn", "dynamic", label="YaRN, s = T/L"),
    Method("ntk_smin", "ntk", "smin", label="dynamic NTK, class factor s_min(T)"),
    Method("deepseek_class", "deepseek", "stateful", label="DeepSeek's class, as served"),
    Method("yarn_v3beta_fixed", "yarn", "fixed", V3_BETAS, label="YaRN beta 32/1, s = 8"),
    Method("yarn_v3beta_dynamic", "yarn", "dynamic", V3_BETAS, label="YaRN beta 32/1, s = T/L"),
)}
MAIN_METHODS = tuple(name for name in METHODS if "v3beta" not in name)


@dataclass(frozen=True)
class RopeSpec:
    """What one attention layer gets: a rotary family with its factor (and betas for YaRN)."""

    family: str = "none"        # "none", "pi", "ntk", "yarn", "deepseek", "hf"
    scaling_factor: float = 1.0
    betas: tuple = TOY_BETAS

    def __post_init__(self):
        if self.family not in ("none", "pi", "ntk", "yarn", "deepseek", "hf"):
            raise ValueError(f"family must be one of none, pi, ntk, yarn, deepseek, hf; got {self.family!r}")


def dynamic_factor(seq_len: int, max_position_embeddings: int, scaling_factor: float = 1.0) -> float:
    """a(T) = 1 + s(T/L - 1) past L (upstream's float ops), 1 at T <= L."""
    if seq_len <= max_position_embeddings:
        return 1.0
    return ntk_bracket(seq_len, max_position_embeddings, scaling_factor)


def rope_spec(method: str, seq_len: int, max_position_embeddings: int, dim: int, base: float,
              scaling_factor: float | None = None) -> RopeSpec:
    """The RopeSpec `method` uses at length `seq_len`; `scaling_factor` overrides its s (fixed: the
    factor, default 8; dynamic: the bracket's s, default 1)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {tuple(METHODS)}, got {method!r}")
    m, L = METHODS[method], max_position_embeddings
    if m.mode == "none":
        return RopeSpec("none")
    if m.mode == "stateful":
        return RopeSpec("deepseek", 1.0 if scaling_factor is None else scaling_factor)
    if m.mode == "fixed":
        return RopeSpec(m.family, FIXED_FACTOR if scaling_factor is None else scaling_factor, m.betas)
    if seq_len <= L:
        return RopeSpec("none")              # every dynamic method is plain RoPE inside the window
    s = s_min(seq_len, L, dim, base) if m.mode == "smin" else (1.0 if scaling_factor is None else scaling_factor)
    return RopeSpec(m.family, dynamic_factor(seq_len, L, s), m.betas)


class HFDynamicRotaryEmbedding(nn.Module):
    """Hugging Face's later dynamic rule (growth, and a reset only for l < L) as a rotary module,
    built on `rope_course.hf_reset.HFDynamicRope` (its state, tested against transformers)."""

    def __init__(self, dim, max_position_embeddings, base, scaling_factor=1.0):
        super().__init__()
        self.state = HFDynamicRope(dim, max_position_embeddings, base, scaling_factor)

    def forward(self, x, seq_len=None):
        cos, sin = self.state(seq_len)
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def make_rotary(spec: RopeSpec, dim: int, max_position_embeddings: int, base: float) -> nn.Module:
    """One fresh rotary module for one attention layer."""
    L, s = max_position_embeddings, spec.scaling_factor
    if spec.family == "none":
        return RotaryEmbedding(dim, L, base)
    if spec.family == "pi":
        return LinearScalingRotaryEmbedding(dim, L, base, scaling_factor=s)
    if spec.family == "ntk":
        return RotaryEmbedding(dim, L, ntk_fixed_base(base, dim, s))
    if spec.family == "deepseek":
        return DynamicNTKScalingRotaryEmbedding(dim, L, base, scaling_factor=s)
    if spec.family == "hf":
        return HFDynamicRotaryEmbedding(dim, L, base, scaling_factor=s)
    beta_fast, beta_slow = spec.betas
    return YarnRotaryEmbedding(
        dim, max_position_embeddings=max(L, math.ceil(s * L)), base=base, scaling_factor=s,
        original_max_position_embeddings=L, beta_fast=beta_fast, beta_slow=beta_slow, mscale=1.0, mscale_all_dim=1.0,
    )


def softmax_factor(spec: RopeSpec) -> float:
    """Factor on the softmax scale: YaRN's mscale^2 (DeepSeek's way), 1 for everything else."""
    return yarn_get_mscale(spec.scaling_factor, 1.0) ** 2 if spec.family == "yarn" else 1.0


def apply_spec(model, spec: RopeSpec):
    """Give `model` fresh rotary modules for `spec` (every layer its own)."""
    c = model.config
    model.set_rotary(lambda: make_rotary(spec, c.head_dim, c.max_position_embeddings, c.rope_base),
                     softmax_factor(spec))
    model.rope = spec
    return model
