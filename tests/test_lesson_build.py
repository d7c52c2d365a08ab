"""The lesson build: committed notebooks match their sources, were executed top to bottom, and use
only the nbval markers and tags that tools/nbval_policy.py allows."""

import json
import subprocess
import sys
from pathlib import Path

import build_lessons
import nbformat
import nbval_policy
import pytest

REPO = Path(__file__).resolve().parent.parent

NOTEBOOKS = sorted((REPO / "lessons").rglob("*.ipynb"))


def test_lesson_notebooks_match_their_sources():
    result = subprocess.run([sys.executable, str(REPO / "tools" / "build_lessons.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_lesson_has_python3_kernelspec_and_no_stale_execution_counts():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3", path
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        counts = [c["execution_count"] for c in code]
        assert counts == list(range(1, len(code) + 1)), f"{path.name} was not executed top to bottom in one go"
        for cell in code:
            assert all(o.get("output_type") != "error" for o in cell.get("outputs", [])), f"{path.name} has an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(REPO / "lessons")) for p in NOTEBOOKS])
def test_no_cell_skips_or_weakens_nbval_beyond_the_policy(path):
    """Every cell, with or without outputs, and its metadata tags too."""
    nb = nbformat.read(path, as_version=4)
    assert nbval_policy.policy_violations(nb) == []
    for cell in nb.cells:
        assert "NBVAL_SKIP" not in cell.source and "nbval-skip" not in cell.metadata.get("tags", []), path


def test_policy_lists_reasons_and_forbids_skipping():
    for name, reason in {**nbval_policy.ALLOWED_MARKERS, **nbval_policy.ALLOWED_TAGS}.items():
        assert isinstance(reason, str) and len(reason.split()) >= 5, name
    assert "NBVAL_SKIP" not in nbval_policy.ALLOWED_MARKERS and "NBVAL_CHECK_OUTPUT" not in nbval_policy.ALLOWED_MARKERS
    assert not {"nbval-skip", "skip-execution"} & set(nbval_policy.ALLOWED_TAGS)


def test_policy_catches_a_forbidden_marker_and_tag():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# NBVAL_SKIP\nx = 1"),
                nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["nbval-skip"]}),
                nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(1)"),
                nbformat.v4.new_code_cell("print(2)", metadata={"tags": ["nbval-ignore-output"]})]
    problems = nbval_policy.policy_violations(nb)
    assert len(problems) == 2 and "NBVAL_SKIP" in problems[0] and "'nbval-skip'" in problems[1]


@pytest.fixture
def fake_course(tmp_path, monkeypatch):
    src, out = tmp_path / "lessons_src", tmp_path / "lessons"
    (src / "solutions").mkdir(parents=True)
    out.mkdir()
    monkeypatch.setattr(build_lessons, "SRC", src)
    monkeypatch.setattr(build_lessons, "OUT", out)
    monkeypatch.setattr(build_lessons, "REPO", tmp_path)
    return src, out


def _write_source(path: Path, body: str = "x = 1") -> None:
    path.write_text('# %% [markdown]\n# # Title\n\n# %% tags=["nbval-ignore-output"]\n' + body + "\n")


def test_jupytext_keeps_tags_and_the_notebook_is_clean(fake_course):
    src, _ = fake_course
    _write_source(src / "01_demo.py")
    nb = build_lessons.notebook_from_source(src / "01_demo.py")
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[0].source == "# Title" and nb.cells[1].source == "x = 1"
    assert nb.cells[1].metadata == {"tags": ["nbval-ignore-output"]}  # no jupytext bookkeeping
    assert "jupytext" not in nb.metadata and nb.metadata["kernelspec"]["name"] == "python3"


def test_check_catches_missing_notebooks_orphans_and_drift(fake_course):
    src, out = fake_course
    _write_source(src / "01_demo.py")
    _write_source(src / "solutions" / "01_demo.py")
    problems = build_lessons.check_all()
    assert len(problems) == 2 and all("is missing" in p for p in problems)
    for source in build_lessons.all_sources():
        target = build_lessons.target_for(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_lessons.notebook_from_source(source), target)
    assert build_lessons.check_all() == []
    nbformat.write(nbformat.v4.new_notebook(), out / "02_orphan.ipynb")
    assert ["has no source" in p for p in build_lessons.check_all()] == [True]
    (out / "02_orphan.ipynb").unlink()
    _write_source(src / "01_demo.py", body="x = 2")
    assert ["differs from" in p for p in build_lessons.check_all()] == [True]
    _write_source(src / "01_demo.py", body="# NBVAL_SKIP\nx = 1")
    problems = build_lessons.check_all()
    assert any("differs from" in p for p in problems)
