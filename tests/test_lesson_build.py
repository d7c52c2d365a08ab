"""The lesson build: committed notebooks match their sources and were executed top to bottom."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_lesson_notebooks_match_their_sources():
    result = subprocess.run([sys.executable, str(REPO / "tools" / "build_lessons.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_lesson_has_python3_kernelspec_and_no_stale_execution_counts():
    notebooks = sorted((REPO / "lessons").rglob("*.ipynb"))
    assert notebooks and notebooks[0].name == "00_start_here.ipynb"
    for path in notebooks:
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3", path
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        counts = [c["execution_count"] for c in code]
        assert counts == list(range(1, len(code) + 1)), f"{path.name} was not executed top to bottom in one go"
        for cell in code:
            for output in cell.get("outputs", []):
                assert output.get("output_type") != "error", f"{path.name} has an error output"
                assert "NBVAL_SKIP" not in "".join(cell["source"]), path
