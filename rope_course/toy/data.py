"""Synthetic multi-query associative recall (MQAR) with filler, generated from a seed.

A sequence of length T (a multiple of 8) has two parts:

* **context** (the first 3T/4 tokens): T/8 key-value pairs "k v" with *distinct* keys (drawn
  from `n_keys` key tokens) and values drawn with repetition from `n_values` value tokens, placed
  at random non-overlapping spots among filler tokens (drawn from `n_filler` filler tokens);
* **queries** (the last T/4 tokens): "q a q a ..." asking for every context key once, in random
  order; a is the value that followed q in the context.

The only predictable tokens are the answers a: the model must find q earlier in the context
and copy the token after it. Those answer positions are the only ones scored (training and
evaluation). The distance from an answer back to the value it copies is spread over 1..T,
so at T > L many answers need a look-up further back than anything seen in training.

Token ids: keys 0..n_keys-1, values n_keys..n_keys+n_values-1, filler after that.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["TaskSpec", "Batch", "make_batch", "n_pairs", "n_queries"]


@dataclass(frozen=True)
class TaskSpec:
    n_keys: int = 128
    n_values: int = 64
    n_filler: int = 64

    @property
    def vocab_size(self) -> int:
        return self.n_keys + self.n_values + self.n_filler


@dataclass
class Batch:
    tokens: torch.Tensor      # (B, T) int64 input ids
    targets: torch.Tensor     # (B, T) int64: the next token, -100 where not scored
    distance: torch.Tensor    # (B, T) int64: how far back the copied value sits (0 where not scored)


def n_pairs(seq_len: int) -> int:
    return seq_len // 8


def n_queries(seq_len: int) -> int:
    return seq_len // 8


def make_batch(batch_size: int, seq_len: int, generator: torch.Generator, spec: TaskSpec = TaskSpec()) -> Batch:
    """`batch_size` sequences of length `seq_len` drawn with `generator` (deterministic)."""
    if seq_len % 8 or seq_len < 8:
        raise ValueError(f"seq_len must be a positive multiple of 8, got {seq_len}")
    P, Q = n_pairs(seq_len), n_queries(seq_len)
    if P > spec.n_keys:
        raise ValueError(f"seq_len {seq_len} needs {P} distinct keys but n_keys is {spec.n_keys}")
    B, C = batch_size, 3 * seq_len // 4          # C: context length (3T/4), holds P pairs (2P = T/4 tokens)
    keys = torch.rand(B, spec.n_keys, generator=generator).argsort(dim=1)[:, :P]
    values = torch.randint(0, spec.n_values, (B, P), generator=generator) + spec.n_keys
    filler = torch.randint(0, spec.n_filler, (B, C), generator=generator) + spec.n_keys + spec.n_values
    # Pair slots: choose P of the C - P "units" (a pair is one unit of 2 tokens, a filler one of
    # 1), sorted; the j-th chosen unit u_j starts at token u_j + j (the j pairs before it add one).
    units = torch.rand(B, C - P, generator=generator).argsort(dim=1)[:, :P].sort(dim=1).values
    starts = units + torch.arange(P)                                  # (B, P) key positions
    # each pair is asked for exactly once, in random order (so no answer can be copied from an
    # earlier query: every answer has to come from the context)
    which = torch.rand(B, P, generator=generator).argsort(dim=1)[:, :Q]
    q_keys = keys.gather(1, which)
    q_vals = values.gather(1, which)

    tokens = torch.empty(B, seq_len, dtype=torch.long)
    tokens[:, :C] = filler
    tokens[:, :C].scatter_(1, starts, keys)
    tokens[:, :C].scatter_(1, starts + 1, values)
    tokens[:, C::2] = q_keys
    tokens[:, C + 1 :: 2] = q_vals

    # next-token targets: score only the answers (predicted at the query position)
    targets = torch.full((B, seq_len), -100, dtype=torch.long)
    query_pos = C + 2 * torch.arange(Q)
    targets[:, query_pos] = q_vals
    distance = torch.zeros(B, seq_len, dtype=torch.long)
    distance[:, query_pos] = query_pos.unsqueeze(0) - (starts.gather(1, which) + 1)
    return Batch(tokens, targets, distance)
