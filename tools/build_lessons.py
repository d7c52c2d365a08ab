"""Build the committed notebooks in lessons/ from their sources in lessons_src/, executed.

A source is a plain Python file in jupytext's "percent" format, easy to diff and review:

    # %% [markdown]
    # # A title
    # Some prose.

    # %% tags=["nbval-ignore-output"]
    print(torch.__version__)

`lessons_src/NN_name.py` becomes `lessons/NN_name.ipynb`, and
`lessons_src/solutions/NN_name.py` becomes `lessons/solutions/NN_name.ipynb`. jupytext reads the
sources (cell tags and metadata included); nbclient executes every notebook top to bottom on a
fresh python3 kernel with its folder as the working directory; the result is saved with its
outputs (strict nbval compares against them).

    python tools/build_lessons.py            # all lessons
    python tools/build_lessons.py 03 05      # the lessons whose names start with 03 or 05
    python tools/build_lessons.py --check    # exit 1 if any notebook and its source disagree

`--check` also fails for a notebook without a source, a source without a notebook, and any
nbval marker or cell tag that is not in `NBVAL_POLICY` (tools/nbval_policy.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbval_policy import policy_violations  # tools/ is on sys.path when this runs as a script

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "lessons_src"
OUT = REPO / "lessons"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# jupytext's own bookkeeping for round trips; not part of a lesson.
_JUPYTEXT_CELL_KEYS = {"lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker", "title"}


def notebook_from_source(path: Path) -> nbformat.NotebookNode:
    """The unexecuted notebook for a source: its cells, with tags, stable ids and a kernelspec."""
    nb = jupytext.read(path, fmt="py:percent")
    for i, cell in enumerate(nb.cells):
        for key in _JUPYTEXT_CELL_KEYS & set(cell.metadata):
            del cell.metadata[key]
        cell["id"] = f"{path.stem[:20]}-{i:03d}".replace("_", "-")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = nbformat.NotebookNode(
        kernelspec=dict(KERNELSPEC), language_info={"name": "python"})
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def target_for(source: Path) -> Path:
    return OUT / source.relative_to(SRC).with_suffix(".ipynb")


def source_for(notebook: Path) -> Path:
    return SRC / notebook.relative_to(OUT).with_suffix(".py")


def all_sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if not p.name.startswith("_"))


def all_notebooks() -> list[Path]:
    return sorted(p for p in OUT.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def selected_sources(prefixes: list[str]) -> list[Path]:
    found = all_sources()
    if prefixes:
        found = [p for p in found if any(p.name.startswith(x) for x in prefixes)]
    return found


def build(source: Path, timeout: int = 600) -> float:
    nb = notebook_from_source(source)
    target = target_for(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(target.parent)}}).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata = nbformat.NotebookNode(kernelspec=dict(KERNELSPEC), language_info={"name": "python"})
    nbformat.write(nb, target)
    return elapsed


def _cells(nb) -> list[tuple]:
    """What must agree between a source and its notebook: each cell's type, text and tags."""
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def out_of_sync(source: Path) -> list[str]:
    """What disagrees between a source and its committed notebook (cells, tags, nbval policy)."""
    target = target_for(source)
    if not target.exists():
        return [f"{target.relative_to(REPO)} is missing: run `python tools/build_lessons.py {source.stem[:2]}`"]
    problems = []
    want = notebook_from_source(source)
    have = nbformat.read(target, as_version=4)
    if _cells(want) != _cells(have):
        problems.append(f"{target.relative_to(REPO)} differs from {source.relative_to(REPO)}: "
                        f"run `python tools/build_lessons.py {source.stem[:2]}`")
    problems += [f"{target.relative_to(REPO)}: {p}" for p in policy_violations(have)]
    return problems


def check_all() -> list[str]:
    problems = []
    for source in all_sources():
        problems += out_of_sync(source)
    for notebook in all_notebooks():
        if not source_for(notebook).exists():
            problems.append(f"{notebook.relative_to(REPO)} has no source "
                            f"({source_for(notebook).relative_to(REPO)}): delete it or add the source")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = check_all()
        for p in problems:
            print(p)
        return 1 if problems else 0
    for source in selected_sources(args.prefixes):
        elapsed = build(source)
        print(f"built {target_for(source).relative_to(REPO)} in {elapsed:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
