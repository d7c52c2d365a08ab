"""Lesson 10's two synthetic tasks, generated from a seed (no downloads).

**Recall** (multi-query associative recall with filler). A sequence of length T ends with a
query block of 2P tokens, "q a q a ...", asking for each of P context keys once, in random
order; the context (the first T - 2P tokens) holds the P pairs "k v" (distinct keys drawn from
`n_keys`, values drawn with repetition from `n_values`) at random non-overlapping places among
filler tokens. Only the answers are scored: to predict a after q the model must find q in the
context and copy the token after it. Two versions:

* the standard one, P = T/8 (so the query block is the last T/4 tokens): the training task at
  T = L, but at T = 8L a query faces 8 times as many distractor keys;
* the control, P fixed (`RecallSpec.control_pairs`, = L/8 = 16 by default) at every length:
  the same difficulty in keys, with the answers spread over longer distances.

At T = L the two coincide. Token ids: keys 0..n_keys-1, values after them, filler after that.

**Language** (an order-2 Markov text with copied spans). Each next token is drawn from a fixed,
seeded, sparse table P(x_t | x_{t-2}, x_{t-1}) over a small alphabet (`LanguageSpec`): real
local structure. A model without a previous-token embedding can use it only by attending exactly
one token back; the committed language models have that embedding (see `train.model_config_for`),
so for them it needs no attention at all. Now and then a span of 12-32 tokens is copied
from a seeded distance back (at least `copy_min_distance`, at most the whole history), so some
tokens are predictable only by a long-range look-up. Every position is scored (next-token loss), and each
target is labelled: `MARKOV` (drawn from the table), `COPY_HEAD` (the first two tokens of a
copied span, which nothing can predict from the copy yet) or `COPY_BODY` (the rest of a span:
predictable from the source, `distance` tokens back).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

__all__ = [
    "ANSWER",
    "COPY_BODY",
    "COPY_HEAD",
    "MARKOV",
    "UNSCORED",
    "Batch",
    "LanguageSpec",
    "RecallSpec",
    "answer_positions",
    "make_language_batch",
    "make_recall_batch",
    "recall_pairs",
    "transition_table",
]

UNSCORED, ANSWER, MARKOV, COPY_HEAD, COPY_BODY = -1, 0, 1, 2, 3


@dataclass(frozen=True)
class RecallSpec:
    n_keys: int = 128
    n_values: int = 64
    n_filler: int = 64
    control_pairs: int = 16

    @property
    def vocab_size(self) -> int:
        return self.n_keys + self.n_values + self.n_filler


@dataclass(frozen=True)
class LanguageSpec:
    vocab_size: int = 32
    sparsity: float = 0.07          # table rows are u^(1/sparsity), normalised: a few likely successors each
    table_seed: int = 2024
    copy_start_prob: float = 0.05   # per non-copied position (from copy_min_distance on)
    copy_min_len: int = 12
    copy_max_len: int = 32
    copy_min_distance: int = 32


@dataclass
class Batch:
    tokens: torch.Tensor      # (B, T) int64 model input
    targets: torch.Tensor     # (B, T) int64 next token, -100 where not scored
    distance: torch.Tensor    # (B, T) int64 how far back the copied token sits (0 where none)
    kind: torch.Tensor        # (B, T) int64 ANSWER / MARKOV / COPY_HEAD / COPY_BODY, UNSCORED (-1)


def recall_pairs(seq_len: int, control: bool, spec: RecallSpec = RecallSpec()) -> int:
    """P, the number of key-value pairs (and of scored answers) per sequence."""
    return spec.control_pairs if control else seq_len // 8


def answer_positions(seq_len: int, n_pairs: int) -> list[int]:
    """Positions whose next token is a scored answer: the query keys, every other token of the last 2P."""
    return list(range(seq_len - 2 * n_pairs, seq_len, 2))


def make_recall_batch(batch_size: int, seq_len: int, generator: torch.Generator, spec: RecallSpec = RecallSpec(),
                      control: bool = False) -> Batch:
    """`batch_size` recall sequences of length `seq_len`, drawn with `generator` (deterministic)."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 8 or seq_len % 8:
        raise ValueError(f"seq_len must be a positive multiple of 8, got {seq_len!r}")
    P = recall_pairs(seq_len, control, spec)
    if P > spec.n_keys:
        raise ValueError(f"seq_len {seq_len} needs {P} distinct keys but n_keys is {spec.n_keys}")
    C = seq_len - 2 * P                      # context length; it must hold P pairs (2P tokens)
    if C < 2 * P:
        raise ValueError(f"seq_len {seq_len} is too short for {P} pairs (needs at least {4 * P})")
    B = batch_size
    keys = torch.rand(B, spec.n_keys, generator=generator).argsort(dim=1)[:, :P]
    values = torch.randint(0, spec.n_values, (B, P), generator=generator) + spec.n_keys
    filler = torch.randint(0, spec.n_filler, (B, C), generator=generator) + spec.n_keys + spec.n_values
    # Pair slots: choose P of the C - P "units" (a pair is one unit of 2 tokens, a filler token
    # one of 1), sorted; the j-th chosen unit u_j starts at token u_j + j (j pairs before it).
    units = torch.rand(B, C - P, generator=generator).argsort(dim=1)[:, :P].sort(dim=1).values
    starts = units + torch.arange(P)
    # every pair is asked once, in random order: no answer can be copied from an earlier query
    order = torch.rand(B, P, generator=generator).argsort(dim=1)

    tokens = torch.empty(B, seq_len, dtype=torch.long)
    tokens[:, :C] = filler
    tokens[:, :C].scatter_(1, starts, keys)
    tokens[:, :C].scatter_(1, starts + 1, values)
    tokens[:, C::2] = keys.gather(1, order)
    tokens[:, C + 1::2] = values.gather(1, order)

    query_pos = torch.tensor(answer_positions(seq_len, P))
    targets = torch.full((B, seq_len), -100, dtype=torch.long)
    targets[:, query_pos] = values.gather(1, order)
    distance = torch.zeros(B, seq_len, dtype=torch.long)
    distance[:, query_pos] = query_pos.unsqueeze(0) - (starts.gather(1, order) + 1)
    kind = torch.full((B, seq_len), UNSCORED, dtype=torch.long)
    kind[:, query_pos] = ANSWER
    return Batch(tokens, targets, distance, kind)


