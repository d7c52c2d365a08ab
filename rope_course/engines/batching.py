"""Batching changes the base: one length per batch (DeepSeek, HF) against one per request.

* **DeepSeek's attention** calls its rotary module with one `kv_seq_len` for the whole batch:
  the padded length of the batch plus the cached length (SOURCES.md#upstream-attention). Every
  row gets the base of that length, and **padding counts** toward the trigger: a prompt of L
  tokens left-padded to L + 8 is rotated with b'(L + 8).
* **Hugging Face** takes l = max(position_ids) + 1 over the batch (SOURCES.md#hf-32135). With the
  position ids its generation derives from the mask (`attention_mask.cumsum(-1) - 1`, pads set to
  0; SOURCES.md#hf-generation-position-ids) pads do not
  count, but the longest row still sets the base of every row. With plain `arange` positions
  (no mask-derived ids) they count as in DeepSeek.
* **The per-request fix**: one length per row, so each prompt gets the base of its own length,
  whoever it is batched with. In SOURCES.md#qwen-401 the reporter worried that one long prompt
  sets the NTK value of a whole padded batch, and that continuous batching needs one value per
  request; a Qwen maintainer answered that Qwen already computes the value per sample, from its
  actual length. SOURCES.md#lightllm-276 is LightLLM's "fix batch merge for dynamic ntk" (only
  its title was checked).

The functions here are pure: lengths in, lengths, bases and tables out.
"""

from __future__ import annotations

import torch

from .._validate import check_int
from ..functional import apply_rotary_pos_emb, cos_sin_tables, dynamic_ntk_base, inv_freq_for_base
from ..rotary import DynamicNTKScalingRotaryEmbedding

__all__ = [
    "check_lengths",
    "left_padded_batch",
    "deepseek_kv_seq_len",
    "hf_batch_seq_len",
    "per_request_inv_freq",
    "per_request_cos_sin",
    "deepseek_batch_cos_sin",
    "BatchEffect",
    "batch_effect",
]


def check_lengths(lengths) -> list[int]:
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise TypeError(f"lengths must be a list of ints, got {type(lengths).__name__}")
    out = [check_int("lengths[i]", n, 1) for n in lengths]
    if not out:
        raise ValueError("lengths must hold at least one request length")
    return out


def left_padded_batch(lengths, mask_positions: bool = True, width=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(position_ids, attention_mask) for prompts left-padded to `width` (default: the longest),
    shape (batch, width).

    `mask_positions=True` gives HF generation's ids (cumsum of the mask minus 1, pads set to 0, as
    transformers 5.24 does, SOURCES.md#hf-generation-position-ids), so each prompt's tokens sit at
    0 .. n-1; `False` gives plain `arange(width)` for every row.
    """
    lengths = check_lengths(lengths)
    width = _check_width(width, lengths)
    columns = torch.arange(width)[None]
    first = torch.tensor([width - n for n in lengths])[:, None]  # each row's first real token
    mask = (columns >= first).long()
    if mask_positions:
        # = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0) for a left-padded mask, without the
        # cumsum (a test checks the two agree): the explorers call this at widths up to 131072
        position_ids = (columns - first).clamp_(min=0)
    else:
        position_ids = columns.expand(len(lengths), width).clone()
    return position_ids, mask


def _check_width(width, lengths) -> int:
    if width is None:
        return max(lengths)
    width = check_int("width", width, 1)
    if width < max(lengths):
        raise ValueError(f"width must be >= the longest prompt ({max(lengths)}), got {width}")
    return width


def deepseek_kv_seq_len(lengths, past: int = 0, width=None) -> int:
    """What DeepSeek's attention passes as `seq_len`: padded batch length (`width`, default the
    longest prompt) plus the cached length `past`."""
    lengths = check_lengths(lengths)
    return _check_width(width, lengths) + check_int("past", past, 0)


def hf_batch_seq_len(position_ids: torch.Tensor) -> int:
    """What HF's decorator uses: max(position_ids) + 1 over the whole batch."""
    return int(position_ids.max()) + 1


def per_request_inv_freq(lengths, dim, max_position_embeddings, base=10000, scaling_factor=1.0) -> torch.Tensor:
    """The fix: one inv_freq per request from its own length, shape (batch, D/2)."""
    lengths = check_lengths(lengths)
    return torch.stack([
        inv_freq_for_base(dynamic_ntk_base(base, dim, n, max_position_embeddings, scaling_factor), dim) for n in lengths
    ])


