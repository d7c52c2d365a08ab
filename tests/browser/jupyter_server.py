"""A throw-away JupyterLab server for the browser test and `make bench`, plus lesson discovery.

It serves what `make lab` serves: a learner's workspace, set up by tools/workspace.py (the
same code `make lab` runs) in a temporary folder, with the command line of tools/serve_lab.py
plus the flags a test needs. So the browser test opens the lessons exactly as a learner gets
them (saved outputs and all), and JupyterLab's autosave never writes into the repository.

The server runs from this interpreter's environment (sys.executable, so the venv's kernel
spec and the ipywidgets lab extension in sys.prefix/share/jupyter are used), but every
per-user location is a fresh temporary folder: config, runtime, data, user settings and
workspaces. The course's overrides (tools/lab_settings.py: windowingMode "none", fetchNews
"false") go into an app-settings folder of our own, passed as --LabApp.app_settings_dir;
jupyterlab_server reads overrides.json only from app_settings_dir (not from
JUPYTERLAB_SETTINGS_DIR, which holds user settings), so this neither depends on nor touches
the venv's copy that `make install` writes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = "install it with `apt-get install chromium` (Debian/Ubuntu) or point $CHROMIUM at a Chromium binary"


def lessons_dir() -> Path:
    """The lessons to test: $RC_LESSONS_DIR if set (used to try the test on other notebooks), else lessons/."""
    return Path(os.environ.get("RC_LESSONS_DIR") or REPO / "lessons").resolve()


def _tools():
    """tools/lab_settings, tools/serve_lab and tools/workspace (scripts, not a package)."""
    sys.path.insert(0, str(TOOLS))
    try:
        import lab_settings
        import serve_lab
        import workspace
    finally:
        sys.path.remove(str(TOOLS))
    return lab_settings, serve_lab, workspace


def load_overrides_writer():
    lab_settings, _, _ = _tools()
    return lab_settings.OVERRIDES, lab_settings.write_overrides


def find_chromium() -> str | None:
    """$CHROMIUM if set (a name on PATH or a path), else Debian's chromium."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if os.access(configured, os.X_OK) else None)
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(candidate)
        if path:
            return path
    return None


def chromium_problem() -> str | None:
    """Why the browser cannot be driven here, or None when it can."""
    if find_chromium() is None:
        if os.environ.get("CHROMIUM"):
            return f"$CHROMIUM={os.environ['CHROMIUM']!r} is not an executable"
        return "Chromium not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package `playwright` is not installed (pip install -e '.[test]')"
    return None


# --- which notebooks have explorers -----------------------------------------------------------

_SHOW_CALL = re.compile(r"\.show\(\s*\)")


def explorer_models(nb) -> set[str]:
    """Ids of the widget models in the saved widget state that are explorer boxes."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return {
        model_id for model_id, model in state.items()
        if "rc-explorer" in (model.get("state", {}).get("_dom_classes") or [])
    }


def saved_explorer_outputs(nb) -> int:
    """How many explorer boxes the committed outputs display."""
    models = explorer_models(nb)
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view.get("model_id") in models:
                count += 1
    return count


_EXPLORER_IMPORT = re.compile(r"from[ \t]+rope_course\.explorers(?:\.\w+)?[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)")


def explorer_names(nb) -> set[str]:
    """Class names (capitalised) a notebook imports from rope_course.explorers, in any cell."""
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            src = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            for group in _EXPLORER_IMPORT.findall(src):
                names |= {name.split(" as ")[-1].strip() for name in group.strip("()").split(",") if name.strip()}
    return {name for name in names if name[:1].isupper()}


def source_shows_explorer(nb) -> bool:
    """A code cell calls .show() and names an explorer: the module, an Explorer, or a name the
    notebook imports from rope_course.explorers in any cell (lesson 09 builds `ScalingCompare()`
    in a cell of its own, below the import)."""
    names = explorer_names(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if _SHOW_CALL.search(src) and ("explorers" in src or "Explorer" in src
                                        or any(re.search(rf"\b{re.escape(n)}\b", src) for n in names)):
            return True
    return False


def read_unvalidated(path: Path):
    """A notebook as attribute-style dicts, without nbformat's schema validation (slow on big outputs)."""
    return nbformat.from_dict(json.loads(Path(path).read_text()))


def explorer_notebooks(root: Path | None = None) -> list[Path]:
    """Lesson notebooks (top level of lessons/, not solutions/) that show an explorer."""
    root = root or lessons_dir()
    found = []
    for path in sorted(root.glob("*.ipynb")):
        try:
            nb = read_unvalidated(path)
        except Exception:  # a half-written notebook: let the test of that notebook report it
            if "rc-explorer" in path.read_text(errors="replace"):
                found.append(path)
            continue
        if saved_explorer_outputs(nb) or source_shows_explorer(nb):
            found.append(path)
    return found


