"""Fixtures for the real-browser test: one JupyterLab server and one headless Chromium per session.

Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM), driven through the Python `playwright`
package; `playwright install` is never needed. Without Chromium the browser tests are left
out and the run ends with one line saying so and how to enable them; when $CI is set
(.ci/run sets it) they fail instead: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .jupyter_server import (
    CHROMIUM_ARGS,
    INSTALL_HINT,
    LabServer,
    chromium_problem,
    find_chromium,
    start_lab,
)
from .lab_page import new_page

BROWSER_FIXTURES = {"chromium_executable", "lab", "browser", "page"}


def pytest_collection_modifyitems(config, items):
    """Without Chromium (and not under CI), leave out the tests that need it and say so once."""
    problem = chromium_problem()
    if problem is None or os.environ.get("CI"):
        return
    here = Path(__file__).resolve().parent
    left_out = [item for item in items if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
                and here in Path(item.path).resolve().parents]
    if left_out:
        config._rc_browser_skipped = (len(left_out), problem)
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    problem = chromium_problem()
    if problem is not None:  # only reached under CI (otherwise the tests were left out)
        pytest.fail(f"{problem}; CI is set, so the browser test must run: {INSTALL_HINT}", pytrace=False)
    return find_chromium()


@pytest.fixture(scope="session")
def shots_dir(request) -> Path:
    path = Path(tempfile.mkdtemp(prefix="rc-browser-shots-"))
    request.config._rc_shots_dir = path
    return path


@pytest.fixture(scope="session")
def lab(chromium_executable, shots_dir) -> LabServer:
    """JupyterLab on a learner's workspace in a temporary folder (started only when Chromium exists)."""
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
    context, page = new_page(browser)
    try:
        yield page
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = getattr(config, "_rc_browser_skipped", None)
    if skipped is not None:
        count, problem = skipped
        terminalreporter.write_line(
            f"browser tests SKIPPED ({count}): {problem}. To run them, {INSTALL_HINT}, then `make test-browser` "
            "(with CI=1 set they fail instead of skipping)", yellow=True, bold=True)
    path = getattr(config, "_rc_shots_dir", None)
    if path is not None:
        terminalreporter.write_line(f"browser test screenshots and JupyterLab log: {path}")
