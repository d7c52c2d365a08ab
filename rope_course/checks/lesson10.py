"""Checkers for lesson 10 (does it extrapolate?)."""

from __future__ import annotations

import torch

from ._core import Case, check_exercise

__all__ = [
    "reference_ntk_fixed_base", "check_ntk_fixed_base",
    "reference_answer_positions", "check_answer_positions",
    "reference_answer_accuracy", "check_answer_accuracy",
]


def reference_ntk_fixed_base(base, dim, scaling_factor):
    """Static NTK-aware base: b * s^(D/(D-2))."""
    return base * scaling_factor ** (dim / (dim - 2))


def check_ntk_fixed_base(fn, quiet=False):
    cases = [
        Case((100.0, 32, 8.0), label="base=100, dim=32, s=8 (the toy's ntk_fixed)"),
        Case((10000.0, 64, 2.0), label="base=10000, dim=64, s=2"),
        Case((10000.0, 128, 4.0), label="base=10000, dim=128, s=4"),
        Case((500.0, 4, 3.0), label="base=500, dim=4, s=3"),
        Case((100.0, 32, 1.0), label="s=1 (no change)"),
    ]
    return check_exercise("ntk_fixed_base", fn, reference_ntk_fixed_base, cases, rtol=1e-9, quiet=quiet)


def reference_answer_positions(seq_len):
    """Positions whose next token is a scored answer: 3T/4 + 2j for j < T/8, as a list of ints."""
    context = 3 * seq_len // 4
    return [context + 2 * j for j in range(seq_len // 8)]


def check_answer_positions(fn, quiet=False):
    cases = [Case((T,), label=f"seq_len={T}") for T in (8, 16, 128, 1024)]
    return check_exercise("answer_positions", lambda T: list(fn(T)), reference_answer_positions, cases, quiet=quiet)


def reference_answer_accuracy(logits, targets):
    """Fraction of scored positions (targets != -100) where argmax(logits) == target, as a float."""
    mask = targets != -100
    return (logits[mask].argmax(-1) == targets[mask]).double().mean().item()


def _accuracy_cases():
    gen = torch.Generator().manual_seed(10)
    cases = []
    for B, T, V in [(2, 8, 5), (3, 16, 7), (1, 24, 4)]:
        logits = torch.randn(B, T, V, generator=gen)
        targets = torch.full((B, T), -100, dtype=torch.long)
        pos = torch.arange(3 * T // 4, T, 2)
        # make two answers in three right, so wrong scorings differ from the right one
        picks = logits[:, pos].argmax(-1)
        wrong = (picks + 1) % V
        right = (torch.arange(B).unsqueeze(1) + torch.arange(len(pos)).unsqueeze(0)) % 3 != 0
        targets[:, pos] = torch.where(right, picks, wrong)
        cases.append(Case((logits, targets), label=f"logits {tuple(logits.shape)}, {B * len(pos)} scored answers"))
    return cases


def check_answer_accuracy(fn, quiet=False):
    def as_float(logits, targets):
        out = fn(logits, targets)
        return out.item() if isinstance(out, torch.Tensor) else out

    return check_exercise("answer_accuracy", as_float, reference_answer_accuracy, _accuracy_cases(), quiet=quiet)
