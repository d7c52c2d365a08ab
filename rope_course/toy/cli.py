"""Command line of `python -m rope_course.toy`: train, evaluate, merge, all.

Files: weights in `rope_course/toy/weights/` (`<task>_seed<N>.pt` and `.json`), one partial
result per model in the work directory (`build/toy/` by default, not committed), and the merged
grid in `rope_course/toy/results.json` (committed; the lesson reads it). With `--quick`,
everything goes under `--out-dir` (required, so a quick run never overwrites the committed files).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from .results import RESULTS_PATH, merge_partials
from .train import SEEDS, TASKS, WEIGHTS_DIR, load_model, save, train, train_config_for

WORK_DIR = Path("build") / "toy"


def _dirs(args):
    if args.quick:
        if args.out_dir is None:
            raise SystemExit("--quick needs --out-dir (never overwrite the committed weights with a quick run)")
        root = Path(args.out_dir)
        return root / "weights", root / "work", root / "results.json"
    return WEIGHTS_DIR, Path(args.work_dir), RESULTS_PATH


def train_one(task, seed, weights_dir, quick=False, steps=None, out=sys.stdout):
    cfg = train_config_for(task, seed, 5 if quick and steps is None else steps)
    out.write(f"train {task} seed {seed}: {cfg.steps} steps\n")
    start, cpu_start = time.time(), time.process_time()
    model, metrics = train(cfg, out=out)
    elapsed = time.time() - start
    metrics["cpu_seconds"] = None if quick else round(time.process_time() - cpu_start, 1)
    path = save(model, metrics, cfg, weights_dir, train_seconds=None if quick else elapsed)
    out.write(f"  held-out at L: loss {metrics['heldout_loss_at_L']:.4f}, acc {metrics['heldout_acc_at_L']:.4f}"
              f"  ({elapsed:.0f}s) -> {path}\n")
    return path


def evaluate_one(task, seed, weights_dir, work_dir, quick=False, out=sys.stdout):
    from .evaluate import evaluate_model

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = load_model(task, seed, weights_dir)
        out.write(f"evaluate {task} seed {seed}\n")
        start, cpu_start = time.time(), time.process_time()
        result = evaluate_model(model, task, quick=quick, progress=out)
    finally:
        torch.set_num_threads(threads)
    result.update(task=task, seed=seed, quick=quick, seconds=None if quick else round(time.time() - start, 1),
                  cpu_seconds=None if quick else round(time.process_time() - cpu_start, 1))
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"{task}_seed{seed}.json"
    path.write_text(json.dumps(result) + "\n")
    out.write(f"  -> {path}\n")
    return path


def _job(kind, task, seed, weights_dir, work_dir, quick, steps):
    if kind == "train":
        return str(train_one(task, seed, weights_dir, quick, steps))
    return str(evaluate_one(task, seed, weights_dir, work_dir, quick))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rope_course.toy", description="Lesson 10's toy models.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [("train", "train one model"), ("evaluate", "evaluate one trained model"),
                            ("merge", "pool the partial results into results.json"),
                            ("all", "train every model, evaluate them, merge")]:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--quick", action="store_true", help="a few steps and a tiny grid, for tests")
        p.add_argument("--out-dir", default=None, help="with --quick: where everything goes")
        p.add_argument("--work-dir", default=str(WORK_DIR), help="partial results (default build/toy)")
        if name in ("train", "evaluate"):
            p.add_argument("--task", choices=TASKS, required=True)
            p.add_argument("--seed", type=int, required=True)
        if name in ("train", "all"):
            p.add_argument("--steps", type=int, default=None, help="override the training steps")
        if name == "all":
            p.add_argument("--jobs", type=int, default=1, help="models trained / evaluated in parallel")
            p.add_argument("--skip-train", action="store_true", help="use the weights already there")
    args = parser.parse_args(argv)
    weights_dir, work_dir, results_path = _dirs(args)
    if args.command == "train":
        train_one(args.task, args.seed, weights_dir, args.quick, args.steps)
    elif args.command == "evaluate":
        evaluate_one(args.task, args.seed, weights_dir, work_dir, args.quick)
    elif args.command == "merge":
        merge_partials(work_dir, results_path, seeds=(0,) if args.quick else SEEDS)
        print(f"wrote {results_path}")
    else:
        models = [(task, seed) for task in TASKS for seed in ((0,) if args.quick else SEEDS)]
        kinds = ("evaluate",) if args.skip_train else ("train", "evaluate")
        for kind in kinds:
            jobs = [(kind, task, seed, weights_dir, work_dir, args.quick, args.steps) for task, seed in models]
            if args.jobs > 1:
                with ProcessPoolExecutor(args.jobs) as pool:
                    list(pool.map(_job, *zip(*jobs)))
            else:
                for job in jobs:
                    _job(*job)
        merge_partials(work_dir, results_path, seeds=(0,) if args.quick else SEEDS)
        print(f"wrote {results_path}")
    return 0
