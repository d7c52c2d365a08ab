"""Build the committed notebooks in lessons/ from their sources in lessons_src/, executed.

A source is a plain Python file in "percent" format, easy to diff and review:

    # %% [markdown]
    # # A title
    # Some prose.

    # %%
    x = 1 + 1

`lessons_src/NN_name.py` becomes `lessons/NN_name.ipynb`, and
`lessons_src/solutions/NN_name.py` becomes `lessons/solutions/NN_name.ipynb`. Every notebook
is executed top to bottom on a fresh python3 kernel with its folder as the working directory,
and saved with its outputs (strict nbval compares against them).

    python tools/build_lessons.py            # all lessons
    python tools/build_lessons.py 03 05      # the lessons whose names start with 03 or 05
    python tools/build_lessons.py --check    # exit 1 if a notebook's cells differ from its source
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "lessons_src"
OUT = REPO / "lessons"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def parse_source(text: str) -> list:
    """Split percent-format text into notebook cells (markdown lines lose their '# ')."""
    cells = []
    kind, lines = None, []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(l[2:] if l.startswith("# ") else l.lstrip("#") for l in body.split("\n"))
            cells.append(nbformat.v4.new_markdown_cell(body))
        elif body.strip():
            cells.append(nbformat.v4.new_code_cell(body))

    for line in text.split("\n"):
        if line.startswith("# %%"):
            flush()
            kind = "markdown" if "[markdown]" in line else "code"
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def notebook_from_source(path: Path):
    nb = nbformat.v4.new_notebook()
    nb.cells = parse_source(path.read_text())
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{path.stem[:20]}-{i:03d}".replace("_", "-")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def target_for(source: Path) -> Path:
    return OUT / source.relative_to(SRC).with_suffix(".ipynb")


def sources(prefixes: list[str]) -> list[Path]:
    found = sorted(p for p in SRC.rglob("*.py") if not p.name.startswith("_"))
    if prefixes:
        found = [p for p in found if any(p.name.startswith(x) for x in prefixes)]
    return found


def build(source: Path, timeout: int = 300) -> float:
    nb = notebook_from_source(source)
    target = target_for(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(target.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, target)
    return elapsed


def out_of_sync(source: Path) -> list[str]:
    """Names the cells whose source differs between lessons_src/ and the committed notebook."""
    target = target_for(source)
    if not target.exists():
        return [f"{target.relative_to(REPO)} is missing"]
    want = [(c.cell_type, c.source) for c in notebook_from_source(source).cells]
    have = [(c.cell_type, c.source) for c in nbformat.read(target, as_version=4).cells]
    if want == have:
        return []
    return [f"{target.relative_to(REPO)} differs from {source.relative_to(REPO)}: run `python tools/build_lessons.py {source.stem[:2]}`"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    problems = []
    for source in sources(args.prefixes):
        if args.check:
            problems += out_of_sync(source)
            continue
        elapsed = build(source)
        print(f"built {target_for(source).relative_to(REPO)} in {elapsed:.1f} s", flush=True)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
