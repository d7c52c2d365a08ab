"""Start JupyterLab on the learner's workspace: what `make lab` runs.

First brings the workspace up to date (tools/workspace.py: new lessons copied in, the
learner's own copies never overwritten) and says where the work lives; then serves the
workspace as JupyterLab's root, opening lessons/00_start_here.ipynb. Bound to 127.0.0.1,
always with a token (a random one unless --token is given). --no-browser is for tests and
remote shells.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from workspace import DEFAULT_WORKSPACE, FIRST_LESSON, setup, workspace_path  # tools/: the script's folder


def lab_command(port: int, token: str, workspace: Path = DEFAULT_WORKSPACE, open_browser: bool = True) -> list[str]:
    """The `jupyter lab` command line for a workspace (the browser test adds its own flags to it)."""
    if not token:
        raise ValueError("token must be a non-empty string: the server never runs without one")
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={Path(workspace).resolve()}",
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
    parser.add_argument("--workspace", type=workspace_path, default=DEFAULT_WORKSPACE, help="default: workspace/")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    token = args.token or secrets.token_hex(24)
    print("\n".join(setup(args.workspace).lines()), flush=True)
    command = lab_command(args.port, token, args.workspace, open_browser=not args.no_browser)
    print(f"Opening the course at http://127.0.0.1:{args.port}/lab/tree/{FIRST_LESSON}?token={token}", flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
