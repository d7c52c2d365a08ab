"""`make progress`: run the learner's lessons headless and tabulate every exercise's status.

    python tools/progress.py [--workspace DIR] [--timeout S] [NN ...]

Each workspace lesson (DIR/lessons/NN_*.ipynb; solutions are not part of progress) runs on a
fresh kernel with nbclient, in a temporary copy of the workspace, so nothing is ever written
into the learner's files. `allow_errors`: a failing cell does not hide the exercises after it.

The checkers' own results are the source of truth, never printed text: with the environment
variable ROPE_COURSE_PROGRESS_FILE naming a file, every `rope_course.checks` result appends
one JSON line {"exercise", "status", "message"} to it (status "correct", "wrong" or "not
attempted yet"). The last record of an exercise in a lesson is its status.

A checker cell (one that calls `check_...(`) that raised before recording anything is an
"error", with the error it raised (typically a NameError because the cell defining the answer
failed earlier). A checker cell that ran cleanly and recorded nothing made only quiet calls
(`quiet=True`: a demonstration, as in lesson 00) and gets no row. A notebook that cannot run to
the end (a timeout, a dead kernel, unreadable JSON) gets a row saying so; the exercises it
checked before that still count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from workspace import BACKUPS, DEFAULT_WORKSPACE, MANIFEST_NAME, workspace_path  # tools/: the script's folder

PROGRESS_ENV = "ROPE_COURSE_PROGRESS_FILE"  # the contract with rope_course.checks (its PROGRESS_ENV)
CORRECT, WRONG, NOT_ATTEMPTED, ERROR = "correct", "wrong", "not attempted yet", "error"
DEFAULT_TIMEOUT_S = 300
LESSON_GLOB = "[0-9][0-9]_*.ipynb"

# A call of a checker in a code cell: `check_rows_built(...)`, `result = check_answer("name", ...)`.
_CHECK_CALL = re.compile(r"^[^#\n]*?\b(check_\w+)\s*\(\s*(?:(['\"])([^'\"\n]+)\2)?", re.MULTILINE)
_GENERIC_CHECKERS = {"check_exercise", "check_answer"}


@dataclass
class Row:
    lesson: str
    exercise: str
    status: str
    message: str


def checker_cells(nb) -> dict[int, list[str]]:
    """Cell index -> the exercises its checker calls name (a guess from the call; the checker's
    own record, when there is one, is what counts)."""
    found = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        names = []
        for match in _CHECK_CALL.finditer(cell.source):
            line = match.group(0).lstrip()
            if line.startswith(("def ", "import ", "from ")):
                continue
            function, literal = match.group(1), match.group(3)
            if function in _GENERIC_CHECKERS:
                names.append(literal or function)
            else:
                names.append(function.removeprefix("check_"))
        if names:
            found[index] = names
    return found


def _read_records(path: Path, offset: int) -> tuple[list[dict], int]:
    """The complete JSON lines appended to `path` after byte `offset`, and the new offset."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1  # a line still being written waits for the next read
    records = []
    for line in data[:end].splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "exercise" in record and "status" in record:
            records.append(record)
    return records, offset + end


