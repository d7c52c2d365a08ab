"""`make bench`: time what a learner waits for, and check it against the course's targets.

    python benchmarks/run.py                  # full run, writes benchmarks/results.json
    python benchmarks/run.py --quick          # a smoke run (~15 s), writes to a temp file
    python benchmarks/run.py --quick --out X  # ... or to X (what tests/test_bench.py does)

Measured (medians unless said otherwise; the machine may be shared, so read medians):

* explorer_update_ms: for every explorer in `rope_course.explorers.REGISTRY`, one slider
  update as the notebook pays for it, `explorer.update(**params)` + `explorer.render_png()`,
  swept over seq_len 1 .. 131072 (log-spaced, snapped to the explorer's own slider options)
  and scaling_factor 1 .. 16, with dim 64 where the explorer has a dim control. Only the
  controls an explorer has are swept; the others keep their defaults.
* lesson_execute_s / course_execute_s: every lesson notebook (lessons/*.ipynb, not the
  solutions) executed headless with nbclient, a fresh kernel each, end to end.
* rebuild: at a decode-sized (4096, 64) and a long (131072, 64) float32 table, upstream's op
  sequence (`cos_sin_tables_upstream`: cos and sin over cat(freqs, freqs)) against the modules'
  simple builder (`functional.cos_sin_tables`) and the opt-in fast one
  (`perf.fast_cos_sin_tables`), timed with torch.utils.benchmark in interleaved rounds; plus
  whether each builder's tables are bit-identical to upstream's on this build.
* forward_cached_*_us: the forward's cost once the table is cached (slice + `.to`), and
  decode_loop_rebuild_total_s: what a 1024-step decode past L spends rebuilding the dynamic
  class's table (it rebuilds at every step).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

import browser_latency  # benchmarks/browser_latency.py, beside this script: latency in a real JupyterLab

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results.json"
LESSONS = REPO / "lessons"

TARGETS = {
    "explorer_update_median_ms": 50.0,
    "explorer_update_p95_ms": 100.0,
    "course_execute_s": 90.0,
    "rebuild_speedup_vs_upstream": 1.5,
}

SEQ_LEN_MAX = 131072


# --- small helpers ------------------------------------------------------------------------
def summary(values_s, scale: float = 1e3) -> dict:
    """{"median", "p95", "min", "n"} of timings given in seconds, scaled (default: to ms)."""
    xs = [v * scale for v in values_s]
    return {
        "median": round(statistics.median(xs), 4),
        "p95": round(statistics.quantiles(xs, n=100, method="inclusive")[94] if len(xs) > 1 else xs[0], 4),
        "min": round(min(xs), 4),
        "n": len(xs),
    }


def nearest_option(options, target: float, log: bool = True):
    """The slider option nearest to `target` (in log distance for positive numbers)."""
    def distance(option):
        if log and option > 0 and target > 0:
            return abs(math.log(option) - math.log(target))
        return abs(option - target)

    return min(options, key=distance)


def control_values(control, targets, log: bool = True) -> list:
    """The values this control can take that are nearest to `targets` (deduplicated, in order)."""
    options = getattr(control, "options", None)
    if options:
        # SelectionSlider: options may be (label, value) pairs or plain values.
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        picked = [nearest_option(values, t, log) for t in targets]
    else:
        lo, hi = control.min, control.max
        step = getattr(control, "step", None) or 0
        picked = []
        for t in targets:
            v = min(max(t, lo), hi)
            if step:
                v = lo + round((v - lo) / step) * step
                v = min(max(v, lo), hi)
            picked.append(type(control.value)(v))
    out = []
    for v in picked:
        if v not in out:
            out.append(v)
    return out


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


# --- 1. explorers -------------------------------------------------------------------------
def sweep_params(explorer, quick: bool) -> list[dict]:
    """The parameter sets to time: a grid over the explorer's seq_len x scaling_factor."""
    controls = explorer.controls
    if quick:
        seq_targets = [1, SEQ_LEN_MAX]
        sf_targets = [16.0]
    else:
        seq_targets = [2**k for k in range(18)] + [3000, 4097, 100000]
        sf_targets = [1.0, 2.0, 4.0, 16.0]
    axes = {}
    if "seq_len" in controls:
        axes["seq_len"] = control_values(controls["seq_len"], seq_targets)
    if "scaling_factor" in controls:
        axes["scaling_factor"] = control_values(controls["scaling_factor"], sf_targets)
    fixed = {}
    if "dim" in controls:
        fixed["dim"] = control_values(controls["dim"], [64])[0]
    grid = [dict(fixed)]
    for name, values in axes.items():
        grid = [{**g, name: v} for g in grid for v in values]
    return grid


