"""Which nbval markers and cell tags the lessons may use, each with the reason it is allowed.

Strict nbval compares every output of every lesson with the committed one. A marker or tag
that weakens that comparison is allowed only for the reasons below; anything else (for example
`# NBVAL_SKIP`, which would let a cell's numbers drift unseen) fails `build_lessons.py --check`
and the tests.
"""

from __future__ import annotations

import re

# Comment markers nbval reads from the first lines of a code cell.
ALLOWED_MARKERS = {
    "NBVAL_IGNORE_OUTPUT": "the output depends on the environment (package versions, the "
                           "interpreter's path, the machine); the cell still has to run without error",
    "NBVAL_RAISES_EXCEPTION": "the cell shows an error on purpose (upstream's own crash); nbval "
                              "then requires that it raises",
}

# Cell tags (metadata) that nbval or nbclient act on.
ALLOWED_TAGS = {
    "nbval-ignore-output": ALLOWED_MARKERS["NBVAL_IGNORE_OUTPUT"],
    "raises-exception": ALLOWED_MARKERS["NBVAL_RAISES_EXCEPTION"] + "; nbclient keeps executing after it",
}

_MARKER = re.compile(r"#\s*(NBVAL_[A-Z_]+)")


def markers_in(source: str) -> list[str]:
    return _MARKER.findall(source)


def policy_violations(nb) -> list[str]:
    """Cells that use a marker or tag outside the allowed lists, described one per line."""
    problems = []
    for index, cell in enumerate(nb.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        for tag in tags:
            if tag not in ALLOWED_TAGS:
                problems.append(f"cell {index}: tag {tag!r} is not allowed (allowed: {sorted(ALLOWED_TAGS)})")
        if cell.cell_type != "code":
            continue
        for marker in markers_in(cell.source):
            if marker not in ALLOWED_MARKERS:
                problems.append(f"cell {index}: marker {marker} is not allowed (allowed: {sorted(ALLOWED_MARKERS)})")
    return problems
