"""An opt-in, faster builder of the cos/sin tables, for lesson 08 and `make bench`.

The modules use `functional.cos_sin_tables`, the simple builder (cos and sin once on the half,
then concatenate). This module is the version tuned for large tables on a CPU, kept apart so
that the code learners read in the modules stays short. Nothing here runs unless called.

What dominates a large rebuild on a CPU is memory the process has never touched: every fresh
page is a page fault that the kernel must zero. So for tables of 8 MiB and more,
`fast_cos_sin_tables`

* asks Linux for transparent huge pages on the two output tables (`madvise`, loaded through
  ctypes on first use, never at import). Where THP is in "madvise" mode that turns most of a
  (131072, 64) float32 table's 8192 faults of 4 KiB into a few of 2 MiB; the table's ends, which
  do not fill a whole aligned 2 MiB page, keep 4 KiB pages (about 530 faults per table measured
  here, not the 16 a perfectly aligned table would take). Where THP is "never" the advice does
  nothing;
* touches no memory beyond the two output tables: `freqs`, then its cos and sin, are computed
  inside the second halves of the outputs' own storage, and each table is then spread in place
  into rows [c, c] (`spread_second_half`).

The tables are bit-identical to upstream's op sequence *on this build*: cos, sin and the outer
product are elementwise, so the same kernels give the same bits wherever the values sit in
memory. That is a property of the kernels (tests/test_perf.py checks it), not a law of
arithmetic: a library whose vectorised and scalar paths round differently could break it.
"""

from __future__ import annotations

import ctypes
import functools
import sys

import torch

__all__ = ["fast_cos_sin_tables", "spread_second_half", "IN_PLACE_MIN_BYTES"]

IN_PLACE_MIN_BYTES = 8 << 20  # below this, fresh-page faults matter less than the op count
_HUGE_PAGE = 2 << 20
_MADV_HUGEPAGE = 14  # Linux's value


@functools.cache
def _madvise():
    """libc's madvise, or None where it is not available (loaded once, on first use)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


def _prefer_huge_pages(table: torch.Tensor) -> None:
    """Advise Linux to back a large, not yet written CPU table with 2 MiB pages.

    It is only advice: the numbers are the same either way, and where it is not available (other
    systems, other devices, small tables) nothing happens.
    """
    madvise = _madvise()
    if madvise is None or table.device.type != "cpu":
        return
    size = table.numel() * table.element_size()
    if size < 4 * _HUGE_PAGE:
        return
    start = (table.data_ptr() + _HUGE_PAGE - 1) & -_HUGE_PAGE
    end = (table.data_ptr() + size) & -_HUGE_PAGE
    if end > start:
        madvise(start, end - start, _MADV_HUGEPAGE)


def spread_second_half(flat: torch.Tensor, rows: int, half: int) -> None:
    """In place: `flat` (2*rows*half,) holds a (rows, half) table in its second half; rewrite
    it as the (rows, 2*half) table whose row r is [t[r], t[r]].

    Target row r occupies flat[2*half*r : 2*half*(r+1)], source row r flat[rows*half + half*r :
    ...]. Copying rows [a, b) is safe once every source row >= a still to be read lies beyond
    the rows being written: 2*half*b <= rows*half + half*a, i.e. b <= (rows + a) / 2. So the
    rows go in chunks that halve (about log2(rows) copies), and the last row, whose target's
    second half *is* its source, only needs its first half filled.
    """
    source = flat[rows * half:].view(rows, half)
    target = flat.view(rows, 2, half)
    start = 0
    while start < rows - 1:
        stop = (rows + start) // 2
        target[start:stop].copy_(source[start:stop].unsqueeze(1).expand(stop - start, 2, half))
        start = stop
    target[rows - 1, 0].copy_(source[rows - 1])


def fast_cos_sin_tables(inv_freq: torch.Tensor, seq_len: int, dtype: torch.dtype, device=None,
                        position_scale: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The same tables as `functional.cos_sin_tables`, built without temporaries for large ones."""
    from .functional import cos_sin_tables, table_positions

    positions = table_positions(inv_freq, seq_len, dtype, device, position_scale)
    seq_len, half = positions.shape[0], inv_freq.shape[-1]
    table_bytes = seq_len * 2 * half * torch.empty((), dtype=dtype).element_size()
    if dtype != inv_freq.dtype or table_bytes < IN_PLACE_MIN_BYTES:
        return cos_sin_tables(inv_freq, seq_len, dtype, device, position_scale)
    inv_freq = inv_freq.to(positions.device)
    cos = torch.empty(seq_len, 2 * half, dtype=dtype, device=positions.device)
    sin = torch.empty_like(cos)
    _prefer_huge_pages(cos)
    _prefer_huge_pages(sin)
    cos_flat, sin_flat = cos.view(-1), sin.view(-1)
    freqs = cos_flat[seq_len * half:].view(seq_len, half)
    torch.outer(positions, inv_freq, out=freqs)
    torch.sin(freqs, out=sin_flat[seq_len * half:].view(seq_len, half))
    torch.cos(freqs, out=freqs)
    spread_second_half(cos_flat, seq_len, half)
    spread_second_half(sin_flat, seq_len, half)
    return cos, sin