def bench_explorer(cls, quick: bool) -> dict:
    explorer = cls()
    grid = sweep_params(explorer, quick)
    # Warm up: first renders pay for font caches, text layout and lazy imports.
    for params in (grid[:1] if quick else (grid[0], grid[-1], grid[len(grid) // 2])):
        explorer.update(**params)
        explorer.render_png()
    times, cpu_times = [], []
    for params in grid:  # seq_len outer, scaling_factor inner: like moving the sliders
        t0, c0 = time.perf_counter(), time.process_time()
        explorer.update(**params)
        explorer.render_png()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    result = summary(times)
    # CPU time of this process: less sensitive than wall time to other processes' load
    # (but it counts torch's threads spinning in OpenMP barriers).
    result["cpu_median"] = summary(cpu_times)["median"]
    result["worst_params"] = _worst(grid, times)
    result["swept"] = sorted({k for g in grid for k in g})
    return result


def _worst(grid, times):
    i = max(range(len(times)), key=times.__getitem__)
    return {k: (float(v) if isinstance(v, float) else v) for k, v in grid[i].items()}


def bench_explorers(quick: bool) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    from rope_course.explorers import REGISTRY

    results = {}
    for name in sorted(REGISTRY):
        progress(f"explorer {name}")
        try:
            results[name] = bench_explorer(REGISTRY[name], quick)
        except Exception as exc:  # one broken explorer must not hide the others' numbers
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    return results


# --- 2. the course, headless --------------------------------------------------------------
def lesson_paths(quick: bool) -> list[Path]:
    paths = sorted(LESSONS.glob("*.ipynb"))
    if quick:
        paths = [p for p in paths if p.name.startswith("00")][:1]
    return paths


def execute_notebook(path: Path, timeout: int = 600) -> dict:
    """Execute one notebook on a fresh kernel; total seconds and where they went."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    marks = {}
    t0 = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.on_cell_start = lambda **_: marks.setdefault("first_cell", time.perf_counter())
    client.on_cell_executed = lambda **_: marks.__setitem__("last_cell", time.perf_counter())
    client.execute()
    end = time.perf_counter()
    first, last = marks.get("first_cell", t0), marks.get("last_cell", end)
    return {
        "total": round(end - t0, 3),
        "kernel_start": round(first - t0, 3),  # start a kernel, connect, wait for it
        "cells": round(last - first, 3),  # the notebook's own code, imports included
        "shutdown": round(end - last, 3),  # graceful kernel shutdown and clean-up
    }


def bench_course(quick: bool) -> dict:
    per_lesson = {}
    breakdown = {}
    errors = {}
    for path in lesson_paths(quick):
        progress(f"lesson {path.name}")
        try:
            breakdown[path.name] = execute_notebook(path)
            per_lesson[path.name] = breakdown[path.name]["total"]
        except Exception as exc:
            errors[path.name] = f"{type(exc).__name__}: {str(exc)[:500]}"
    out = {
        "lesson_execute_s": per_lesson,
        "lesson_execute_breakdown_s": breakdown,
        "course_execute_s": round(sum(per_lesson.values()), 3),
        # the lessons' own code only (no kernel start-up or shutdown): what a learner's Run All costs
        "course_cells_s": round(sum(b["cells"] for b in breakdown.values()), 3),
        "course_lessons": len(per_lesson),
        "course_partial": quick,
    }
    if errors:
        out["lesson_errors"] = errors
    return out


# --- 3. the cache rebuild: both builders against upstream's op sequence -------------------
REBUILD_SHAPES = [(4096, 64), (131072, 64)]  # a decode step's table, and a long one


def _median_s(fn, min_run_time: float, threads: int) -> float:
    from torch.utils.benchmark import Timer

    timer = Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads)
    return timer.blocked_autorange(min_run_time=min_run_time).median


def bench_rebuild(rounds: int, min_run_time: float) -> dict:
    """Upstream's op sequence (cos/sin over cat(freqs, freqs)), the modules' simple builder
    (`functional.cos_sin_tables`: cos/sin once on the half, then cat) and the opt-in fast one
    (`perf.fast_cos_sin_tables`), float32. Each round times the three in turn with
    torch.utils.benchmark, so a change of machine load hits all of them; the reported figures
    are medians over rounds, and the speedups are medians of the per-round ratios."""
    import torch

    from rope_course import cos_sin_tables, cos_sin_tables_upstream, inv_freq_for_base
    from rope_course.perf import fast_cos_sin_tables

    threads = torch.get_num_threads()
    builders = {"upstream": cos_sin_tables_upstream, "simple": cos_sin_tables, "fast": fast_cos_sin_tables}
    out = {}
    for seq_len, dim in REBUILD_SHAPES:
        key = f"{seq_len}x{dim}"
        inv_freq = inv_freq_for_base(10000, dim)
        tables = {name: build(inv_freq, seq_len, torch.float32) for name, build in builders.items()}
        identical = {name: all(torch.equal(a, b) for a, b in zip(tables[name], tables["upstream"]))
                     for name in ("simple", "fast")}
        del tables
        times = {name: [] for name in builders}
        for _ in range(rounds):
            for name, build in builders.items():
                call = functools.partial(build, inv_freq, seq_len, torch.float32)
                times[name].append(_median_s(call, min_run_time, threads))
        out[key] = {
            "ms": {name: round(statistics.median(t) * 1e3, 4) for name, t in times.items()},
            "speedup_vs_upstream": {
                name: round(statistics.median(u / x for u, x in zip(times["upstream"], times[name])), 4)
                for name in ("simple", "fast")},
            "bit_identical_to_upstream": identical,
        }
    return {"rebuild": out, "rebuild_dtype": "float32", "rebuild_rounds": rounds, "rebuild_threads": threads}


# --- 4. the forward when cached, and the dynamic class's decode loop ----------------------
def bench_forward(repeats: int, decode_steps: int) -> dict:
    import torch

    from rope_course import DynamicNTKScalingRotaryEmbedding, RotaryEmbedding

    L = 4096
    module = RotaryEmbedding(64, max_position_embeddings=L)
    x32 = torch.zeros(1, dtype=torch.float32)
    x16 = torch.zeros(1, dtype=torch.bfloat16)
    module(x32, seq_len=L)  # builds the float32 table once

    def per_call(x):
        from torch.utils.benchmark import Timer

        timer = Timer(stmt="module(x, seq_len=L)", globals={"module": module, "x": x, "L": L},
                      num_threads=torch.get_num_threads())
        measurement = timer.blocked_autorange(min_run_time=0.05 if repeats < 1000 else 0.5)
        return list(measurement.times)

    same = per_call(x32)
    other = per_call(x16)
    assert module.max_seq_len_cached == L, "a cached call must not rebuild"

    dyn = DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=L)
    rebuild_times = []
    original = dyn._set_cos_sin_cache

    def timed_rebuild(seq_len, device, dtype):
        t0 = time.perf_counter()
        original(seq_len=seq_len, device=device, dtype=dtype)
        rebuild_times.append(time.perf_counter() - t0)

    dyn._set_cos_sin_cache = timed_rebuild  # instance attribute: forward's self._set_cos_sin_cache
    dyn(x32, seq_len=L)  # prefill
    prefill = list(rebuild_times)
    rebuild_times.clear()
    t0 = time.perf_counter()
    for step in range(1, decode_steps + 1):
        kv_seq_len = L + step  # the decode step's whole key/value length
        dyn(x32, seq_len=kv_seq_len)
    loop_total = time.perf_counter() - t0
    return {
        "forward_cached_table_rows": L,
        "forward_cached_same_dtype_us": summary(same, 1e6)["median"],
        "forward_cached_other_dtype_us": summary(other, 1e6)["median"],
        "forward_cached_same_dtype_us_summary": summary(same, 1e6),
        "forward_cached_other_dtype_us_summary": summary(other, 1e6),
        "decode_prefill_rebuild_ms": round(prefill[0] * 1e3, 4) if prefill else None,
        "decode_steps": decode_steps,
        "decode_loop_rebuilds": len(rebuild_times),
        "decode_loop_rebuild_total_s": round(sum(rebuild_times), 4),
        "decode_loop_rebuild_ms": summary(rebuild_times),
        "decode_loop_total_s": round(loop_total, 4),
    }


# --- machine, targets, table --------------------------------------------------------------
def machine_info() -> dict:
    import matplotlib
    import torch

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "timestamp_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "matplotlib": matplotlib.__version__,
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": load,
    }


def evaluate_targets(results: dict) -> list[dict]:
    checks = []
    for name, r in results["explorer_update_ms"].items():
        if "error" in r:
            checks.append({"target": f"explorer {name}", "value": r["error"], "limit": "runs", "ok": False})
            continue
        checks.append({"target": f"explorer {name} median ms", "value": r["median"],
                       "limit": f"<= {TARGETS['explorer_update_median_ms']:g}",
                       "ok": r["median"] <= TARGETS["explorer_update_median_ms"]})
        checks.append({"target": f"explorer {name} p95 ms", "value": r["p95"],
                       "limit": f"<= {TARGETS['explorer_update_p95_ms']:g}",
                       "ok": r["p95"] <= TARGETS["explorer_update_p95_ms"]})
    if "course_execute_s" in results:
        label = "course execute s" + (" (quick: partial)" if results.get("course_partial") else "")
        ok = results["course_execute_s"] <= TARGETS["course_execute_s"] and not results.get("lesson_errors")
        checks.append({"target": label, "value": results["course_execute_s"],
                       "limit": f"<= {TARGETS['course_execute_s']:g}", "ok": ok})
    fast_speedup = results["rebuild"]["131072x64"]["speedup_vs_upstream"]["fast"]
    checks.append({"target": "fast rebuild speedup at 131072x64", "value": fast_speedup,
                   "limit": f">= {TARGETS['rebuild_speedup_vs_upstream']:g}",
                   "ok": fast_speedup >= TARGETS["rebuild_speedup_vs_upstream"]})
    for shape, r in results["rebuild"].items():
        for name, same in r["bit_identical_to_upstream"].items():
            checks.append({"target": f"{name} rebuild bit-identical at {shape}", "value": same,
                           "limit": "True", "ok": same is True})
    return checks


def print_table(results: dict) -> None:
    m = results["machine"]
    print(f"\nrope-course benchmarks  {m['timestamp_utc']}  torch {m['torch']}  "
          f"threads {m['torch_threads']}  cpus {m['cpu_count']}  load {m['loadavg_at_start']}")
    print("\nexplorer update (update + render_png), ms")
    print(f"  {'explorer':<22}{'median':>9}{'p95':>9}{'min':>9}{'cpu med':>9}{'n':>5}  worst at")
    for name, r in results["explorer_update_ms"].items():
        if "error" in r:
            print(f"  {name:<22}ERROR {r['error']}")
            continue
        numbers = f"{r['median']:>9.1f}{r['p95']:>9.1f}{r['min']:>9.1f}{r['cpu_median']:>9.1f}{r['n']:>5}"
        print(f"  {name:<22}{numbers}  {r['worst_params']}")
    if results.get("lesson_execute_s") is not None:
        print("\nlessons executed headless (fresh kernel each), s")
        print(f"  {'lesson':<40}{'total':>8}{'kernel':>8}{'cells':>8}{'shutdn':>8}")
        for name, s in results["lesson_execute_s"].items():
            b = results["lesson_execute_breakdown_s"][name]
            print(f"  {name:<40}{s:>8.2f}{b['kernel_start']:>8.2f}{b['cells']:>8.2f}{b['shutdown']:>8.2f}")
        for name, err in results.get("lesson_errors", {}).items():
            print(f"  {name:<40}ERROR {err[:120]}")
        total_kernel = sum(b["kernel_start"] for b in results["lesson_execute_breakdown_s"].values())
        total_shutdown = sum(b["shutdown"] for b in results["lesson_execute_breakdown_s"].values())
        print(f"  {'total':<40}{results['course_execute_s']:>8.2f}{total_kernel:>8.2f}"
              f"{results['course_cells_s']:>8.2f}{total_shutdown:>8.2f}")
    print(f"\ncache rebuild, float32, medians over {results['rebuild_rounds']} rounds (torch.utils.benchmark)")
    print(f"  {'shape':<12}{'upstream':>10}{'simple':>10}{'fast':>10}{'simple x':>10}{'fast x':>8}  bit-identical")
    for shape, r in results["rebuild"].items():
        ms, up = r["ms"], r["speedup_vs_upstream"]
        print(f"  {shape:<12}{ms['upstream']:>8.2f}ms{ms['simple']:>8.2f}ms{ms['fast']:>8.2f}ms"
              f"{up['simple']:>9.2f}x{up['fast']:>7.2f}x  {r['bit_identical_to_upstream']}")
    print("\nforward")
    print(f"  cached {results['forward_cached_table_rows']}-row table, same dtype   "
          f"{results['forward_cached_same_dtype_us']:8.1f} us")
    print(f"  cached {results['forward_cached_table_rows']}-row table, other dtype  "
          f"{results['forward_cached_other_dtype_us']:8.1f} us")
    print(f"  dynamic class, {results['decode_steps']}-step decode past L: {results['decode_loop_rebuilds']} rebuilds, "
          f"{results['decode_loop_rebuild_total_s']:.3f} s rebuilding "
          f"(median {results['decode_loop_rebuild_ms']['median']:.2f} ms each)")
    print("\ntargets (README, Performance)")
    for c in results["targets"]:
        value = str(c["value"]) if isinstance(c["value"], (str, bool)) else f"{c['value']:.2f}"
        print(f"  {'PASS' if c['ok'] else 'MISS'}  {c['target']:<40}{value:>10}  {c['limit']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (used by the tests)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the JSON (default: benchmarks/results.json; a temp file with --quick)")
    parser.add_argument("--skip-course", action="store_true", help="do not execute the lessons")
    parser.add_argument("--skip-browser", action="store_true", help="do not time slider moves in a real browser")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads in this process (default: torch's own choice)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.out is None:
        args.out = Path(tempfile.gettempdir()) / "rope-course-bench-quick.json" if args.quick else RESULTS

    results = {"quick": args.quick, "machine": machine_info()}
    t0 = time.perf_counter()
    results["explorer_update_ms"] = bench_explorers(args.quick)
    progress("cache rebuild vs upstream")
    results.update(bench_rebuild(rounds=2 if args.quick else 7, min_run_time=0.05 if args.quick else 0.5))
    progress("forward and decode loop")
    results.update(bench_forward(repeats=200 if args.quick else 2000, decode_steps=16 if args.quick else 1024))
    if not args.skip_course:
        results.update(bench_course(args.quick))
    if not (args.quick or args.skip_browser):  # minutes; {"skipped": why} without Chromium
        results["browser_update_ms"] = browser_latency.measure_browser_latency(log=progress)
    results["bench_wall_s"] = round(time.perf_counter() - t0, 2)
    results["targets"] = evaluate_targets(results) + browser_latency.target_checks(results.get("browser_update_ms"))
    results["all_targets_met"] = all(c["ok"] for c in results["targets"])
    print_table(results)
    print(browser_latency.format_table(results.get("browser_update_ms")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
