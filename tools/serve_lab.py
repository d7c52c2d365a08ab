"""Start JupyterLab on the lessons: what `make lab` runs.

Bound to 127.0.0.1, always with a token (a random one unless --token is given), rooted at
lessons/ and opening 00_start_here.ipynb. --no-browser is for tests and remote shells.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"
FIRST_LESSON = "00_start_here.ipynb"


def lab_command(port: int, token: str, open_browser: bool = True) -> list[str]:
    if not token:
        raise ValueError("token must be a non-empty string: the server never runs without one")
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={LESSONS}",
        f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}",
    ]
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--token", default=None, help="default: a fresh random token")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    token = args.token or secrets.token_hex(24)
    command = lab_command(args.port, token, open_browser=not args.no_browser)
    print(f"Opening the lessons at http://127.0.0.1:{args.port}/lab/tree/{FIRST_LESSON}?token={token}", flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
