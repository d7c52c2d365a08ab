"""Upstream's op sequence, re-typed from its description (SOURCES.md#upstream-init,
SOURCES.md#upstream-forward, SOURCES.md#upstream-dynamic-cache).

Used only to check that the package's tables are *bit-identical* to what upstream computes:
the same torch ops in the same order (inv_freq from arange(0, D, 2).float()/D, positions in
inv_freq's dtype, outer product, cos/sin over cat(freqs, freqs), cast). Deliberately flat and
literal, no validation, no cleverness.
"""

from __future__ import annotations

import torch


def inv_freq(base, dim, device=None):
    return 1.0 / (base ** (torch.arange(0, dim, 2).float().to(device) / dim))


def dynamic_base(base, dim, seq_len, L, s):
    return base * ((s * seq_len / L) - (s - 1)) ** (dim / (dim - 2))


def tables(inv, seq_len, dtype, device=None, divide_positions_by=None):
    t = torch.arange(seq_len, device=device, dtype=inv.dtype)
    if divide_positions_by is not None:
        t = t / divide_positions_by
    freqs = torch.outer(t, inv.to(t.device))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


class UpstreamStandard:
    """State machine of the standard class: what forward returns for a call sequence."""

    def __init__(self, dim, L=2048, base=10000):
        self.dim, self.L, self.base = dim, L, base
        self.inv_freq = inv_freq(base, dim)
        self.build(L, None, torch.get_default_dtype())
        self.cached = None
        self.rebuilds = 0  # counts rebuilds after __init__

    def build(self, seq_len, device, dtype):
        self.cached = seq_len
        self.cos, self.sin = tables(self.inv_freq, seq_len, dtype, device)

    def forward(self, x, seq_len):
        if self.cached is None or seq_len > self.cached:
            self.rebuilds += 1
            self.build(seq_len, x.device, x.dtype)
        return self.cos[:seq_len].to(dtype=x.dtype), self.sin[:seq_len].to(dtype=x.dtype)


class UpstreamDynamic(UpstreamStandard):
    def __init__(self, dim, L=2048, base=10000, s=1.0):
        self.s = s
        super().__init__(dim, L, base)

    def build(self, seq_len, device, dtype):
        self.cached = seq_len
        if seq_len > self.L:
            self.inv_freq = inv_freq(dynamic_base(self.base, self.dim, seq_len, self.L, self.s), self.dim, device)
        self.cos, self.sin = tables(self.inv_freq, seq_len, dtype, device)
