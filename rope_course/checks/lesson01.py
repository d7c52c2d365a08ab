"""Checkers for lesson 01 (RoPE refresher).

Exercises (the expected values are computed here, from the package, never printed by the lesson):
1. `check_table_angle(answer)`: the angle emb[1000, 40] of a D = 64, b = 10^4 cache (radians,
   not reduced modulo 2 pi): derived from the `cat(freqs, freqs)` layout.
2. `check_never_turned(answer)`: how many pairs never complete a turn in a 4096-position training
   window with Kimi-K2's rope_theta 50000 (D = 64).
3. `check_half_fixed_port(answer)`: predict, for a port that de-interleaves q but not k,
   (does q.k still depend only on m - n?, does it equal DeepSeek's score?).
4. `check_interleave(fn)`: fn(x) -> the inverse of `deinterleave` on the last axis.
"""

from __future__ import annotations

import torch

from ..angles import never_turned, swept_arc
from ..attention import inv_freq64
from ..functional import apply_rotary_pos_emb, cos_sin_tables, deinterleave, inv_freq_for_base, rotate_half
from ._core import Case, CheckResult, check_answer, check_exercise

__all__ = [
    "interleave",
    "port_apply_rotary",
    "table_angle_reference",
    "never_turned_reference",
    "half_fixed_port_reference",
    "check_table_angle",
    "check_never_turned",
    "check_half_fixed_port",
    "check_interleave",
]

TABLE_ROW, TABLE_COLUMN = 1000, 40
KIMI_THETA, TRAINED_L = 50000, 4096


def interleave(x: torch.Tensor) -> torch.Tensor:
    """The inverse of `deinterleave`: [x0, x2, ..., x1, x3, ...] -> [x0, x1, x2, x3, ...]."""
    *lead, dim = x.shape
    if dim % 2:
        raise ValueError(f"the last axis of x must be even to interleave, got {dim}")
    return x.reshape(*lead, 2, dim // 2).transpose(-1, -2).reshape(*lead, dim)


# --- exercise 1 ---------------------------------------------------------------------------------
def table_angle_reference(row: int = TABLE_ROW, column: int = TABLE_COLUMN, dim: int = 64,
                          base: float = 10000) -> float:
    """emb[row, column] as upstream's builder computes it: float32 positions times float32 inv_freq,
    the frequencies repeated by cat(freqs, freqs); checked against the module's cos table."""
    inv_freq = inv_freq_for_base(base, dim)
    emb = torch.cat((inv_freq, inv_freq)) * torch.tensor(float(row))
    cos, _ = cos_sin_tables(inv_freq, row + 1, torch.float32)
    if not torch.allclose(torch.cos(emb[column]), cos[row, column], atol=1e-5):
        raise RuntimeError("the table does not hold cos(emb)")
    return float(emb[column])


def check_table_angle(answer, quiet: bool = False) -> CheckResult:
    return check_answer(
        "table_angle", answer, table_angle_reference(), rtol=1e-4,
        hint=("column j of the table holds the angle p * inv_freq[j mod D/2] (the frequencies are concatenated "
              "with themselves); inv_freq[i] = b^(-2i/D). Give the angle itself, not cos of it and not reduced "
              "modulo 2 pi."),
        quiet=quiet,
    )


# --- exercise 2 ---------------------------------------------------------------------------------
def never_turned_reference(base: float = KIMI_THETA, dim: int = 64, trained: int = TRAINED_L) -> int:
    return int(never_turned(swept_arc(inv_freq64(base, dim), trained)).sum())


def check_never_turned(answer, quiet: bool = False) -> CheckResult:
    return check_answer(
        "never_turned", answer, never_turned_reference(),
        hint=("over positions 0 .. L-1 pair i turns by (L-1) * b^(-2i/D) radians; it never completes a turn when "
              "that is below 2 pi. Solve for i (take logarithms), then count the pairs i <= D/2 - 1 above the bound."),
        quiet=quiet,
    )


# --- exercise 3 ---------------------------------------------------------------------------------
def port_apply_rotary(q, k, cos, sin, position_ids):
    """A half-fixed port: DeepSeek's de-interleave applied to q only, then the half-split rotation."""
    cos, sin = cos[position_ids].unsqueeze(1), sin[position_ids].unsqueeze(1)
    q = deinterleave(q)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def _score(rotate, q, k, cos, sin, m: int, n: int) -> float:
    q_rot, _ = rotate(q, q, cos, sin, torch.tensor([[m]]))
    _, k_rot = rotate(k, k, cos, sin, torch.tensor([[n]]))
    return float((q_rot * k_rot).sum())


def half_fixed_port_reference() -> tuple[bool, bool]:
    g = torch.Generator().manual_seed(11)
    q = torch.randn(1, 1, 1, 64, generator=g, dtype=torch.float64)
    k = torch.randn(1, 1, 1, 64, generator=g, dtype=torch.float64)
    cos, sin = cos_sin_tables(inv_freq_for_base(10000, 64).double(), 4096, torch.float64)
    positions = [(7, 0), (107, 100), (3007, 3000), (4000, 3993)]
    port = [_score(port_apply_rotary, q, k, cos, sin, m, n) for m, n in positions]
    deepseek = [_score(apply_rotary_pos_emb, q, k, cos, sin, m, n) for m, n in positions]
    relative = max(port) - min(port) < 1e-9 * max(1.0, max(abs(s) for s in port))
    same = all(abs(a - b) < 1e-9 for a, b in zip(port, deepseek))
    return relative, same


HALF_FIXED_PORT_ITEMS = ("(a), does the score depend only on m - n", "(b), is it DeepSeek's score")


def check_half_fixed_port(answer, quiet: bool = False) -> CheckResult:
    return check_answer(
        "half_fixed_port", answer, half_fixed_port_reference(),
        hint=("write the port's q after rotation as R_m P q and k as R_n k, with P the permutation and R_p the "
              "half-split rotation by the angles of position p. What is (R_m P q) . (R_n k), and which pairs of "
              "components does it multiply compared with DeepSeek's (R_m P q) . (R_n P k)?"),
        quiet=quiet,
        item_names=HALF_FIXED_PORT_ITEMS,
    )


# --- exercise 4 ---------------------------------------------------------------------------------
def check_interleave(fn, quiet: bool = False) -> CheckResult:
    g = torch.Generator().manual_seed(1)
    cases = [
        Case((torch.arange(8.0),), label="x = arange(8.)"),
        Case((torch.arange(2.0),), label="x = arange(2.) (one pair)"),
        Case((torch.randn(2, 3, 4, 16, generator=g),), label="x of shape (2, 3, 4, 16)"),
        Case((deinterleave(torch.arange(64.0)),), label="x = deinterleave(arange(64.))"),
    ]
    return check_exercise(
        "interleave", fn, interleave, cases, rtol=0.0, atol=0.0, quiet=quiet,
        hint=("deinterleave views the last axis as (D/2, 2) and swaps the two axes; undoing it views the last axis "
              "the other way round, as (2, D/2), swaps, and flattens. Keep the leading axes."),
    )