def run_lesson(notebook: Path, workdir: Path, timeout: float = DEFAULT_TIMEOUT_S) -> list[Row]:
    """Execute one (already copied) lesson; its rows, in the order the exercises are checked."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    lesson = notebook.stem
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as exc:  # not a notebook any more (a bad edit outside JupyterLab)
        return [Row(lesson, "-", ERROR, f"the notebook cannot be read: {type(exc).__name__}: {exc}")]
    expected = checker_cells(nb)
    progress_file = workdir / f".progress-{lesson}.jsonl"
    progress_file.write_text("")
    results: dict[str, dict] = {}  # exercise -> its last record (dicts keep first-seen order)
    cell_errors: dict[int, str] = {}
    recorded_in: dict[int, list[str]] = {}
    offset = 0

    def collect(cell_index=None):
        nonlocal offset
        records, offset = _read_records(progress_file, offset)
        for record in records:
            name = str(record["exercise"])
            results.pop(name, None)
            results[name] = record
            if cell_index is not None:
                recorded_in.setdefault(cell_index, []).append(name)

    def on_cell_executed(cell, cell_index, execute_reply):
        content = (execute_reply or {}).get("content", {})
        if content.get("status") == "error":
            cell_errors[cell_index] = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".strip()
        collect(cell_index)

    deadline = []  # set when the first cell starts: the kernel's start-up has its own limit

    def on_cell_start(cell, cell_index):
        if not deadline:
            deadline.append(time.monotonic() + timeout)

    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(notebook.parent)}},
        timeout_func=lambda cell: max(1, int(deadline[0] - time.monotonic())),
        startup_timeout=120,
    )
    client.on_cell_start = on_cell_start
    client.on_cell_executed = on_cell_executed
    failure = None
    kernel_log = workdir / f".kernel-{lesson}.log"
    with open(kernel_log, "wb") as log:  # the kernel's own stderr: kept out of the table, quoted if it dies
        try:
            client.execute(env={**os.environ, PROGRESS_ENV: str(progress_file)}, stdout=log, stderr=log)
        except CellTimeoutError:
            failure = f"stopped at the time limit of {timeout:g} s (`--timeout` gives it longer)"
        except DeadKernelError:
            failure = "the kernel died while running it (out of memory?)" + _tail(kernel_log)
        except Exception as exc:
            first_line = (str(exc).strip().splitlines() or [""])[0]
            failure = f"{type(exc).__name__}: {first_line}" + _tail(kernel_log)
    collect()

    rows = [Row(lesson, name, str(r["status"]), str(r.get("message", ""))) for name, r in results.items()]
    for index, names in expected.items():
        if recorded_in.get(index):
            continue
        for name in names:
            if name in results:
                continue
            if index in cell_errors:
                why = f"its checker cell raised {cell_errors[index]}"
                earlier = [i for i in cell_errors if i < index]
                if earlier:
                    why += f" (code cell {_code_number(nb, earlier[0])} failed first: {cell_errors[earlier[0]]})"
            elif failure is not None:
                why = "its checker cell never ran: the notebook stopped before it"
            else:
                continue  # ran cleanly with only quiet calls: a demonstration, not an exercise
            rows.append(Row(lesson, name, ERROR, why))
    if failure is not None:
        rows.append(Row(lesson, "-", ERROR, f"the notebook did not run to the end: {failure}"))
    return rows


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f"; the kernel's last words: {' | '.join(text[-lines:])}" if text else ""


def _code_number(nb, index: int) -> int:
    """1-based number of cell `index` among the code cells (what a learner counts)."""
    return sum(1 for cell in nb.cells[: index + 1] if cell.cell_type == "code")


def workspace_lessons(workspace: Path, only: list[str] | None = None) -> list[Path]:
    lessons = sorted((Path(workspace) / "lessons").glob(LESSON_GLOB))
    if only:
        prefixes = tuple(f"{int(p):02d}_" if p.isdigit() else p for p in only)
        lessons = [p for p in lessons if p.name.startswith(prefixes)]
    return lessons


def progress(workspace: Path = DEFAULT_WORKSPACE, only: list[str] | None = None,
             timeout: float = DEFAULT_TIMEOUT_S, on_lesson=None) -> list[Row]:
    """Rows for every exercise of every workspace lesson, run in a temporary copy of the workspace."""
    workspace = Path(workspace).resolve()
    lessons = workspace_lessons(workspace, only)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rope-course-progress-") as tmp:
        copy = Path(tmp) / "workspace"
        # The whole workspace (its relative links and any files the learner added), not the backups.
        shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns(BACKUPS, MANIFEST_NAME, ".ipynb_checkpoints"))
        for lesson in lessons:
            if on_lesson:
                on_lesson(lesson)
            rows += run_lesson(copy / "lessons" / lesson.name, Path(tmp), timeout)
    return rows


def summary(rows: list[Row]) -> str:
    exercises = [r for r in rows if r.exercise != "-"]
    count = {status: sum(r.status == status for r in exercises) for status in (CORRECT, WRONG, NOT_ATTEMPTED, ERROR)}
    other = len(exercises) - sum(count.values())
    text = (f"{count[CORRECT]} of {len(exercises)} exercises correct, {count[WRONG]} wrong, "
            f"{count[NOT_ATTEMPTED]} not attempted, {count[ERROR]} error{'s' if count[ERROR] != 1 else ''}")
    if other:
        text += f", {other} with another status"
    stopped = [r.lesson for r in rows if r.exercise == "-"]
    if stopped:
        plural = "s" if len(stopped) > 1 else ""
        text += f"; {len(stopped)} notebook{plural} did not run to the end ({', '.join(stopped)})"
    return text


def table(rows: list[Row]) -> str:
    if not rows:
        return "no exercises found"
    short = {NOT_ATTEMPTED: "not attempted"}
    header = ("lesson", "exercise", "status", "message")
    cells = [header]
    cells += [(r.lesson, r.exercise, short.get(r.status, r.status), " ".join(r.message.split())) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = []
    for n, c in enumerate(cells):
        lines.append("  ".join(c[i].ljust(widths[i]) for i in range(3)) + "  " + c[3])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers to run (default: all)")
    parser.add_argument("--workspace", type=workspace_path, default=DEFAULT_WORKSPACE, help="default: workspace/")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per notebook")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows to this file as JSON")
    args = parser.parse_args(argv)
    if not (args.workspace / "lessons").is_dir():
        print(f"no workspace at {args.workspace}: run `make lab` (or `python tools/workspace.py setup`) first")
        return 2
    rows = progress(args.workspace, args.lessons, args.timeout,
                    on_lesson=lambda path: print(f"running {path.name} ...", file=sys.stderr, flush=True))
    print(table(rows))
    print()
    print(summary(rows))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
