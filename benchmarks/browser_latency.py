"""Latency as a learner feels it: key press on a slider to the new picture, in a real JupyterLab.

    python benchmarks/browser_latency.py                 # all lessons, prints a table
    python benchmarks/browser_latency.py --moves 30 04   # 30 moves per explorer, lesson 04 only
    python benchmarks/browser_latency.py --merge benchmarks/results.json   # store under browser_update_ms

`make bench` calls `measure_browser_latency()` from benchmarks/run.py when Chromium exists.

The server and the page are the browser test's (tests/browser: a learner's workspace set up
by tools/workspace.py, served with tools/serve_lab.py's command line, headless Chromium). Each
lesson with an explorer is opened and run (Run All, fresh kernel); then every explorer gets
`moves` isolated key presses (ArrowRight, or ArrowLeft at the top end, so a slider bounces
between its ends), spread round-robin over its sliders. Each press is timed on the page's own
clock, from the keydown event (captured before noUiSlider handles it) to the new picture in the
DOM (`dom`) and decoded, ready to paint (`decoded`, the figure reported). That span holds the
widget message to the kernel, `compute` + redraw + PNG encoding there, the display update back,
and the browser's decode. Between presses the kernel goes idle, so no press waits for another.
Nothing here asserts: the numbers are reported against the course's target, p95 <= 150 ms
(people notice lag past about 100 ms; the README's Performance section lists every target).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the browser test's helpers: tests/browser

from tests.browser import lab_page
from tests.browser.jupyter_server import (
    CHROMIUM_ARGS,
    chromium_problem,
    explorer_notebooks,
    find_chromium,
    start_lab,
)

TARGET_P95_MS = 150.0
DEFAULT_MOVES = 24


def percentile(values, q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    quantiles = statistics.quantiles(xs, n=100, method="inclusive")
    return float(quantiles[int(q) - 1]) if 1 <= q <= 99 else float(xs[0] if q <= 0 else xs[-1])


def summarize(samples_ms: list[float]) -> dict:
    return {
        "median": round(statistics.median(samples_ms), 1),
        "p95": round(percentile(samples_ms, 95), 1),
        "min": round(min(samples_ms), 1),
        "max": round(max(samples_ms), 1),
        "n": len(samples_ms),
    }


def _press_plan(state: dict, moves: int) -> list[str]:
    """Slider keys in round-robin order, `moves` presses in all."""
    keys = [key for key, control in state["sliders"].items() if control["kind"] == "slider"]
    return [keys[n % len(keys)] for n in range(moves)] if keys else []


def measure_notebook(page, lab, notebook: Path, moves: int) -> dict[str, dict]:
    """{explorer name: {"decoded": [...], "dom": [...], "lesson"}} for one lesson."""
    name = notebook.name
    lab_page.open_notebook(page, lab, name)
    lab_page.clear_and_run_all(page, name)
    count = lab_page.wait_for_explorers(page, name, 1)
    found = {}
    for i in range(count):
        state = page.evaluate(lab_page.BOX_STATE, i)
        page.locator(".rc-explorer").nth(i).scroll_into_view_if_needed()
        samples = found.setdefault(state["name"], {"decoded": [], "dom": [], "lessons": []})
        samples["lessons"].append(notebook.stem)
        going_up = {}
        for key in _press_plan(state, moves):
            control = page.evaluate(lab_page.BOX_STATE, i)["sliders"][key]
            if control["now"] == control["max"]:
                going_up[key] = False
            elif control["now"] == control["min"]:
                going_up[key] = True
            press = "ArrowRight" if going_up.setdefault(key, True) else "ArrowLeft"
            timing = lab_page.press_and_time(page, i, key, press)
            samples["decoded"].append(timing["decoded_ms"])
            samples["dom"].append(timing["dom_ms"])
            lab_page.settle(page)
    lab.shutdown_kernel_of(name)
    return found


def measure_browser_latency(moves: int = DEFAULT_MOVES, only: list[str] | None = None, log=print) -> dict:
    """browser_update_ms for results.json: per explorer median/p95 (ms) and the samples' size.

    Without Chromium: {"skipped": reason}. A lesson that fails is listed under "errors"."""
    problem = chromium_problem()
    if problem is not None:
        return {"skipped": problem}
    from playwright.sync_api import sync_playwright

    notebooks = explorer_notebooks()
    if only:
        notebooks = [p for p in notebooks if p.name.startswith(tuple(only))]
    t0 = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    samples: dict[str, dict] = {}
    errors = {}
    lab = start_lab()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
            try:
                for notebook in notebooks:
                    log(f"  browser latency: {notebook.name}")
                    context, page = lab_page.new_page(browser)
                    try:
                        for explorer, got in measure_notebook(page, lab, notebook, moves).items():
                            into = samples.setdefault(explorer, {"decoded": [], "dom": [], "lessons": []})
                            for key in into:
                                into[key] += got[key]
                    except lab_page.LabPageError as exc:
                        errors[notebook.name] = str(exc)[:1000]
                        lab.shutdown_kernel_of(notebook.name)
                    finally:
                        context.close()
            finally:
                browser.close()
    finally:
        lab.stop()
        shutil.rmtree(lab.work, ignore_errors=True)
    explorers = {}
    for explorer, got in samples.items():
        if got["decoded"]:
            explorers[explorer] = {**summarize(got["decoded"]),
                                   "dom_median": round(statistics.median(got["dom"]), 1),
                                   "lessons": sorted(set(got["lessons"]))}
    out = {
        "what": ("ms from a key press on a slider to the new picture decoded in the page (real JupyterLab, "
             "headless Chromium); dom_median: to the new <img> in the DOM"),
        "target_p95_ms": TARGET_P95_MS,
        "moves_per_explorer": moves,
        "explorers": explorers,
        "loadavg_at_start": round(load, 2) if load is not None else None,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    if errors:
        out["errors"] = errors
    return out


def target_checks(browser: dict | None) -> list[dict]:
    """Rows in benchmarks/run.py's targets format ({"target", "value", "limit", "ok"})."""
    if not browser or "skipped" in browser:
        return []
    checks = [{"target": f"browser {name} p95 ms", "value": r["p95"], "limit": f"<= {TARGET_P95_MS:g}",
               "ok": r["p95"] <= TARGET_P95_MS} for name, r in browser["explorers"].items()]
    for lesson in browser.get("errors", {}):
        checks.append({"target": f"browser {lesson}", "value": "error", "limit": "runs", "ok": False})
    return checks