@functools.lru_cache(maxsize=4)
def transition_table(spec: LanguageSpec = LanguageSpec()) -> torch.Tensor:
    """Cumulative next-token probabilities, (V, V, V): [x_{t-2}, x_{t-1}] -> CDF over x_t."""
    V = spec.vocab_size
    gen = torch.Generator().manual_seed(spec.table_seed)
    weights = torch.rand(V, V, V, generator=gen, dtype=torch.float64) ** (1.0 / spec.sparsity)
    probs = weights / weights.sum(-1, keepdim=True)
    return probs.cumsum(-1)


def make_language_batch(batch_size: int, seq_len: int, generator: torch.Generator,
                        spec: LanguageSpec = LanguageSpec()) -> Batch:
    """`batch_size` texts of `seq_len` + 1 tokens: input the first `seq_len`, target the next one."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 4:
        raise ValueError(f"seq_len must be an int >= 4, got {seq_len!r}")
    B, n = batch_size, seq_len + 1
    cdf = transition_table(spec)
    x = torch.zeros(B, n, dtype=torch.long)
    kind = torch.full((B, n), MARKOV, dtype=torch.long)
    dist = torch.zeros(B, n, dtype=torch.long)
    x[:, :2] = torch.randint(0, spec.vocab_size, (B, 2), generator=generator)
    left = torch.zeros(B, dtype=torch.long)       # tokens still to copy in the current span
    offset = torch.zeros(B, dtype=torch.long)     # the span's distance back
    index = torch.zeros(B, dtype=torch.long)      # position inside the span
    rows = torch.arange(B)
    for t in range(2, n):
        u = torch.rand(B, 1, generator=generator, dtype=torch.float64)
        start_draw = torch.rand(B, generator=generator)
        length = torch.randint(spec.copy_min_len, spec.copy_max_len + 1, (B,), generator=generator)
        span_back = torch.randint(spec.copy_min_distance, max(t, spec.copy_min_distance) + 1, (B,),
                                  generator=generator)
        start = (left == 0) & (t >= spec.copy_min_distance) & (start_draw < spec.copy_start_prob)
        left = torch.where(start, length, left)
        offset = torch.where(start, span_back, offset)
        index = torch.where(start, 0, index)
        copying = left > 0
        markov = (cdf[x[:, t - 2], x[:, t - 1]] < u).sum(-1).clamp_max(spec.vocab_size - 1)
        x[:, t] = torch.where(copying, x[rows, (t - offset).clamp_min(0)], markov)
        kind[:, t] = torch.where(copying, torch.where(index < 2, COPY_HEAD, COPY_BODY), MARKOV)
        dist[:, t] = torch.where(copying, offset, 0)
        index = index + copying.long()
        left = left - copying.long()
    return Batch(x[:, :-1].contiguous(), x[:, 1:].contiguous(), dist[:, 1:].contiguous(), kind[:, 1:].contiguous())
