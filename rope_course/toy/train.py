"""Train one toy model (a task, a seed) at context L and save its weights and metrics.

Deterministic given the seed and the thread count (fixed by `TrainConfig.threads`): the model
init and every batch come from seeded generators. `train` leaves torch's global state as it
found it (thread count and RNG state). Weights go to `WEIGHTS_DIR/<task>_seed<N>.pt` (float32,
about 0.5 MB each) with a `.json` beside it (configs, metrics, training time).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from .data import LanguageSpec, RecallSpec, make_language_batch, make_recall_batch
from .model import ModelConfig, ToyTransformer

__all__ = [
    "SEEDS",
    "TASKS",
    "WEIGHTS_DIR",
    "TrainConfig",
    "batch_for",
    "model_config_for",
    "save",
    "scored_loss",
    "task_spec_for",
    "train",
    "train_config_for",
    "weights_path",
]

TASKS = ("recall", "language")
SEEDS = (0, 1, 2)
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class TrainConfig:
    task: str = "recall"
    seed: int = 0
    steps: int = 700
    batch_size: int = 32
    lr: float = 3e-3
    warmup: int = 50
    weight_decay: float = 0.01
    threads: int = 1


def task_spec_for(task: str):
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return RecallSpec() if task == "recall" else LanguageSpec()


def model_config_for(task: str) -> ModelConfig:
    """The architecture the committed models of `task` were trained with.

    Both tasks use the previous-token embedding. For the language that was not the intent (its
    local order was meant to go through attention and RoPE), but an earlier `ToyTransformer`
    ignored `prev_token_embedding=False`, so the committed language models have it and were
    evaluated with it (lesson 10 measures what that means). A language model without it needs
    `prev_token_embedding=False` here, new training and a new evaluation grid.
    """
    return ModelConfig(vocab_size=task_spec_for(task).vocab_size, prev_token_embedding=True)


def train_config_for(task: str, seed: int, steps: int | None = None) -> TrainConfig:
    task_spec_for(task)      # validates the name
    default = (TrainConfig(task=task, seed=seed, steps=700) if task == "recall"
               else TrainConfig(task=task, seed=seed, steps=800, lr=5e-3))
    if steps is None:
        return default
    return replace(default, steps=steps, warmup=min(default.warmup, max(1, steps // 2)))


def batch_for(task: str, batch_size: int, seq_len: int, generator: torch.Generator, control: bool = False):
    spec = task_spec_for(task)
    if task == "recall":
        return make_recall_batch(batch_size, seq_len, generator, spec, control=control)
    return make_language_batch(batch_size, seq_len, generator, spec)


def scored_loss(model, batch):
    """Mean cross-entropy over the scored positions, and their accuracy and count."""
    logits = model(batch.tokens)
    mask = batch.targets != -100
    picked, target = logits[mask], batch.targets[mask]
    loss = F.cross_entropy(picked, target)
    return loss, (picked.argmax(-1) == target).float().mean(), int(mask.sum())


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * progress))


def progress_line(step, total, loss, acc, elapsed):
    width = 30
    done = int(width * step / total)
    bar = "#" * done + "." * (width - done)
    return f"\r[{bar}] step {step:5d}/{total}  loss {loss:.3f}  acc {acc:.3f}  {elapsed:5.0f}s"


def _train(cfg: TrainConfig, out):
    model_config = model_config_for(cfg.task)
    torch.manual_seed(cfg.seed)
    model = ToyTransformer(model_config)
    data_gen = torch.Generator().manual_seed(cfg.seed + 1)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr, betas=(0.9, 0.98),
    )
    L = model_config.max_position_embeddings
    start = time.time()
    ema_loss = ema_acc = None
    history = []
    model.train()
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss, acc, _ = scored_loss(model, batch_for(cfg.task, cfg.batch_size, L, data_gen))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv, av = loss.item(), acc.item()
        ema_loss = lv if ema_loss is None else 0.95 * ema_loss + 0.05 * lv
        ema_acc = av if ema_acc is None else 0.95 * ema_acc + 0.05 * av
        if step % 50 == 0 or step == cfg.steps - 1:
            history.append({"step": step, "loss": round(lv, 4), "acc": round(av, 4)})
        if step % 10 == 0 or step == cfg.steps - 1:
            out.write(progress_line(step + 1, cfg.steps, ema_loss, ema_acc, time.time() - start))
            out.flush()
    out.write("\n")
    model.eval()
    with torch.no_grad():      # a fixed held-out batch at length L
        loss, acc, n = scored_loss(model, batch_for(cfg.task, 64, L, torch.Generator().manual_seed(cfg.seed + 2)))
    metrics = {"heldout_loss_at_L": loss.item(), "heldout_acc_at_L": acc.item(), "heldout_scored": n,
               "history": history}
    return model, metrics


def train(cfg: TrainConfig = TrainConfig(), out=sys.stdout):
    """Train from scratch; returns (model, metrics). Prints a plain-text progress bar to `out`.

    torch's thread count and global RNG state are restored afterwards, so a notebook or a test
    that calls this is left exactly as it was.
    """
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(cfg.threads)
        with torch.random.fork_rng(devices=[]):
            return _train(cfg, out)
    finally:
        torch.set_num_threads(threads)


def weights_path(task: str, seed: int, directory=WEIGHTS_DIR) -> Path:
    return Path(directory) / f"{task}_seed{seed}.pt"


def save(model, metrics, cfg: TrainConfig, directory=WEIGHTS_DIR, train_seconds: float | None = None) -> Path:
    path = weights_path(cfg.task, cfg.seed, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    info = {"model_config": model.config.to_dict(), "task_spec": asdict(task_spec_for(cfg.task)),
            "train_config": asdict(cfg), "metrics": metrics, "torch_version": torch.__version__}
    if train_seconds is not None:
        info["train_seconds"] = round(train_seconds, 1)
    path.with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    return path


def load_model(task: str, seed: int, directory=WEIGHTS_DIR) -> ToyTransformer:
    """A trained model (weights + config) in eval mode with plain RoPE."""
    path = weights_path(task, seed, directory)
    info = json.loads(path.with_suffix(".json").read_text())
    model = ToyTransformer(ModelConfig(**info["model_config"]))
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()