def format_table(browser: dict | None) -> str:
    if not browser:
        return ""
    if "skipped" in browser:
        return f"\nbrowser latency: skipped ({browser['skipped']})"
    title = (f"\nbrowser: key press to new picture, ms ({browser['moves_per_explorer']} moves per explorer, "
             f"load {browser['loadavg_at_start']})")
    lines = [title,
             f"  {'explorer':<22}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}{'to DOM':>9}{'n':>5}  lessons"]
    for name, r in browser["explorers"].items():
        lines.append(f"  {name:<22}{r['median']:>9.1f}{r['p95']:>9.1f}{r['min']:>9.1f}{r['max']:>9.1f}"
                     f"{r['dom_median']:>9.1f}{r['n']:>5}  {', '.join(r['lessons'])}")
    for lesson, error in browser.get("errors", {}).items():
        said = " | ".join(line.strip() for line in error.splitlines()[:2])
        lines.append(f"  {lesson}: ERROR {said[:200]}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson prefixes (default: every lesson with an explorer)")
    parser.add_argument("--moves", type=int, default=DEFAULT_MOVES, help="key presses per explorer (>= 20)")
    parser.add_argument("--merge", type=Path, default=None,
                        help="store the result under browser_update_ms in this JSON file")
    args = parser.parse_args(argv)
    if args.moves < 1:
        parser.error("--moves must be >= 1")
    result = measure_browser_latency(args.moves, args.lessons)
    print(format_table(result))
    if args.merge:
        data = json.loads(args.merge.read_text()) if args.merge.exists() else {}
        data["browser_update_ms"] = result
        args.merge.write_text(json.dumps(data, indent=2) + "\n")
        print(f"\nwrote browser_update_ms into {args.merge}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
