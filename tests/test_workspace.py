"""A learner's work is never lost: the workspace set-up, course updates, reset-lesson and progress.

Set-up, update and reset run against a small synthetic course in a temporary folder (fast);
`make progress` runs real kernels on a synthetic lesson whose exercises are correct, wrong,
unattempted and broken, and on one real lesson from a fresh workspace (slow).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import progress
import pytest
import workspace

# progress and workspace are the scripts in tools/, importable through pytest's pythonpath

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"


def notebook(*cells: str, markdown: str = "# a lesson") -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


@pytest.fixture
def course(tmp_path) -> Path:
    """A course checkout in miniature: two lessons, one solution, the two top-level pages."""
    root = tmp_path / "course"
    (root / "lessons" / "solutions").mkdir(parents=True)
    (root / "lessons" / "00_start.ipynb").write_text(notebook("x = 1"))
    (root / "lessons" / "01_first.ipynb").write_text(notebook("answer = ...  # your answer"))
    (root / "lessons" / "solutions" / "01_first.ipynb").write_text(notebook("answer = 42"))
    (root / "lessons" / "nbval_sanitize.cfg").write_text("[x]\n")
    (root / "SOURCES.md").write_text("### a-source\nA paper.\n")
    (root / "README.md").write_text("# course\n")
    return root


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def learner_edits(path: Path, new_source: str) -> None:
    """What saving an answer in JupyterLab does: the notebook's code changes."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = new_source
    nbformat.write(nb, path)


# --- the first `make lab` -----------------------------------------------------------------------

def test_first_setup_copies_lessons_solutions_and_pages(course, tmp_path):
    ws = tmp_path / "ws"
    report = workspace.setup(ws, repo=course)
    assert report.first_run
    assert set(report.copied) == {"lessons/00_start.ipynb", "lessons/01_first.ipynb",
                                  "lessons/solutions/01_first.ipynb", "SOURCES.md", "README.md"}
    for rel in report.copied:
        assert (ws / rel).read_bytes() == (course / rel).read_bytes(), rel
    assert not (ws / "lessons" / "nbval_sanitize.cfg").exists(), "only course files, not the test configuration"
    manifest = json.loads((ws / workspace.MANIFEST_NAME).read_text())
    assert manifest["files"] == {rel: hashlib.sha256((course / rel).read_bytes()).hexdigest() for rel in report.copied}
    assert str(ws.resolve()) in report.lines()[0], "set-up says where the work lives"


def test_workspace_mirrors_the_repository_so_relative_links_resolve():
    """Every relative link in a lesson that resolves in the repository resolves in the workspace too:
    the workspace holds the same files at the same paths relative to one another."""
    originals = workspace.course_files(REPO)
    link = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
    checked = 0
    for rel, path in originals.items():
        if not rel.endswith(".ipynb"):
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target in link.findall(cell.source):
                if "://" in target or target.startswith(("/", "mailto:", "attachment:", "data:")):
                    continue
                in_repo = (path.parent / target).resolve()
                if not in_repo.exists():
                    continue  # a link broken in the course itself is another test's business
                held = in_repo.relative_to(REPO).as_posix()
                if in_repo.is_dir():  # a folder link (the solutions/ folder) needs the folder's files
                    assert any(name.startswith(held + "/") for name in originals), (
                        f"{rel} links to the folder {target}, of which the workspace holds nothing")
                    continue
                assert held in originals, f"{rel} links to {target}, which the workspace does not hold"
                checked += 1
    assert checked, "no relative link found in any lesson: the test looks in the wrong place"


# --- set-up reruns and course updates ---------------------------------------------------------------

def test_an_edited_answer_survives_a_rerun_and_a_changed_original(course, tmp_path):
    ws = tmp_path / "ws"
    workspace.setup(ws, repo=course)
    mine = ws / "lessons" / "01_first.ipynb"
    learner_edits(mine, "answer = 41  # my answer")
    my_bytes = mine.read_bytes()

    rerun = workspace.setup(ws, repo=course)
    assert mine.read_bytes() == my_bytes
    assert not (rerun.copied or rerun.refreshed or rerun.update_available)

    (course / "lessons" / "01_first.ipynb").write_text(notebook("answer = ...  # a better stub"))
    update = workspace.setup(ws, repo=course)
    assert mine.read_bytes() == my_bytes, "the learner's answer was overwritten by a course update"
    assert update.update_available == ["lessons/01_first.ipynb"]
    said = "\n".join(update.lines())
    assert "newer version of lessons/01_first.ipynb" in said and "make reset-lesson LESSON=01" in said
    again = workspace.setup(ws, repo=course)  # still said on the next run: nothing was acknowledged
    assert again.update_available == ["lessons/01_first.ipynb"] and mine.read_bytes() == my_bytes


