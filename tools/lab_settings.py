"""JupyterLab settings the course relies on, shared by `make lab` and the browser test.

windowingMode "none": JupyterLab's default virtualised notebook can detach off-screen cells,
which leaves widgets blank until scrolled; "none" renders every cell.
fetchNews "false": no news requests from a machine that may have no internet.

They go into an `overrides.json`, which may already hold other settings (a user's, another
extension's): those are kept. Only the keys below are set; where one had another value, the
change is reported.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}


def merge_overrides(existing: dict, overrides: dict = OVERRIDES) -> tuple[dict, list[str]]:
    """`existing` with the course's keys set (a new dict), and a line for each value it replaced."""
    if not isinstance(existing, dict):
        raise TypeError(f"overrides.json must hold a JSON object, not {type(existing).__name__}")
    merged = copy.deepcopy(existing)
    changes = []
    for plugin, values in overrides.items():
        current = merged.setdefault(plugin, {})
        if not isinstance(current, dict):
            raise TypeError(f"overrides.json: {plugin!r} must be an object, not {type(current).__name__}")
        for key, value in values.items():
            if key in current and current[key] != value:
                changes.append(f"{plugin}: {key} {current[key]!r} -> {value!r}")
            current[key] = value
    return merged, changes


def _read_json(path: Path) -> dict:
    text = path.read_text()
    if not text.strip():
        return {}
    try:
        return json.loads(text)  # JupyterLab reads overrides.json as strict JSON too
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); it was left as it is: fix or move it, "
                         "then rerun") from None


def write_overrides(settings_dir: Path) -> tuple[Path, list[str]]:
    """Merge the course's settings into `settings_dir`/overrides.json; its path and what changed.

    A file that is not JSON (ValueError) or not an object of objects (TypeError) is left as it is.
    """
    settings_dir = Path(settings_dir)
    settings_dir.mkdir(parents=True, exist_ok=True)
    path = settings_dir / "overrides.json"
    existing = _read_json(path) if path.exists() else {}
    merged, changes = merge_overrides(existing)
    if merged != existing or not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(merged, indent=2) + "\n")
        os.replace(tmp, path)
    return path, changes
