"""The committed evaluation grid (`results.json`): how it is merged from the per-model partial
results, and how the lesson reads it.

All three seeds of a task are evaluated on the same sequences, so the merged grid keeps, per
sequence, the totals *summed over the seeds* (`pooled`): a cluster-bootstrap interval over those
sequences (`stats.py`) is then an interval for the seed-averaged model (the counts `n` are summed
over the seeds too, so a ratio is the mean over seeds), and a paired comparison
of two methods resamples the same sequences for both. The per-seed totals (summed over the
sequences) are kept too (`per_seed`), to show the spread between seeds and to check a live
re-evaluation exactly. The s sweeps stay per seed, per sequence.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from . import stats

__all__ = ["RESULTS_PATH", "interval", "load_results", "merge_partials"]

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def _sum_seeds(groups_per_seed):
    """[{group: {"n", "correct", "loss"}} per seed] -> {group: pooled per-sequence lists} and per-seed totals."""
    pooled, per_seed = {}, {}
    for g in groups_per_seed[0]:
        rows = [s[g] for s in groups_per_seed]
        if any(r["n"] != rows[0]["n"] for r in rows):
            raise ValueError(f"group {g}: the seeds were not scored on the same sequences")
        pooled[g] = {"n": [k * len(rows) for k in rows[0]["n"]],       # scored positions, summed over the seeds
                     "correct": np.sum([r["correct"] for r in rows], axis=0).astype(int).tolist(),
                     "loss": [round(v, 6) for v in np.sum([r["loss"] for r in rows], axis=0).tolist()]}
        per_seed[g] = [[int(np.sum(r["correct"])), float(np.sum(r["loss"]))] for r in rows]
    return pooled, per_seed


def _pool(values_per_seed):
    """Recursively pool dicts whose leaves are group dicts {"n", "correct", "loss"}."""
    first = values_per_seed[0]
    if isinstance(first, dict) and first and all(isinstance(v, dict) and "n" in v for v in first.values()):
        pooled, per_seed = _sum_seeds(values_per_seed)
        return {"pooled": pooled, "per_seed": per_seed}
    if isinstance(first, dict):
        return {k: _pool([v[k] for v in values_per_seed]) for k in first}
    if isinstance(first, list):
        return [_pool([v[i] for v in values_per_seed]) for i in range(len(first))]
    return first


def merge_partials(work_dir, out_path=RESULTS_PATH, seeds=(0, 1, 2)) -> dict:
    """Read `<task>_seed<N>.json` for every task and seed, pool, and write `out_path`."""
    from .evaluate import DISTANCE_BINS, EXPLORER_FACTORS, EXPLORER_METHODS, LENGTHS
    from .methods import FIXED_FACTOR, METHODS, TOY_BETAS, V3_BETAS
    from .train import TASKS

    work_dir = Path(work_dir)
    merged = {"meta": {"lengths": list(LENGTHS), "distance_bins": [list(b) for b in DISTANCE_BINS],
                       "seeds": list(seeds), "fixed_factor": FIXED_FACTOR, "toy_betas": list(TOY_BETAS),
                       "v3_betas": list(V3_BETAS), "methods": {k: m.label for k, m in METHODS.items()},
                       "explorer_methods": list(EXPLORER_METHODS), "explorer_factors": list(EXPLORER_FACTORS),
                       "bootstrap": {"n_boot": stats.N_BOOT, "level": 0.95}},
              "tasks": {}}
    for task in TASKS:
        parts = [json.loads((work_dir / f"{task}_seed{s}.json").read_text()) for s in seeds]
        entry = {"quick": parts[0]["quick"], "eval_seconds": [p["seconds"] for p in parts],
                 "eval_cpu_seconds": [p.get("cpu_seconds") for p in parts]}
        for key in ("grid", "served", "decode", "history", "explorer"):
            if key in parts[0]:
                entry[key] = _pool([p[key] for p in parts])
        entry["sweep"] = {set_name: {T: {**{k: v for k, v in per_T.items() if k not in ("all", "copy_body")},
                                         "seeds": [p["sweep"][set_name][T] for p in parts]}
                                     for T, per_T in sweep.items()}
                          for set_name, sweep in parts[0]["sweep"].items()}
        for rows in entry["sweep"].values():
            for per_T in rows.values():
                per_T["seeds"] = [{g: v for g, v in s.items() if g in ("all", "copy_body")} for s in per_T["seeds"]]
        entry["training"] = [json.loads(p.with_suffix(".json").read_text())
                             for p in _weight_files(task, seeds, Path(out_path), parts[0]["quick"])]
        metric = "acc" if task == "recall" else "loss"
        entry["explorer_summary"] = {method: [[interval(row[T]["pooled"]["all"], metric) for T in row] for row in rows]
                                     for method, rows in entry["explorer"].items()}
        del entry["explorer"]
        merged["tasks"][task] = entry
    Path(out_path).write_text(json.dumps(merged, separators=(",", ":")) + "\n")
    load_results.cache_clear()
    return merged


def _weight_files(task, seeds, out_path, quick):
    from .train import WEIGHTS_DIR, weights_path

    directory = out_path.parent / "weights" if quick else WEIGHTS_DIR
    return [weights_path(task, s, directory) for s in seeds]


@functools.lru_cache(maxsize=2)
def load_results(path=RESULTS_PATH) -> dict:
    return json.loads(Path(path).read_text())


def interval(group: dict, metric: str = "acc", seed: int = 0):
    """(estimate, low, high) for a pooled group: accuracy (correct / n) or mean loss (loss / n)."""
    numer = group["correct"] if metric == "acc" else group["loss"]
    return stats.ratio_interval(numer, group["n"], seed=seed)


class Grid:
    """Read-only views of one task's merged results (`load_results()["tasks"][task]`).

    `group(set_name, method, T, name)` is the pooled per-sequence group (method "deepseek_class"
    reads the served run); `estimate` gives (value, low, high) of accuracy ("acc") or mean loss
    ("loss") with a cluster-bootstrap interval; `per_seed` the three seeds' values; `difference`
    a paired interval of method a minus method b on the same sequences.
    """

    def __init__(self, task: str, results: dict | None = None):
        self.task = task
        self.data = (results or load_results())["tasks"][task]

    def group(self, set_name: str, method: str, T: int, name: str = "all") -> dict:
        source = self.data["served"][set_name] if method == "deepseek_class" else self.data["grid"][set_name][method]
        return source[str(T)]["pooled"][name]

    def estimate(self, set_name, method, T, name="all", metric="acc"):
        return interval(self.group(set_name, method, T, name), metric)

    def per_seed(self, set_name, method, T, name="all", metric="acc"):
        source = self.data["served"][set_name] if method == "deepseek_class" else self.data["grid"][set_name][method]
        seeds = source[str(T)]["per_seed"][name]
        n = sum(self.group(set_name, method, T, name)["n"]) / len(seeds)
        return [(c if metric == "acc" else loss) / n for c, loss in seeds]

    def difference(self, set_name, method_a, method_b, T, name="all", metric="acc"):
        a, b = self.group(set_name, method_a, T, name), self.group(set_name, method_b, T, name)
        if a["n"] != b["n"]:          # a paired bootstrap needs the same scored positions per sequence
            raise ValueError(f"{method_a} and {method_b} were not scored on the same positions at T = {T}")
        key = "correct" if metric == "acc" else "loss"
        return stats.difference_interval(a[key], b[key], a["n"])

    def sweep_optimum(self, set_name, T, seed=None, name="all", metric="acc"):
        """(best s, low, high) of the s sweep at T for one seed (index) or the seeds pooled (None)."""
        row = self.data["sweep"][set_name][str(T)]
        key = "correct" if metric == "acc" else "loss"
        seeds = row["seeds"] if seed is None else [row["seeds"][seed]]
        numer = np.sum([np.asarray(s[name][key], dtype=float) for s in seeds], axis=0)
        denom = np.asarray(seeds[0][name]["n"], dtype=float) * len(seeds)
        return stats.argmax_interval(row["factors"], numer, denom, lowest=metric == "loss")

    def sweep_curve(self, set_name, T, seed=None, name="all", metric="acc"):
        """[(value, low, high) per s] of the sweep, pooled over seeds (None) or for one seed."""
        row = self.data["sweep"][set_name][str(T)]
        key = "correct" if metric == "acc" else "loss"
        seeds = row["seeds"] if seed is None else [row["seeds"][seed]]
        out = []
        for k in range(len(row["factors"])):
            numer = np.sum([s[name][key][k] for s in seeds], axis=0)
            out.append(stats.ratio_interval(numer, np.asarray(seeds[0][name]["n"]) * len(seeds)))
        return out