def test_an_unchanged_copy_is_refreshed_and_a_new_lesson_appears(course, tmp_path):
    ws = tmp_path / "ws"
    workspace.setup(ws, repo=course)
    (course / "lessons" / "00_start.ipynb").write_text(notebook("x = 2"))
    (course / "SOURCES.md").write_text("### a-source\nA paper, section 3.\n")
    (course / "lessons" / "02_new.ipynb").write_text(notebook("y = 3"))
    report = workspace.setup(ws, repo=course)
    assert sorted(report.refreshed) == ["SOURCES.md", "lessons/00_start.ipynb"]
    assert report.copied == ["lessons/02_new.ipynb"] and not report.first_run
    for rel in ("lessons/00_start.ipynb", "SOURCES.md", "lessons/02_new.ipynb"):
        assert (ws / rel).read_bytes() == (course / rel).read_bytes()
    assert "02_new" in "\n".join(report.lines())


def test_a_learner_modified_sources_md_is_kept(course, tmp_path):
    ws = tmp_path / "ws"
    workspace.setup(ws, repo=course)
    (ws / "SOURCES.md").write_text("### a-source\nA paper. My note: read section 2 first.\n")
    (course / "SOURCES.md").write_text("### a-source\nA paper, updated.\n")
    report = workspace.setup(ws, repo=course)
    assert "My note" in (ws / "SOURCES.md").read_text() and report.update_available == ["SOURCES.md"]


def test_a_deleted_copy_comes_back_and_other_files_stay(course, tmp_path):
    ws = tmp_path / "ws"
    workspace.setup(ws, repo=course)
    (ws / "lessons" / "00_start.ipynb").unlink()
    (ws / "lessons" / "my_notes.ipynb").write_text(notebook("scratch = 1"))
    report = workspace.setup(ws, repo=course)
    assert report.copied == ["lessons/00_start.ipynb"]
    assert (ws / "lessons" / "my_notes.ipynb").exists()


def test_files_the_manifest_does_not_know_are_never_overwritten(course, tmp_path):
    ws = tmp_path / "ws"
    (ws / "lessons").mkdir(parents=True)
    (ws / "lessons" / "01_first.ipynb").write_text(notebook("answer = 7  # copied by hand long ago"))
    (ws / "lessons" / "00_start.ipynb").write_bytes((course / "lessons" / "00_start.ipynb").read_bytes())
    report = workspace.setup(ws, repo=course)
    assert "copied by hand" in (ws / "lessons" / "01_first.ipynb").read_text()
    assert report.kept_unrecorded == ["lessons/01_first.ipynb"]
    recorded = json.loads((ws / workspace.MANIFEST_NAME).read_text())["files"]
    assert "lessons/00_start.ipynb" in recorded and "lessons/01_first.ipynb" not in recorded


def test_a_lesson_gone_from_the_course_keeps_its_copy(course, tmp_path):
    ws = tmp_path / "ws"
    workspace.setup(ws, repo=course)
    (course / "lessons" / "00_start.ipynb").unlink()
    report = workspace.setup(ws, repo=course)
    assert report.gone_from_course == ["lessons/00_start.ipynb"] and (ws / "lessons" / "00_start.ipynb").exists()


def test_a_foreign_manifest_is_refused_not_replaced(course, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / workspace.MANIFEST_NAME).write_text("not json")
    with pytest.raises(SystemExit, match="not a manifest"):
        workspace.setup(ws, repo=course)
    assert (ws / workspace.MANIFEST_NAME).read_text() == "not json"


# --- reset-lesson -------------------------------------------------------------------------------

