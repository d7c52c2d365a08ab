"""Install the course's JupyterLab overrides into the running environment (sys.prefix)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_settings import write_overrides  # noqa: E402

if __name__ == "__main__":
    path = write_overrides(Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings")
    print(f"JupyterLab overrides written to {path}")
