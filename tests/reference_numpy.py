"""An independent float64 reference, written from the formulas (SOURCES.md#upstream-set-cos-sin-cache,
SOURCES.md#upstream-dynamic-cache, SOURCES.md#paper-roformer).

Nothing here imports rope_course or torch: it is numpy only, so an error in the package's
math cannot hide in a shared helper.
"""

from __future__ import annotations

import numpy as np


def inv_freq(base: float, dim: int) -> np.ndarray:
    i = np.arange(dim // 2, dtype=np.float64)
    return base ** (-2.0 * i / dim)


def bracket(seq_len: int, L: int, s: float) -> float:
    return 1.0 + s * (seq_len / L - 1.0)


def dynamic_base(base: float, dim: int, seq_len: int, L: int, s: float) -> float:
    if seq_len <= L:
        return float(base)
    return float(base * bracket(seq_len, L, s) ** (dim / (dim - 2)))


def tables(inv: np.ndarray, seq_len: int, position_scale: float = 1.0):
    """cos/sin of shape (seq_len, dim) with emb[p, j] = (p / scale) * inv[j mod dim/2]."""
    half = len(inv)
    p = np.arange(seq_len, dtype=np.float64)[:, None] / position_scale
    j = np.arange(2 * half) % half
    angles = p * inv[j][None, :]
    return np.cos(angles), np.sin(angles)


def complex_rope(x: np.ndarray, positions: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """Adjacent-pair RoPE as DeepSeek's reference inference code frames it: pair (2i, 2i+1)
    is one complex number, multiplied by exp(i * p * inv[i]). x: (..., seq, dim)."""
    z = x[..., 0::2] + 1j * x[..., 1::2]
    rot = np.exp(1j * positions[:, None] * inv[None, :])
    out = z * rot
    result = np.empty_like(x)
    result[..., 0::2] = out.real
    result[..., 1::2] = out.imag
    return result