def test_reset_backs_up_the_learners_copy_and_restores_the_original(course, tmp_path):
    ws = tmp_path / "ws"
    workspace.setup(ws, repo=course)
    mine = ws / "lessons" / "01_first.ipynb"
    learner_edits(mine, "answer = 41  # first try")
    first_try = mine.read_bytes()
    (course / "lessons" / "01_first.ipynb").write_text(notebook("answer = ...  # the new version"))
    when = dt.datetime(2026, 11, 28, 14, 25, 1)

    report = workspace.reset("01", ws, repo=course, now=when)
    assert report.backup == ws.resolve() / "backups" / "20261128-142501" / "lessons" / "01_first.ipynb"
    assert report.backup.read_bytes() == first_try
    assert mine.read_bytes() == (course / "lessons" / "01_first.ipynb").read_bytes()
    assert workspace.setup(ws, repo=course).update_available == [], "after a reset the copy is current"

    learner_edits(mine, "answer = 42  # second try")
    second_try = mine.read_bytes()
    again = workspace.reset("1", ws, repo=course, now=when)  # same second: a new folder, nothing replaced
    assert again.backup.parent.parent.name == "20261128-142501-1"
    assert again.backup.read_bytes() == second_try and report.backup.read_bytes() == first_try
    backups = files_under(ws / "backups")
    assert sorted(backups.values()) == sorted([first_try, second_try]), "every earlier copy is kept"


def test_reset_names_lessons_solutions_and_pages(course):
    assert workspace.resolve_lesson("01", course) == "lessons/01_first.ipynb"
    assert workspace.resolve_lesson("solutions/1", course) == "lessons/solutions/01_first.ipynb"
    assert workspace.resolve_lesson("SOURCES.md", course) == "SOURCES.md"
    for bad in ("7", "", "solutions/00", "first"):
        with pytest.raises(SystemExit, match="names no single course file"):
            workspace.resolve_lesson(bad, course)


def test_reset_of_a_missing_copy_just_copies(course, tmp_path):
    report = workspace.reset("00", tmp_path / "ws", repo=course)
    assert report.backup is None and report.copy.read_bytes() == (course / "lessons" / "00_start.ipynb").read_bytes()


def test_the_command_line_is_what_make_runs(course, tmp_path):
    ws = tmp_path / "ws"
    run = [sys.executable, str(TOOLS / "workspace.py")]
    first = subprocess.run([*run, "setup", "--workspace", str(ws)], capture_output=True, text=True, check=True)
    assert f"Your work lives in {ws.resolve()}" in first.stdout
    assert (ws / "lessons" / "03_cache_trigger.ipynb").exists(), "the CLI copies the real course"
    learner_edits(ws / "lessons" / "03_cache_trigger.ipynb", "my_answer = 1")
    reset = subprocess.run([*run, "reset", "03", "--workspace", str(ws)], capture_output=True, text=True, check=True)
    assert "backups" in reset.stdout
    fresh = (ws / "lessons" / "03_cache_trigger.ipynb").read_bytes()
    assert fresh == (REPO / "lessons" / "03_cache_trigger.ipynb").read_bytes()
    assert any("my_answer = 1" in p.read_text() for p in (ws / "backups").rglob("*.ipynb"))


