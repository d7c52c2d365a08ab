"""Train the toy model on associative recall at context L, then evaluate and save everything.

    python -m rope_course.toy train            # the committed run (about 2-3 min on 1 CPU core)
    python -m rope_course.toy train --quick --out-dir /tmp/x   # a few steps, for tests

Deterministic given `--seed` (and the thread count, which is fixed by `--threads`): the model
init, every training batch and the evaluation set are drawn from seeded generators.
Writes into `--out-dir` (default: this package's folder):

* `toy_model.pt`: the state_dict (float32, about 0.55 MB);
* `toy_model.json`: model config, task spec, training config and final training metrics;
* `eval_results.json`: the evaluation table (variant x length), see `eval.py`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from .data import TaskSpec, make_batch
from .model import ModelConfig, ToyTransformer

PACKAGE_DIR = Path(__file__).resolve().parent
WEIGHTS_NAME = "toy_model.pt"
CONFIG_NAME = "toy_model.json"
EVAL_NAME = "eval_results.json"


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    steps: int = 500
    batch_size: int = 32
    lr: float = 3e-3
    warmup: int = 50
    weight_decay: float = 0.01
    threads: int = 1


def scored_loss(model, batch):
    """Cross-entropy on the scored (answer) positions only; returns (loss, accuracy, count)."""
    logits = model(batch.tokens)
    mask = batch.targets != -100
    picked = logits[mask]
    target = batch.targets[mask]
    loss = F.cross_entropy(picked, target)
    acc = (picked.argmax(-1) == target).float().mean()
    return loss, acc, int(mask.sum())


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


def train(model_config: ModelConfig = ModelConfig(), task: TaskSpec = TaskSpec(), cfg: TrainConfig = TrainConfig(),
          out=sys.stdout):
    """Train from scratch; returns (model, metrics dict). Prints a plain-text progress bar to `out`."""
    torch.set_num_threads(cfg.threads)
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
        batch = make_batch(cfg.batch_size, L, data_gen, task)
        loss, acc, _ = scored_loss(model, batch)
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
    # final training metrics on a fixed held-out batch at length L
    held_gen = torch.Generator().manual_seed(cfg.seed + 2)
    with torch.no_grad():
        batch = make_batch(256, L, held_gen, task)
        loss, acc, n = scored_loss(model, batch)
    metrics = {
        "final_train_loss_ema": round(ema_loss, 6),
        "final_train_acc_ema": round(ema_acc, 6),
        "heldout_loss_at_L": loss.item(),
        "heldout_acc_at_L": acc.item(),
        "heldout_answers": n,
        "history": history,
    }
    return model, metrics


def save(model, metrics, model_config, task, cfg, out_dir: Path, train_seconds: float | None = None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_dir / WEIGHTS_NAME)
    info = {
        "model_config": model_config.to_dict(),
        "task": asdict(task),
        "train_config": asdict(cfg),
        "metrics": metrics,
        "torch_version": torch.__version__,
    }
    if train_seconds is not None:
        info["train_seconds"] = round(train_seconds, 1)
    (out_dir / CONFIG_NAME).write_text(json.dumps(info, indent=2) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rope_course.toy train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few steps and a tiny evaluation (for tests)")
    parser.add_argument("--out-dir", default=None, help="where to write (default: the rope_course/toy package)")
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--threads", type=int, default=TrainConfig.threads,
                        help="torch threads (1 by default: on a shared 2-core CPU one thread was 3x faster)")
    parser.add_argument("--no-eval", action="store_true", help="skip writing eval_results.json")
    args = parser.parse_args(argv)
    if args.quick and args.out_dir is None:
        parser.error("--quick needs --out-dir (never overwrite the committed weights with a quick run)")
    steps = args.steps if args.steps is not None else (5 if args.quick else TrainConfig.steps)
    cfg = TrainConfig(seed=args.seed, steps=steps, threads=args.threads,
                      warmup=min(TrainConfig.warmup, max(1, steps // 2)))
    model_config, task = ModelConfig(), TaskSpec()
    out_dir = Path(args.out_dir) if args.out_dir else PACKAGE_DIR
    start = time.time()
    model, metrics = train(model_config, task, cfg)
    elapsed = time.time() - start
    save(model, metrics, model_config, task, cfg, out_dir, train_seconds=None if args.quick else elapsed)
    print(f"held-out at L={model_config.max_position_embeddings}: loss {metrics['heldout_loss_at_L']:.4f}, "
          f"acc {metrics['heldout_acc_at_L']:.4f}  ({elapsed:.0f}s)")
    if not args.no_eval:
        from .eval import EvalSpec, evaluate_table, save_results

        spec = EvalSpec.quick() if args.quick else EvalSpec()
        results = evaluate_table(model, spec, progress=sys.stdout)
        save_results(results, out_dir / EVAL_NAME)
    print(f"wrote {out_dir}")
    return 0
