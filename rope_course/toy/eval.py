"""Evaluate the toy model past its training context under each RoPE scaling variant.

The evaluation set is drawn from a fixed seed: for each length T, `tokens_per_length // T`
sequences (so every length gets the same number of scored answers, T/8 per sequence).
Metrics are computed on the answer positions only (the ones that need a look-up):

* ``loss``: mean cross-entropy (nats) of the answer token;
* ``acc``: fraction of answers whose argmax is right (chance: 1/64 among the values);
* ``acc_far``: accuracy over the answers whose value sits more than L tokens back (None when
  T <= L, where no answer is that far).

Variants (`VARIANTS`, in table order), with s = `EvalSpec.target_factor` (= max length / L) for
the fixed-factor methods:

* ``none``: plain RoPE;
* ``linear``: position interpolation with s = max(1, T/L) chosen *per length* (the best case
  for PI: it is told the length it will see; at T <= L it is plain RoPE);
* ``ntk_fixed``: NTK-aware base b * s^(D/(D-2)) with the fixed s (also applied at T <= L);
* ``dynamic``: the course's `DynamicNTKScalingRotaryEmbedding` (faithful, stateful) with
  scaling_factor 1, i.e. a = max(1, T/L), one module per layer, lengths evaluated in
  increasing order on one model (so every call past L is a rebuild);
* ``dynamic_stateless``: the same formula recomputed per call, no state;
* ``yarn``: `YarnRotaryEmbedding` with the fixed s, original length L, beta 32/1, and DeepSeek's
  softmax temperature (1 + 0.1 ln s)^2.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from .data import TaskSpec, make_batch
from .model import ModelConfig, RopeSpec, ToyTransformer

__all__ = [
    "VARIANTS", "EvalSpec", "eval_set", "evaluate_batch", "evaluate_curve", "evaluate_table",
    "rope_for", "save_results", "load_results", "load_model", "history_experiment",
    "EXPLORER_LENGTHS", "EXPLORER_FACTORS", "explorer_eval_spec", "explorer_point", "explorer_grid",
]

VARIANTS = ("none", "linear", "ntk_fixed", "dynamic", "dynamic_stateless", "yarn")
PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class EvalSpec:
    lengths: tuple = (128, 192, 256, 384, 512, 768, 1024)
    tokens_per_length: int = 2048
    seed: int = 1234
    target_factor: float = 8.0
    dynamic_factor: float = 1.0
    batch_tokens: int = 4096

    @classmethod
    def quick(cls) -> "EvalSpec":
        return cls(lengths=(128, 256), tokens_per_length=512, target_factor=2.0)


def eval_set(spec: EvalSpec, task: TaskSpec = TaskSpec()) -> dict:
    """{T: Batch} drawn from one generator seeded with spec.seed, lengths in order."""
    gen = torch.Generator().manual_seed(spec.seed)
    return {T: make_batch(max(1, spec.tokens_per_length // T), T, gen, task) for T in spec.lengths}


def rope_for(kind: str, seq_len: int, L: int, spec: EvalSpec) -> RopeSpec:
    """The RopeSpec each variant uses at evaluation length `seq_len`."""
    if kind == "none":
        return RopeSpec("none")
    if kind == "linear":
        return RopeSpec("linear", max(1.0, seq_len / L))
    if kind in ("dynamic", "dynamic_stateless"):
        return RopeSpec(kind, spec.dynamic_factor)
    return RopeSpec(kind, spec.target_factor)


@torch.no_grad()
def evaluate_batch(model, batch, L: int, batch_tokens: int = 4096) -> dict:
    """Sum of loss, #correct, #far-correct, #answers, #far answers over `batch`, in chunks."""
    T = batch.tokens.shape[1]
    chunk = max(1, batch_tokens // T)
    loss_sum, correct, far_correct, n, n_far = 0.0, 0, 0, 0, 0
    for i in range(0, batch.tokens.shape[0], chunk):
        tokens = batch.tokens[i : i + chunk]
        targets = batch.targets[i : i + chunk]
        dist = batch.distance[i : i + chunk]
        logits = model(tokens)
        mask = targets != -100
        picked, target = logits[mask].double(), targets[mask]
        loss_sum += F.cross_entropy(picked, target, reduction="sum").item()
        hit = picked.argmax(-1) == target
        far = dist[mask] > L
        correct += int(hit.sum())
        far_correct += int((hit & far).sum())
        n += int(mask.sum())
        n_far += int(far.sum())
    return {"loss": loss_sum / n, "acc": correct / n, "acc_far": (far_correct / n_far) if n_far else None,
            "n": n, "n_far": n_far}


def evaluate_curve(model, kind: str, spec: EvalSpec, batches: dict | None = None, fresh_per_length=None) -> dict:
    """{T: metrics} for one variant over spec.lengths (increasing).

    Stateful variants ('dynamic') keep one model-wide set of modules across lengths (the way one
    model serves requests in turn); fixed ones get fresh modules per length (same numbers).
    """
    L = model.config.max_position_embeddings
    batches = batches if batches is not None else eval_set(spec)
    if fresh_per_length is None:
        fresh_per_length = kind != "dynamic"
    out = {}
    if not fresh_per_length:
        model.set_rope(rope_for(kind, spec.lengths[0], L, spec))
    for T in spec.lengths:
        if fresh_per_length:
            model.set_rope(rope_for(kind, T, L, spec))
        out[T] = evaluate_batch(model, batches[T], L, spec.batch_tokens)
    return out


def evaluate_table(model, spec: EvalSpec = EvalSpec(), progress=None, grid: bool = True) -> dict:
    """Every variant x every length, plus the history experiment and (if `grid`) the explorer's
    precomputed grid; a JSON-ready dict."""
    batches = eval_set(spec)
    L = model.config.max_position_embeddings
    table = {}
    for kind in VARIANTS:
        curve = evaluate_curve(model, kind, spec, batches)
        table[kind] = {str(T): m for T, m in curve.items()}
        if progress is not None:
            progress.write(f"  {kind:18s} " + " ".join(f"{T}:{m['acc']:.3f}" for T, m in curve.items()) + "\n")
    history = history_experiment(model, spec, batches)
    out = {}
    if grid:
        if progress is not None:
            progress.write("  explorer grid (dynamic NTK, scaling_factor 1..16) ...\n")
        out["explorer_grid"] = explorer_grid(
            model, spec, factors=EXPLORER_FACTORS if spec.lengths[-1] > 256 else (1.0, 2.0))
    model.set_rope(RopeSpec("none"))
    return {
        **out,
        "spec": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()},
        "L": L,
        "table": table,
        "history": history,
    }


