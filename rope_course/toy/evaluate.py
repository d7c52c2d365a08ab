"""The offline evaluation grid of lesson 10: every method x length x evaluation set, per model.

Evaluation sets (fixed seeds, the same for every model and method, so comparisons are paired):

* ``recall`` (standard, P = T/8 pairs): at least 16 sequences and 1,024 answers per length;
* ``recall_control`` (P = 16 pairs at every length): 32 sequences (512 answers) per length;
* ``language``: at least 32 sequences and at least 16,128 scored tokens per length (16,384 at
  T = 128, 256, 512; 16,128 at 384; 32 sequences, so 24,576 and 32,768, at 768 and 1024).

For every sequence the grid keeps totals per *group* of scored positions (all of them, distance
bins, token kinds, position bins), so the lesson can resample whole sequences for its intervals
(`stats.py`). Besides the method grid, per model: the s sweep of dynamic NTK at 4L and 8L (lesson
06's s_min tested), the decode experiment (post- vs pre-RoPE cached keys vs one prefill), the
history experiment (DeepSeek's class and Hugging Face's rule after a long call), and the
explorer's grid (method x s x length, on smaller sets).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..attention import s_min
from .data import ANSWER, COPY_BODY, MARKOV
from .methods import METHODS, RopeSpec, apply_spec, rope_spec
from .model import decode_logits
from .train import batch_for

__all__ = [
    "DECODE_LENGTHS",
    "DISTANCE_BINS",
    "EXPLORER_FACTORS",
    "EXPLORER_METHODS",
    "HISTORY_LENGTHS",
    "LENGTHS",
    "SETS",
    "SWEEP_FACTORS",
    "SWEEP_LENGTHS",
    "eval_batch",
    "evaluate_method",
    "evaluate_model",
    "evaluate_served",
    "groups_for",
    "n_sequences",
    "score_batch",
]

LENGTHS = (128, 256, 384, 512, 768, 1024)
DISTANCE_BINS = ((1, 64), (65, 128), (129, 256), (257, 512), (513, 1024))
POSITION_BIN = 64
SETS = {"recall": ("recall", "recall_control"), "language": ("language",)}
SWEEP_LENGTHS = (512, 1024)
SWEEP_FACTORS = tuple(1.0 + 0.25 * k for k in range(17))           # 1.0 .. 5.0
DECODE_LENGTHS = (256, 512, 1024)
LANGUAGE_DECODE_TOKENS = 128
HISTORY_LENGTHS = (64, 96, 128, 256, 512)
EXPLORER_METHODS = ("pi_fixed", "pi_dynamic", "ntk_fixed", "ntk_dynamic", "yarn_fixed", "yarn_dynamic")
EXPLORER_FACTORS = tuple(float(k) for k in range(1, 9))              # 1 .. 8
EVAL_SEED = 1234
_SET_OFFSET = {"recall": 0, "recall_control": 100_000, "language": 200_000, "explorer_recall": 300_000,
               "explorer_language": 400_000}


def n_sequences(set_name: str, seq_len: int) -> int:
    if set_name == "recall":
        return max(16, math.ceil(1024 / (seq_len // 8)))
    if set_name == "recall_control":
        return 32
    if set_name == "language":
        return max(32, 16384 // seq_len)
    if set_name in ("explorer_recall", "explorer_language"):
        return max(8, 8192 // seq_len)
    raise ValueError(f"unknown evaluation set {set_name!r}")


def eval_batch(set_name: str, seq_len: int, n: int | None = None):
    """The fixed evaluation batch of `set_name` at `seq_len`: its own seed per set and length, the
    same for every model and method. A smaller `n` gives other sequences, not a prefix of the full set."""
    n = n_sequences(set_name, seq_len) if n is None else n
    gen = torch.Generator().manual_seed(EVAL_SEED + _SET_OFFSET[set_name] + seq_len)
    task = "language" if set_name.endswith("language") else "recall"
    return batch_for(task, n, seq_len, gen, control=set_name == "recall_control")


def groups_for(set_name: str, batch) -> dict[str, torch.Tensor]:
    """{group name: (B, T) bool mask} of the scored positions each group holds."""
    scored = batch.targets != -100
    d = batch.distance
    if set_name.endswith("language"):
        groups = {"all": scored, "markov": batch.kind == MARKOV, "copy_body": batch.kind == COPY_BODY}
        body = batch.kind == COPY_BODY
    else:
        groups = {"all": scored}
        body = batch.kind == ANSWER
    for lo, hi in DISTANCE_BINS:
        groups[f"d{lo}-{hi}"] = body & (d >= lo) & (d <= hi)
    T = batch.tokens.shape[1]
    if set_name == "language" and T == max(LENGTHS):
        pos = torch.arange(T).unsqueeze(0)
        for lo in range(0, T, POSITION_BIN):
            groups[f"p{lo}-{lo + POSITION_BIN - 1}"] = scored & (pos >= lo) & (pos < lo + POSITION_BIN)
    return groups


@torch.no_grad()
def logits_for(model, tokens, chunk_tokens: int = 16384):
    """(B, T) logits' log-loss and top-1 hit for every position's next token, in chunks of sequences."""
    B, T = tokens.shape
    step = max(1, chunk_tokens // T)
    return torch.cat([model(tokens[i:i + step]) for i in range(0, B, step)])


def score_logits(logits, batch, set_name):
    """{group: {"n", "correct", "loss"}} per-sequence totals (lists) from (B, T, V) logits."""
    targets = batch.targets
    loss = F.cross_entropy(logits.double().flatten(0, 1), targets.clamp_min(0).flatten(), reduction="none")
    loss = loss.view_as(targets)
    hit = logits.argmax(-1) == targets
    out = {}
    for name, mask in groups_for(set_name, batch).items():
        m = mask.double()
        out[name] = {"n": m.sum(1).long().tolist(), "correct": (hit.double() * m).sum(1).long().tolist(),
                     "loss": (loss * m).sum(1).tolist()}
    return out


def score_batch(model, batch, set_name):
    return score_logits(logits_for(model, batch.tokens), batch, set_name)


def evaluate_method(model, method: str, set_name: str, lengths=LENGTHS, scaling_factor=None, n=None) -> dict:
    """{T: group totals} for one stateless method (a fresh module per length)."""
    c = model.config
    out = {}
    for T in lengths:
        spec = rope_spec(method, T, c.max_position_embeddings, c.head_dim, c.rope_base, scaling_factor)
        apply_spec(model, spec)
        out[T] = score_batch(model, eval_batch(set_name, T, n), set_name)
    return out


def evaluate_served(model, set_name: str, lengths=LENGTHS, n=None, order_seed: int = 7) -> dict:
    """DeepSeek's faithful class as one server runs it: one set of modules (one per layer) answers
    every evaluation sequence of every length, one request at a time, in a seeded random order.
    Each request sees the state left by the longest request before it."""
    apply_spec(model, RopeSpec("deepseek", 1.0))
    batches = {T: eval_batch(set_name, T, n) for T in lengths}
    requests = [(T, i) for T in lengths for i in range(batches[T].tokens.shape[0])]
    order = torch.randperm(len(requests), generator=torch.Generator().manual_seed(order_seed)).tolist()
    logits = {T: [None] * batches[T].tokens.shape[0] for T in lengths}
    with torch.no_grad():
        for k in order:
            T, i = requests[k]
            logits[T][i] = model(batches[T].tokens[i:i + 1])
    return {T: score_logits(torch.cat(logits[T]), batches[T], set_name) for T in lengths}


def sweep(model, set_name: str, lengths=SWEEP_LENGTHS, factors=SWEEP_FACTORS, n=None) -> dict:
    """Dynamic NTK with class factor s over `factors`, at `lengths`: {T: {"factors", "n", "correct", "loss"}}
    with per-sequence totals over all scored positions (and the copy body for the language)."""
    c = model.config
    out = {}
    for T in lengths:
        batch = eval_batch(set_name, T, n)
        rows = []
        for s in factors:
            apply_spec(model, rope_spec("ntk_dynamic", T, c.max_position_embeddings, c.head_dim, c.rope_base, s))
            rows.append(score_logits(logits_for(model, batch.tokens), batch, set_name))
        keep = ("all", "copy_body") if set_name == "language" else ("all",)
        out[T] = {"factors": list(factors), "s_min": s_min(T, c.max_position_embeddings, c.head_dim, c.rope_base),
                  **{g: {"n": rows[0][g]["n"], "correct": [r[g]["correct"] for r in rows],
                         "loss": [r[g]["loss"] for r in rows]} for g in keep}}
    return out


def decode_experiment(model, set_name: str, lengths=DECODE_LENGTHS, n=None) -> dict:
    """DeepSeek's class decoding token by token with keys cached after RoPE ("post", upstream) and
    before RoPE ("pre", re-rotated every step), against one prefill ("prefill"); fresh modules for
    each. Recall decodes the query block, the language its last 128 tokens. Scored: the decoded
    positions only."""
    out = {}
    for T in lengths:
        batch = eval_batch(set_name, T, n)
        start = T - 2 * (T // 8) if set_name == "recall" else T - LANGUAGE_DECODE_TOKENS
        decoded = torch.zeros_like(batch.targets, dtype=torch.bool)
        decoded[:, start:] = True
        kept = batch.targets.masked_fill(~decoded, -100)
        view = type(batch)(batch.tokens, kept, batch.distance, batch.kind.masked_fill(~decoded, -1))
        row = {"prefill_len": start}
        for mode in ("prefill", "post", "pre"):
            apply_spec(model, RopeSpec("deepseek", 1.0))
            logits = logits_for(model, batch.tokens) if mode == "prefill" else decode_logits(
                model, batch.tokens, start, keys=mode)
            groups = score_logits(logits, view, set_name)
            row[mode] = {g: groups[g] for g in (("all", "markov", "copy_body") if set_name == "language" else ("all",))}
        out[T] = row
    return out


def history_experiment(model, set_name: str = "recall", lengths=HISTORY_LENGTHS, longest: int = 1024, n=None) -> dict:
    """For each length: DeepSeek's class fresh, and DeepSeek's class and Hugging Face's rule right
    after one request of `longest` tokens through the same modules."""
    out = {}
    long_tokens = eval_batch(set_name, longest).tokens[:1]
    for T in lengths:
        batch = eval_batch(set_name, T, n)
        row = {}
        for name, family, warm in (("fresh", "deepseek", False), ("deepseek_after_long", "deepseek", True),
                                   ("hf_after_long", "hf", True)):
            apply_spec(model, RopeSpec(family, 1.0))
            if warm:
                with torch.no_grad():
                    model(long_tokens)
            row[name] = {"all": score_batch(model, batch, set_name)["all"]}
        out[T] = row
    return out


def explorer_grid(model, set_name: str, methods=EXPLORER_METHODS, factors=EXPLORER_FACTORS, lengths=LENGTHS) -> dict:
    """Per-sequence totals (all scored positions) for method x s x length on the explorer's set."""
    c = model.config
    out = {}
    for method in methods:
        rows = []
        for s in factors:
            row = {}
            for T in lengths:
                if METHODS[method].mode == "dynamic" and T <= c.max_position_embeddings and rows:
                    row[T] = rows[0][T]              # plain RoPE inside the window, whatever s
                    continue
                apply_spec(model, rope_spec(method, T, c.max_position_embeddings, c.head_dim, c.rope_base, s))
                row[T] = {"all": score_batch(model, eval_batch(set_name, T), set_name)["all"]}
            rows.append(row)
        out[method] = rows
    apply_spec(model, RopeSpec("none"))
    out["none"] = [{T: {"all": score_batch(model, eval_batch(set_name, T), set_name)["all"]} for T in lengths}]
    return out


