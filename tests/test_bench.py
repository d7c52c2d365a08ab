"""`benchmarks/run.py --quick` still runs and writes the JSON `make bench` promises.

No timing is asserted (the machine is shared and CI machines differ): only that every key is
there with a sane type, every explorer was timed, and the package's cache rebuild gives the
same bits as upstream's op sequence.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the quick benchmark in a subprocess (~15 s idle, more under load)

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    before = (REPO / "benchmarks" / "results.json")
    before_bytes = before.read_bytes() if before.exists() else None
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # --quick must never overwrite the committed full results.
    after_bytes = before.read_bytes() if before.exists() else None
    assert after_bytes == before_bytes
    return json.loads(out.read_text()), proc.stdout


def _positive_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0


def test_every_registered_explorer_is_timed(quick_results):
    from rope_course.explorers import REGISTRY

    results, _ = quick_results
    timed = results["explorer_update_ms"]
    assert set(timed) == set(REGISTRY)
    for name, r in timed.items():
        assert "error" not in r, f"{name}: {r.get('traceback', r.get('error'))}"
        assert _positive_number(r["median"]) and _positive_number(r["p95"]), (name, r)
        assert r["p95"] >= r["min"] and r["n"] >= 1, (name, r)


def test_both_builders_are_timed_at_both_shapes_and_bit_identical(quick_results):
    results, _ = quick_results
    assert set(results["rebuild"]) == {"4096x64", "131072x64"}
    for shape, r in results["rebuild"].items():
        assert r["bit_identical_to_upstream"] == {"simple": True, "fast": True}, shape
        assert all(_positive_number(r["ms"][name]) for name in ("upstream", "simple", "fast")), shape
        assert all(_positive_number(r["speedup_vs_upstream"][name]) for name in ("simple", "fast")), shape


def test_forward_and_decode_loop_keys(quick_results):
    results, _ = quick_results
    assert _positive_number(results["forward_cached_same_dtype_us"])
    assert _positive_number(results["forward_cached_other_dtype_us"])
    # Past L the dynamic class rebuilds at every decode step (seq_len grows by one each time).
    assert results["decode_loop_rebuilds"] == results["decode_steps"] > 0
    assert _positive_number(results["decode_loop_rebuild_total_s"])


def test_course_machine_and_targets(quick_results):
    results, stdout = quick_results
    assert results["quick"] is True
    assert "lesson_errors" not in results, results.get("lesson_errors")
    assert isinstance(results["lesson_execute_s"], dict) and results["lesson_execute_s"]
    assert all(_positive_number(v) for v in results["lesson_execute_s"].values())
    assert _positive_number(results["course_execute_s"])
    assert 0 <= results["course_cells_s"] <= results["course_execute_s"]
    machine = results["machine"]
    assert isinstance(machine["torch"], str) and isinstance(machine["timestamp_utc"], str)
    assert isinstance(machine["torch_threads"], int) and isinstance(machine["cpu_count"], int)
    targets = results["targets"]
    assert targets and all(isinstance(t["ok"], bool) for t in targets)
    # The printed table says PASS or MISS for every target.
    assert stdout.count("PASS") + stdout.count("MISS") >= len(targets)
