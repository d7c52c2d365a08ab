"""A tiny decoder-only transformer whose attention uses rope_course's rotary classes.

Each attention layer owns its own rotary module (as upstream: one `rotary_emb` per
`DeepseekV3Attention`, each with its own cache and, for the dynamic class, its own state) and
calls it exactly as DeepSeek's attention does:

    kv_seq_len = past + q_len
    cos, sin = self.rotary_emb(v, seq_len=kv_seq_len)
    q, k = apply_rotary_pos_emb(q, k, cos, sin, position_ids)

so every scaling method plugs in by swapping that module (`set_rope`, see `methods.py`). The
weights never change; the rotary modules hold no parameters and no persistent buffers.

A `DecodeState` runs the model one token at a time with a KV cache, caching keys either after
RoPE (`keys="post"`, upstream: each key keeps the table of the step that wrote it) or before
RoPE (`keys="pre"`: every cached key is re-rotated with the current table at each step, the
fix of the YaRN paper's section 3.3, SOURCES.md#paper-yarn-3-3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..attention import KVCache
from ..functional import apply_rotary_pos_emb
from ..rotary import RotaryEmbedding

__all__ = ["DecodeState", "ModelConfig", "ToyTransformer", "decode_logits"]


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 256
    d_model: int = 64
    n_heads: int = 2
    n_layers: int = 2
    d_mlp: int = 256
    max_position_embeddings: int = 128   # L, the training context
    rope_base: float = 100.0
    prev_token_embedding: bool = True    # the previous-token shortcut (see ToyTransformer)

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


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

    def _heads(self, proj, x):
        B, T, _ = x.shape
        return proj(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, cache: KVCache | None = None, keys_before_rope: bool = False):
        B, T, _ = x.shape
        q, k, v = self._heads(self.q_proj, x), self._heads(self.k_proj, x), self._heads(self.v_proj, x)
        past = 0 if cache is None else len(cache)
        kv_seq_len = past + T
        cos, sin = self.rotary_emb(v, seq_len=kv_seq_len)
        position_ids = torch.arange(past, kv_seq_len, device=x.device).unsqueeze(0).expand(B, T)
        q, k_rot = apply_rotary_pos_emb(q, k, cos, sin, position_ids)
        if cache is None:
            keys, values = k_rot, v
        elif keys_before_rope:
            raw, values = cache.update(k, v)
            every_position = torch.arange(kv_seq_len, device=x.device).unsqueeze(0).expand(B, kv_seq_len)
            _, keys = apply_rotary_pos_emb(raw, raw, cos, sin, every_position)   # all keys, today's table
        else:
            keys, values = cache.update(k_rot, v)
        if past == 0:
            out = F.scaled_dot_product_attention(q, keys, values, is_causal=True, scale=self.softmax_scale)
        elif T == 1:        # one new token sees every cached key
            out = F.scaled_dot_product_attention(q, keys, values, scale=self.softmax_scale)
        else:
            raise ValueError("after the prefill, feed one token per call")
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

    def forward(self, x, cache=None, keys_before_rope=False):
        x = x + self.attn(self.ln1(x), cache, keys_before_rope)
        return x + self.mlp(self.ln2(x))


class ToyTransformer(nn.Module):
    """Pre-LN decoder-only transformer, RoPE only (no learned positions), tied embeddings,
    plus, when `config.prev_token_embedding` is set, a previous-token embedding added to the
    input (see __init__)."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        # "Smeared" input (`config.prev_token_embedding`): each position also sees its previous
        # token (a causal width-2 token shift, as in the smeared-key induction models of Olsson et
        # al. 2022 and the short convolutions of H3/Mamba). A value token then carries its key, so
        # recall is one attention hop and the model trains in minutes on a CPU. It is
        # position-free: every relation beyond one token back still goes through RoPE, but the
        # token one back (and, for an order-2 text, everything its next token depends on) does not.
        self.prev_embed = (nn.Embedding(config.vocab_size, config.d_model) if config.prev_token_embedding
                           else None)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.rope = None
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        # Small embeddings (the output head is tied to them); linear layers keep PyTorch's
        # default init (a 0.02 init there left attention uniform for hundreds of steps).
        if isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def set_rotary(self, make_module, softmax_factor: float = 1.0) -> ToyTransformer:
        """Give every attention layer its own fresh module `make_module()` (resets all state) and
        multiply the softmax scale by `softmax_factor` (YaRN's temperature, DeepSeek's way)."""
        for block in self.blocks:
            block.attn.rotary_emb = make_module()
            block.attn.softmax_scale = self.config.head_dim ** -0.5 * softmax_factor
        return self

    def embed_tokens(self, tokens, previous=None):
        """Token embedding plus the previous token's; `previous` (B,) is the token before
        tokens[:, 0] when decoding (None at the start of a sequence)."""
        x = self.embed(tokens)
        if self.prev_embed is None:
            return x
        before = tokens[:, :-1] if previous is None else torch.cat((previous.unsqueeze(1), tokens[:, :-1]), dim=1)
        if previous is None:
            return torch.cat((x[:, :1], x[:, 1:] + self.prev_embed(before)), dim=1)
        return x + self.prev_embed(before)

    def forward(self, tokens, state: DecodeState | None = None):
        x = self.embed_tokens(tokens, None if state is None else state.previous_token)
        for i, block in enumerate(self.blocks):
            x = block(x, None if state is None else state.caches[i],
                      False if state is None else state.keys_before_rope)
        if state is not None:
            state.previous_token = tokens[:, -1]
        return self.ln_f(x) @ self.embed.weight.T


class DecodeState:
    """Per-layer KV caches for token-by-token decoding; `keys` is "post" (upstream) or "pre"."""

    def __init__(self, n_layers: int, keys: str = "post"):
        if keys not in ("post", "pre"):
            raise ValueError(f"keys must be 'post' or 'pre', got {keys!r}")
        self.caches = [KVCache() for _ in range(n_layers)]
        self.keys_before_rope = keys == "pre"
        self.previous_token = None


@torch.no_grad()
def decode_logits(model: ToyTransformer, tokens: torch.Tensor, prefill_len: int, keys: str = "post") -> torch.Tensor:
    """Logits for every position: one prefill of `prefill_len` tokens, then one token per call."""
    state = DecodeState(len(model.blocks), keys)
    out = [model(tokens[:, :prefill_len], state)]
    for t in range(prefill_len, tokens.shape[1]):
        out.append(model(tokens[:, t:t + 1], state))
    return torch.cat(out, dim=1)