def history_experiment(model, spec: EvalSpec, batches: dict) -> dict:
    """Faithful dynamic class: every length evaluated fresh, then again right after one call at
    the longest length (same modules, so the long call's adjusted inv_freq is still in place)."""
    L = model.config.max_position_embeddings
    longest = max(spec.lengths)
    after = {}
    for T in spec.lengths:
        model.set_rope(RopeSpec("dynamic", spec.dynamic_factor))
        warm = batches[longest].tokens[:1]
        with torch.no_grad():
            model(warm)                     # one long request first ...
        after[str(T)] = evaluate_batch(model, batches[T], L, spec.batch_tokens)   # ... then this one
    return {"after_length": longest, "after_long": after}


EXPLORER_LENGTHS = (128, 256, 384, 512, 768, 1024)
EXPLORER_FACTORS = tuple(1.0 + 0.25 * i for i in range(61))          # 1.00, 1.25, ..., 16.00


def explorer_eval_spec(spec: EvalSpec = EvalSpec()) -> EvalSpec:
    """The explorer's smaller evaluation set (its own seed), used for the scaling_factor grid."""
    lengths = tuple(T for T in EXPLORER_LENGTHS if T <= max(spec.lengths))
    return EvalSpec(lengths=lengths, tokens_per_length=min(1024, spec.tokens_per_length), seed=spec.seed + 1,
                    target_factor=spec.target_factor, batch_tokens=spec.batch_tokens)


def explorer_point(model, scaling_factor: float, seq_len: int, batches: dict, espec: EvalSpec) -> dict:
    """Dynamic NTK (stateless) with `scaling_factor` at one length of the explorer's set."""
    model.set_rope(RopeSpec("dynamic_stateless", float(scaling_factor)))
    return evaluate_batch(model, batches[seq_len], model.config.max_position_embeddings, espec.batch_tokens)


def explorer_grid(model, spec: EvalSpec = EvalSpec(), factors=EXPLORER_FACTORS) -> dict:
    """Accuracy and loss of dynamic NTK for every slider value x explorer length (precomputed:
    a model evaluation per slider move would be too slow for a smooth widget on this CPU).
    Lengths <= L do not depend on the factor (the base is unchanged there): evaluated once."""
    espec = explorer_eval_spec(spec)
    batches = eval_set(espec)
    L = model.config.max_position_embeddings
    acc, loss = [], []
    short = {T: explorer_point(model, 1.0, T, batches, espec) for T in espec.lengths if T <= L}
    for s in factors:
        row = [short[T] if T <= L else explorer_point(model, s, T, batches, espec) for T in espec.lengths]
        acc.append([m["acc"] for m in row])
        loss.append([m["loss"] for m in row])
    model.set_rope(RopeSpec("none"))
    none = [evaluate_batch(model, batches[T], L, espec.batch_tokens) for T in espec.lengths]
    return {
        "lengths": list(espec.lengths), "factors": list(factors), "acc": acc, "loss": loss,
        "none_acc": [m["acc"] for m in none], "none_loss": [m["loss"] for m in none],
    }


def save_results(results: dict, path) -> None:
    Path(path).write_text(json.dumps(results, indent=1) + "\n")


def load_results(path=PACKAGE_DIR / "eval_results.json") -> dict:
    return json.loads(Path(path).read_text())


def load_model(directory=PACKAGE_DIR) -> ToyTransformer:
    """The committed model (weights + config) in eval mode with plain RoPE."""
    directory = Path(directory)
    info = json.loads((directory / "toy_model.json").read_text())
    model = ToyTransformer(ModelConfig(**info["model_config"]))
    model.load_state_dict(torch.load(directory / "toy_model.pt", weights_only=True))
    return model.eval()
