"""A tiny decoder-only transformer whose attention uses rope_course's rotary classes.

Each attention layer owns its own rotary module (as upstream: one `rotary_emb` per
`DeepseekV3Attention`, each with its own cache and, for the dynamic class, its own state) and
calls it exactly as DeepSeek's attention does:

    cos, sin = self.rotary_emb(v, seq_len=T)
    q, k = apply_rotary_pos_emb(q, k, cos, sin, position_ids)

so every scaling variant plugs in by swapping that module (`set_rope`). The weights never
change; the rotary modules hold no parameters and no persistent buffers.

Variants (`RopeSpec.kind`):

* ``none``: `RotaryEmbedding` (plain RoPE, no scaling);
* ``linear``: `LinearScalingRotaryEmbedding(scaling_factor=s)` (position interpolation);
* ``ntk_fixed``: `RotaryEmbedding(base=b * s^(D/(D-2)))`, the static NTK-aware base;
* ``dynamic``: `DynamicNTKScalingRotaryEmbedding` (faithful to upstream: stateful);
* ``dynamic_stateless``: `StatelessDynamicNTKRotaryEmbedding` below (a fresh base per call);
* ``yarn``: `rope_course.yarn.YarnRotaryEmbedding` with max_position_embeddings = s*L and
  original_max_position_embeddings = L. YaRN's temperature is applied the way DeepSeek's
  attention does it: mscale = mscale_all_dim = 1, so cos/sin are not scaled, and the softmax
  scale is multiplied by yarn_get_mscale(s, 1)^2 = (1 + 0.1 ln s)^2.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..functional import apply_rotary_pos_emb, cos_sin_tables, dynamic_ntk_base, inv_freq_for_base
from ..rotary import DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding, RotaryEmbedding
from ..yarn import YarnRotaryEmbedding, yarn_get_mscale

__all__ = [
    "ModelConfig",
    "RopeSpec",
    "ROPE_KINDS",
    "StatelessDynamicNTKRotaryEmbedding",
    "make_rotary",
    "ntk_fixed_base",
    "ToyTransformer",
]

ROPE_KINDS = ("none", "linear", "ntk_fixed", "dynamic", "dynamic_stateless", "yarn")


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 256
    d_model: int = 64
    n_heads: int = 2
    n_layers: int = 2
    d_mlp: int = 256
    max_position_embeddings: int = 128   # L, the training context
    rope_base: float = 100.0

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RopeSpec:
    kind: str = "none"
    scaling_factor: float = 1.0

    def __post_init__(self):
        if self.kind not in ROPE_KINDS:
            raise ValueError(f"kind must be one of {ROPE_KINDS}, got {self.kind!r}")


class StatelessDynamicNTKRotaryEmbedding(nn.Module):
    """Dynamic NTK without state: every call builds cos/sin from `dynamic_ntk_base(seq_len)`.

    Same formula and same op order as the faithful class's rebuild, so for any single call it
    returns exactly what a *fresh* `DynamicNTKScalingRotaryEmbedding` returns; it just never
    remembers an earlier, longer call (no history dependence), like Hugging Face's clamp
    `max(seq_len, L)` applied per call.
    """

    def __init__(self, dim, max_position_embeddings=2048, base=10000, scaling_factor=1.0):
        super().__init__()
        self.dim = dim
        self.max_position_embeddings = max_position_embeddings
        self.base = base
        self.scaling_factor = scaling_factor

    def forward(self, x, seq_len=None):
        new_base = dynamic_ntk_base(self.base, self.dim, seq_len, self.max_position_embeddings, self.scaling_factor)
        inv_freq = inv_freq_for_base(new_base, self.dim, x.device)
        cos, sin = cos_sin_tables(inv_freq, seq_len, x.dtype, x.device)
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def ntk_fixed_base(base: float, dim: int, scaling_factor: float) -> float:
    """The static NTK-aware base b * s^(D/(D-2))."""
    return base * scaling_factor ** (dim / (dim - 2))


def make_rotary(spec: RopeSpec, dim: int, max_position_embeddings: int, base: float) -> nn.Module:
    """One fresh rotary module for one attention layer."""
    L, s = max_position_embeddings, spec.scaling_factor
    if spec.kind == "none":
        return RotaryEmbedding(dim, L, base)
    if spec.kind == "linear":
        return LinearScalingRotaryEmbedding(dim, L, base, scaling_factor=s)
    if spec.kind == "ntk_fixed":
        return RotaryEmbedding(dim, L, ntk_fixed_base(base, dim, s))
    if spec.kind == "dynamic":
        return DynamicNTKScalingRotaryEmbedding(dim, L, base, scaling_factor=s)
    if spec.kind == "dynamic_stateless":
        return StatelessDynamicNTKRotaryEmbedding(dim, L, base, scaling_factor=s)
    if spec.kind == "yarn":
        return YarnRotaryEmbedding(
            dim, max_position_embeddings=max(L, math.ceil(s * L)), base=base, scaling_factor=s,
            original_max_position_embeddings=L, beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=1.0,
        )
    raise ValueError(f"unknown kind {spec.kind!r}")


def softmax_temperature(spec: RopeSpec) -> float:
    """Factor on the softmax scale: YaRN's mscale^2 (DeepSeek's way), 1 for everything else."""
    if spec.kind == "yarn":
        return yarn_get_mscale(spec.scaling_factor, 1.0) ** 2
    return 1.0


class Attention(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.n_heads = config.n_heads
        self.head_dim = config.head_dim
        d = config.d_model
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)
        self.rotary_emb: nn.Module = RotaryEmbedding(self.head_dim, config.max_position_embeddings, config.rope_base)
        self.softmax_scale = self.head_dim ** -0.5

    def forward(self, x, position_ids):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        cos, sin = self.rotary_emb(v, seq_len=T)
        q, k = apply_rotary_pos_emb(q, k, cos, sin, position_ids)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.softmax_scale)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, -1))


class Block(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.d_model)
        self.attn = Attention(config)
        self.ln2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, config.d_mlp), nn.GELU(), nn.Linear(config.d_mlp, config.d_model)
        )

    def forward(self, x, position_ids):
        x = x + self.attn(self.ln1(x), position_ids)
        return x + self.mlp(self.ln2(x))


class ToyTransformer(nn.Module):
    """Pre-LN decoder-only transformer, RoPE only (no learned positions), tied embeddings,
    plus a previous-token embedding added to the input (see __init__)."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        # "Smeared" input: each position also sees its previous token (a causal width-2 token
        # shift, as in the smeared-key induction models of Olsson et al. 2022 and the short
        # convolutions of H3/Mamba). It makes a value token carry its key, so recall is one
        # attention hop and the model trains in minutes on a CPU. It is position-free, so
        # everything about positions beyond one token still goes through RoPE.
        self.prev_embed = nn.Embedding(config.vocab_size, config.d_model)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.rope = RopeSpec("none")
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        # Small embeddings (the output head is tied to them); linear layers keep PyTorch's
        # default init (a 0.02 init there left attention uniform for hundreds of steps).
        if isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def set_rope(self, spec: RopeSpec) -> "ToyTransformer":
        """Give every attention layer its own fresh rotary module for `spec` (resets all state)."""
        c = self.config
        for block in self.blocks:
            block.attn.rotary_emb = make_rotary(spec, c.head_dim, c.max_position_embeddings, c.rope_base)
            block.attn.softmax_scale = c.head_dim ** -0.5 * softmax_temperature(spec)
        self.rope = spec
        return self

    def forward(self, tokens, position_ids=None):
        B, T = tokens.shape
        if position_ids is None:
            position_ids = torch.arange(T, device=tokens.device).unsqueeze(0).expand(B, T)
        x = self.embed(tokens)
        x[:, 1:] = x[:, 1:] + self.prev_embed(tokens[:, :-1])
        for block in self.blocks:
            x = block(x, position_ids)
        return self.ln_f(x) @ self.embed.weight.T