def per_request_cos_sin(position_ids, lengths, dim, max_position_embeddings, base=10000, scaling_factor=1.0):
    """cos/sin (batch, q_len, D) with each row rotated by the base of its own request length."""
    inv_freq = per_request_inv_freq(lengths, dim, max_position_embeddings, base, scaling_factor)
    freqs = position_ids[..., None].float() * inv_freq[:, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def deepseek_batch_cos_sin(position_ids, lengths, dim, max_position_embeddings, base=10000, scaling_factor=1.0,
                           past: int = 0):
    """cos/sin rows (batch, q_len, D) as DeepSeek's attention gets them: a fresh dynamic module
    called once with the batch's `kv_seq_len`, rows picked by `position_ids`."""
    rope = DynamicNTKScalingRotaryEmbedding(dim, max_position_embeddings, base=base, scaling_factor=scaling_factor)
    cos, sin = rope(torch.zeros(1), seq_len=deepseek_kv_seq_len(lengths, past))
    return cos[position_ids], sin[position_ids]


class BatchEffect(dict):
    """What batching does to one prompt: its base and its tables and attention output, alone
    and batched (a dict with attribute access for the lesson)."""

    __getattr__ = dict.__getitem__


def _attention(q, k, v, cos, sin, position_ids, scale):
    q_rot, k_rot = apply_rotary_pos_emb(q, k, cos, sin, position_ids)
    scores = (q_rot @ k_rot.transpose(-1, -2)) * scale
    n = q.shape[-2]
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    scores = scores.masked_fill(~causal, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def batch_effect(prompt_len, neighbour_len, dim=64, max_position_embeddings=4096, base=10000, scaling_factor=2.0,
                 seed=0) -> BatchEffect:
    """One prompt of `prompt_len` tokens, alone and left-padded into a batch with a prompt of
    `neighbour_len` tokens, through DeepSeek's rule (one kv_seq_len), HF's rule (max position
    id + 1, mask-derived ids) and the per-request fix.

    Returns the bases, the largest |cos| difference over the prompt's rows (batched vs alone),
    and the relative change of a causal attention output over the prompt (one head, random
    q, k, v from `seed`; relative = max |out_batched - out_alone| / max |out_alone|).
    """
    prompt_len = check_int("prompt_len", prompt_len, 1)
    neighbour_len = check_int("neighbour_len", neighbour_len, 1)
    lengths = [prompt_len, neighbour_len]
    position_ids, _ = left_padded_batch(lengths)
    alone_ids = torch.arange(prompt_len)[None]
    row = position_ids[:1, -prompt_len:]  # the prompt's own tokens in the padded batch
    assert torch.equal(row, alone_ids)
    args = (dim, max_position_embeddings, base, scaling_factor)
    cos_alone, sin_alone = deepseek_batch_cos_sin(alone_ids, [prompt_len], *args)
    cos_ds, sin_ds = deepseek_batch_cos_sin(position_ids, lengths, *args)
    hf_len = hf_batch_seq_len(position_ids)
    hf_inv = inv_freq_for_base(dynamic_ntk_base(base, dim, hf_len, max_position_embeddings, scaling_factor), dim)
    cos_fix, sin_fix = per_request_cos_sin(position_ids, lengths, *args)

    generator = torch.Generator().manual_seed(seed)
    q, k, v = torch.randn(3, 1, 1, prompt_len, dim, generator=generator).unbind(0)
    scale = dim**-0.5
    # The prompt's tokens sit at positions 0 .. n-1 in every layout, so its rows of a batch
    # table are a (n, D) table that apply_rotary_pos_emb can index with 0 .. n-1.
    prompt_rows = lambda t: t[0, -prompt_len:]  # noqa: E731
    hf_cos, hf_sin = cos_sin_tables(hf_inv, prompt_len, torch.float32)  # float32, as every table here
    out_alone = _attention(q, k, v, cos_alone[0], sin_alone[0], alone_ids, scale)

    def relative_change(cos, sin):
        out = _attention(q, k, v, cos, sin, alone_ids, scale)
        return ((out - out_alone).abs().max() / out_alone.abs().max()).item()

    return BatchEffect(
        prompt_len=prompt_len,
        neighbour_len=neighbour_len,
        base_alone=dynamic_ntk_base(base, dim, prompt_len, max_position_embeddings, scaling_factor),
        deepseek_kv_seq_len=deepseek_kv_seq_len(lengths),
        base_deepseek_batched=dynamic_ntk_base(base, dim, deepseek_kv_seq_len(lengths), max_position_embeddings,
                                               scaling_factor),
        hf_seq_len=hf_len,
        base_hf_batched=dynamic_ntk_base(base, dim, hf_len, max_position_embeddings, scaling_factor),
        cos_diff_deepseek=(cos_ds[0, -prompt_len:] - cos_alone[0]).abs().max().item(),
        cos_diff_fix=(cos_fix[0, -prompt_len:] - cos_alone[0]).abs().max().item(),
        attention_change_deepseek=relative_change(prompt_rows(cos_ds), prompt_rows(sin_ds)),
        attention_change_hf=relative_change(hf_cos, hf_sin),
        attention_change_fix=relative_change(prompt_rows(cos_fix), prompt_rows(sin_fix)),
    )