def learner_workspace(dst: Path, lessons: Path | None = None) -> Path:
    """A workspace at dst made by tools/workspace.py from `lessons` (default: lessons_dir())."""
    _, _, workspace = _tools()
    lessons = Path(lessons or lessons_dir())
    workspace.setup(dst, repo=lessons.parent)
    return Path(dst)


# --- the server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """`jupyter lab` on 127.0.0.1 with a random token, in its own process group."""

    def __init__(self, root_dir: Path, work_dir: Path):
        self.root_dir = Path(root_dir)  # the workspace: lessons/ inside it
        self.work = Path(work_dir)
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.work / "jupyter-lab.log"
        self.app_settings_dir = self.work / "app-settings"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, name: str) -> str:
        """The URL of lessons/<name> in the workspace (`?reset`: no saved JupyterLab layout)."""
        return f"{self.base_url}/lab/tree/lessons/{name}?reset&token={self.token}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key, sub in {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTER_DATA_DIR": "data",  # user data only; sys.prefix/share/jupyter stays on the path
            "JUPYTERLAB_SETTINGS_DIR": "user-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
            "IPYTHONDIR": "ipython",
            "MPLCONFIGDIR": "matplotlib",
        }.items():
            path = self.work / sub
            path.mkdir(parents=True, exist_ok=True)
            env[key] = str(path)
        for key in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTERLAB_DIR", "JUPYTER_TOKEN",
                    "JUPYTER_PREFER_ENV_PATH"):
            env.pop(key, None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def command(self) -> list[str]:
        """What `make lab` runs (tools/serve_lab.py's lab_command), plus the test's own flags."""
        _, serve_lab, _ = _tools()
        command = serve_lab.lab_command(self.port, self.token, self.root_dir, open_browser=False)
        return [*command,
                "--ServerApp.port_retries=0",
                "--LabApp.expose_app_in_browser=True",
                f"--LabApp.app_settings_dir={self.app_settings_dir}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--ServerApp.terminals_enabled=False",
                *([] if "--allow-root" in command else ["--allow-root"])]

    def start(self, timeout: float = 120.0) -> None:
        _, write_overrides = load_overrides_writer()
        write_overrides(self.app_settings_dir)
        for _attempt in range(3):
            self.log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                self.command(), cwd=self.root_dir, env=self.env(), stdin=subprocess.DEVNULL,
                stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            try:
                self._wait_ready(timeout)
                return
            except _PortTaken:
                self._kill()
                self.log.close()
                self.port = free_port()
            except BaseException:  # never leave a half-started server behind
                self._kill()
                self.log.close()
                raise
        raise RuntimeError(f"JupyterLab could not bind a free port; log: {self.log_path}\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_tail()
                if "already in use" in tail or "Address already in use" in tail:
                    raise _PortTaken()
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}; log {self.log_path}:\n{tail}")
            try:
                if self.api("GET", "/api/status", timeout=5)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"jupyter lab not ready after {timeout:.0f} s; log {self.log_path}:\n{self.log_tail()}")

    def api(self, method: str, path: str, body=None, timeout: float = 10.0):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text.strip() else None)

    def lab_setting(self, plugin: str) -> dict:
        """The settings JupyterLab hands the page for a plugin (composite = defaults + overrides + user)."""
        return self.api("GET", f"/lab/api/settings/{plugin}")[1]

    def shutdown_kernel_of(self, notebook_name: str) -> None:
        try:
            for session in self.api("GET", "/api/sessions")[1] or []:
                if session.get("path", "").endswith(notebook_name):
                    self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        except Exception:
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:  # shut the kernels down cleanly first, then the server
                for kernel in self.api("GET", "/api/kernels")[1] or []:
                    self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except Exception:
                pass
        self._kill()
        self.log.close()

    def _children(self) -> list[int]:
        """Pids whose parent is the server (its kernels run in sessions of their own). Linux only."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def _kill(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        children = self._children()
        pgid = self.proc.pid  # start_new_session: the server leads its own group
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        for pid in children:  # a kernel the API did not stop: it leads its own process group
            try:
                if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.killpg(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


class _PortTaken(Exception):
    pass


def start_lab(work: Path | None = None) -> LabServer:
    """Set up a learner's workspace, write the overrides and start a server; the caller must stop() it."""
    work = Path(work or tempfile.mkdtemp(prefix="rc-browser-lab-"))
    root = learner_workspace(work / "workspace")
    server = LabServer(root, work)
    server.start()
    return server
