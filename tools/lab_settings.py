"""JupyterLab settings the course relies on, shared by `make lab` and the browser test.

windowingMode "none": JupyterLab's default virtualised notebook can detach off-screen cells,
which leaves widgets blank until scrolled; "none" renders every cell.
fetchNews "false": no news requests from a machine that may have no internet.
"""

import json
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}


def write_overrides(settings_dir: Path) -> Path:
    """Write overrides.json into a JupyterLab `settings` folder and return its path."""
    settings_dir = Path(settings_dir)
    settings_dir.mkdir(parents=True, exist_ok=True)
    path = settings_dir / "overrides.json"
    path.write_text(json.dumps(OVERRIDES, indent=2) + "\n")
    return path
