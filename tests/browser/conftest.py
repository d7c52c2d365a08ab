"""Fixtures for the real-browser test: one JupyterLab server and one headless Chromium per session.

Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), driven through the Python `playwright`
package; `playwright install` is never needed. Without Chromium the browser tests skip, except
when $CI is set, where they fail: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .jupyter_server import LabServer, start_lab

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = "install it with `apt-get install chromium` (Debian/Ubuntu) or point $CHROMIUM at a Chromium binary"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser test must run: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}: {INSTALL_HINT}")


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        path = shutil.which(configured) or (configured if os.access(configured, os.X_OK) else None)
        return path
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(candidate)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        where = f"$CHROMIUM={os.environ['CHROMIUM']!r} is not an executable" if os.environ.get("CHROMIUM") else "Chromium not found"
        _unavailable(where)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package `playwright` is not installed (pip install -e '.[test]')")
    return path


@pytest.fixture(scope="session")
def shots_dir(request) -> Path:
    path = Path(tempfile.mkdtemp(prefix="rc-browser-shots-"))
    request.config._rc_shots_dir = path
    return path


@pytest.fixture(scope="session")
def lab(chromium_executable, shots_dir) -> LabServer:
    """JupyterLab on a cleared temporary copy of the lessons (started only when Chromium exists)."""
    server = start_lab()
    try:
        yield server
    finally:
        server.stop()
        try:
            shutil.copy(server.log_path, shots_dir / "jupyter-lab.log")
        except OSError:
            pass
        shutil.rmtree(server.work, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page (own context: no shared storage) that records console errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.rc_console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.rc_console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.rc_console_errors.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    path = getattr(config, "_rc_shots_dir", None)
    if path is not None:
        terminalreporter.write_line(f"browser test screenshots and JupyterLab log: {path}")