def evaluate_model(model, task: str, quick: bool = False, progress=None) -> dict:
    """Everything the lesson needs from one trained model, JSON-ready (per-sequence totals)."""
    lengths = (128, 256) if quick else LENGTHS
    n = 4 if quick else None
    sets = SETS[task]
    say = (lambda msg: progress.write(msg + "\n") or progress.flush()) if progress else (lambda msg: None)
    result = {"grid": {}, "served": {}, "sweep": {}, "decode": {}}
    for set_name in sets:
        grid = {}
        for method in METHODS:
            if METHODS[method].mode == "stateful":
                continue
            grid[method] = evaluate_method(model, method, set_name, lengths, n=n)
            say(f"  {set_name:15s} {method:20s} " + " ".join(
                f"{T}:{_mean(grid[method][T]['all'], task):.3f}" for T in lengths))
        result["grid"][set_name] = grid
        result["served"][set_name] = evaluate_served(model, set_name, lengths, n=n)
        say(f"  {set_name:15s} deepseek_class (served) done")
        result["sweep"][set_name] = sweep(model, set_name, (256,) if quick else SWEEP_LENGTHS,
                                          SWEEP_FACTORS[:3] if quick else SWEEP_FACTORS, n=n)
        say(f"  {set_name:15s} s sweep done")
    main = sets[0]
    result["decode"][main] = decode_experiment(model, main, (256,) if quick else DECODE_LENGTHS, n=n)
    say(f"  {main:15s} decode experiment done")
    if task == "recall":
        result["history"] = history_experiment(model, "recall", (64, 128) if quick else HISTORY_LENGTHS,
                                               longest=256 if quick else 1024, n=n)
        say("  recall history experiment done")
    explorer_set = "explorer_" + task
    result["explorer"] = explorer_grid(model, explorer_set, EXPLORER_METHODS[:2] if quick else EXPLORER_METHODS,
                                       EXPLORER_FACTORS[:2] if quick else EXPLORER_FACTORS, lengths)
    say(f"  {explorer_set} grid done")
    apply_spec(model, RopeSpec("none"))
    return result


def _mean(group, task):
    key = "correct" if task == "recall" else "loss"
    return float(np.sum(group[key]) / max(1, np.sum(group["n"])))