def test_makefile_targets_call_the_workspace_tools():
    def dry_run(*args):
        out = subprocess.run(["make", "-n", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout
        return [line for line in out.splitlines() if "pip install" not in line]

    assert any('tools/serve_lab.py' in line and '--workspace "/tmp/elsewhere"' in line
               for line in dry_run("lab", "WORKSPACE=/tmp/elsewhere"))
    reset = dry_run("reset-lesson", "LESSON=03")
    assert any('tools/workspace.py reset "03" --workspace "workspace"' in line for line in reset)
    progress_lines = dry_run("progress", "LESSON=03")
    setup_at = next(i for i, line in enumerate(progress_lines) if "tools/workspace.py setup" in line)
    run_at = next(i for i, line in enumerate(progress_lines) if "tools/progress.py" in line)
    assert setup_at < run_at and progress_lines[run_at].endswith(" 03")
    without = subprocess.run(["make", "-s", "-C", str(REPO), "reset-lesson", "-o", ".venv/.rope-course-installed"],
                             capture_output=True, text=True)
    assert without.returncode != 0 and "usage: make reset-lesson LESSON=03" in without.stdout


# --- make progress ------------------------------------------------------------------------------

def test_checker_cells_are_found_with_the_exercise_they_name():
    nb = nbformat.reads(notebook(
        "from rope_course.checks.lesson03 import check_count_rebuilds\ndef check_mine(x):\n    return x",
        "result = check_count_rebuilds(my_count_rebuilds)",
        'check_answer("predict_base", answer, 10000.0)',
        "print('no checker here')  # check_answer(\"commented\", 1, 1)",
    ), as_version=4)
    assert progress.checker_cells(nb) == {2: ["count_rebuilds"], 3: ["predict_base"]}


def test_summary_counts_each_status():
    rows = [progress.Row("01", "a", "correct", ""), progress.Row("01", "b", "wrong", "x"),
            progress.Row("01", "c", "not attempted yet", ""), progress.Row("02", "d", "error", "NameError"),
            progress.Row("02", "-", "error", "the notebook did not run to the end")]
    assert progress.summary(rows) == ("1 of 4 exercises correct, 1 wrong, 1 not attempted, 1 error; "
                                      "1 notebook did not run to the end (02)")
    table = progress.table(rows)
    assert table.splitlines()[0].split() == ["lesson", "exercise", "status", "message"]
    assert "not attempted" in table and "not attempted yet" not in table


LEARNER_LESSON = [
    "from rope_course.checks import Case, check_answer, check_exercise",
    'check_answer("solved", 42, 42)',
    'check_answer("mistaken", 41, 42, hint="count the endpoints")',
    'answer = ...  # your prediction\ncheck_answer("untouched", answer, 42)',
    'def my_double(x):\n    raise NotImplementedError\n'
    'check_exercise("stub_function", my_double, lambda x: 2 * x, [Case((1,))])',
    'check_answer("second_try", 1, 2)',
    'check_answer("second_try", 2, 2)',
    "my_value = undefined_name  # the learner's cell that fails",
    'check_answer("after_a_failure", my_value, 1)',
    "raise RuntimeError('a later cell fails too; the rest still runs')",
    'check_answer("still_checked", 3, 3)',
    'check_answer("a demo", 1, 1, quiet=True)  # quiet: a demonstration, not an exercise',
]


@pytest.mark.slow
def test_progress_reports_each_status_and_never_writes_the_learners_files(tmp_path):
    ws = tmp_path / "ws"
    (ws / "lessons" / "solutions").mkdir(parents=True)
    (ws / "lessons" / "01_mine.ipynb").write_text(notebook(*LEARNER_LESSON))
    (ws / "lessons" / "02_slow.ipynb").write_text(notebook(
        'from rope_course.checks import check_answer\ncheck_answer("before_the_stall", 1, 1)',
        "import time\ntime.sleep(600)",
        'check_answer("after_the_stall", 1, 1)'))
    (ws / "lessons" / "03_broken.ipynb").write_text("{ this is not a notebook")
    (ws / "lessons" / "solutions" / "01_mine.ipynb").write_text(notebook('raise SystemExit("solutions never run")'))
    before = files_under(ws)

    rows = progress.progress(ws, timeout=30)
    assert files_under(ws) == before, "make progress wrote into the learner's workspace"
    got = {(r.lesson, r.exercise): r for r in rows}
    status = {key[1]: r.status for key, r in got.items() if key[0] == "01_mine"}
    assert status == {
        "solved": "correct", "mistaken": "wrong", "untouched": "not attempted yet",
        "stub_function": "not attempted yet",
        "second_try": "correct", "after_a_failure": "error", "still_checked": "correct",
    }
    wrong = got[("01_mine", "mistaken")].message
    assert "41" in wrong and "count the endpoints" in wrong, "a wrong answer shows the checker's own message"
    failed = got[("01_mine", "after_a_failure")].message
    assert "NameError" in failed and "undefined_name" in failed
    assert got[("02_slow", "before_the_stall")].status == "correct"
    assert got[("02_slow", "after_the_stall")].status == "error"
    assert "time limit of 30 s" in got[("02_slow", "-")].message
    assert got[("03_broken", "-")].status == "error" and "cannot be read" in got[("03_broken", "-")].message
    assert not any(r.lesson.startswith("solutions") or "solutions never run" in r.message for r in rows)
    assert ("01_mine", "a demo") not in got, "a quiet checker call that ran cleanly is not an exercise"
    assert progress.summary(rows) == ("4 of 9 exercises correct, 1 wrong, 2 not attempted, 2 errors; "
                                      "2 notebooks did not run to the end (02_slow, 03_broken)")


@pytest.mark.slow
def test_make_progress_on_a_fresh_workspace_of_the_real_course(tmp_path):
    """What a fresh clone gets: the set-up, then one real lesson run; its stubs are unattempted."""
    ws = tmp_path / "ws"
    workspace.setup(ws)
    result = subprocess.run([sys.executable, str(TOOLS / "progress.py"), "--workspace", str(ws), "03"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    rows = [line for line in lines if line.startswith("03_cache_trigger ")]
    assert rows and all(" not attempted " in line for line in rows), result.stdout
    assert re.fullmatch(rf"0 of {len(rows)} exercises correct, 0 wrong, {len(rows)} not attempted, 0 errors", lines[-1])
