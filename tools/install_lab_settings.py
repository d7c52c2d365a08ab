"""Merge the course's JupyterLab settings into the running environment's overrides.json.

The file is sys.prefix/share/jupyter/lab/settings/overrides.json; settings already there are
kept (tools/lab_settings.py). Run by `make install`, and by hand on the conda route.
"""

import sys
from pathlib import Path

from lab_settings import write_overrides  # tools/ is on sys.path when this runs as a script


def main() -> int:
    try:
        path, changes = write_overrides(Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings")
    except (ValueError, TypeError) as exc:
        print(f"JupyterLab settings not installed: {exc}", file=sys.stderr)
        return 1
    print(f"JupyterLab settings the course needs are in {path}")
    for change in changes:
        print(f"  changed {change} (the course needs it; see tools/lab_settings.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
