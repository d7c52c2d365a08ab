"""Project plumbing: one dependency list, the lab command really serves the lessons, lessons in sync."""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def pyproject_dependencies() -> dict:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {requirement_name(d): d for d in project["dependencies"]}


def environment_dependencies() -> tuple[dict, list]:
    conda, pip, in_pip = {}, [], False
    text = (REPO / "environment.yml").read_text()
    for line in text[text.index("\ndependencies:"):].splitlines():
        item = re.match(r"^(\s*)- (.+)$", line)
        if not item:
            continue
        indent, value = len(item.group(1)), item.group(2).strip()
        if value == "pip:":
            in_pip = True
            continue
        if in_pip and indent > 2:
            pip.append(value)
            continue
        in_pip = False
        name = requirement_name(value)
        conda[CONDA_NAMES.get(name, name)] = value
    return conda, pip


def test_environment_yml_and_pyproject_agree_on_packages():
    conda, pip = environment_dependencies()
    conda.pop("python"), conda.pop("pip")
    assert set(conda) == set(pyproject_dependencies()), (
        "environment.yml and pyproject.toml list different packages: "
        f"only in environment.yml {sorted(set(conda) - set(pyproject_dependencies()))}, "
        f"only in pyproject.toml {sorted(set(pyproject_dependencies()) - set(conda))}"
    )
    assert any(re.fullmatch(r'-e\s+"?\.(\[test\])?"?', p) for p in pip), "environment.yml must pip-install the project itself"


def test_environment_yml_versions_match_pyproject_ranges():
    conda, _ = environment_dependencies()
    for name, spec in pyproject_dependencies().items():
        ours = spec[len(name):].replace(" ", "")
        conda_spec = conda[name].replace(" ", "")
        theirs = conda_spec[len(requirement_name(conda_spec)):]
        assert ours == theirs, f"{name}: pyproject {ours!r} vs environment.yml {theirs!r}"


def test_torch_pin_is_one_overridable_make_variable():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^TORCH_SPEC \?= torch==2\.13\.0$", makefile, re.M)
    assert makefile.count("torch==") == 1
    install = makefile[makefile.index("$(STAMP):"):]
    assert install.index('"$(TORCH_SPEC)"') < install.index('-e ".[test]"'), "torch must be installed before the project"


def test_ci_installs_chromium_then_runs_the_readme_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert "apt-get install" in ci and "chromium" in ci
    assert ci.index("chromium") < ci.index("make test")
    assert "make test" in (REPO / "README.md").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_make_lab_command_serves_the_lessons(tmp_path):
    """Start what `make lab` runs (tools/serve_lab.py), headless, on a free port; then stop it."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    server = subprocess.Popen(
        [sys.executable, str(REPO / "tools" / "serve_lab.py"), "--no-browser", "--port", str(port), "--token", token],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        deadline, status = time.time() + 60, None
        while time.time() < deadline:
            try:
                status, _ = get(f"http://127.0.0.1:{port}/api/status?token={token}")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, "JupyterLab did not answer /api/status within 60 s"
        status, body = get(f"http://127.0.0.1:{port}/api/contents?token={token}")
        names = {item["name"] for item in json.loads(body)["content"]}
        assert status == 200 and "00_start_here.ipynb" in names
        status, _ = get(f"http://127.0.0.1:{port}/lab/tree/00_start_here.ipynb?token={token}")
        assert status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:  # the token is really required
            get(f"http://127.0.0.1:{port}/api/contents")
        assert refused.value.code == 403
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


def test_serve_lab_refuses_an_empty_token():
    sys.path.insert(0, str(REPO / "tools"))
    from serve_lab import lab_command

    with pytest.raises(ValueError, match="token"):
        lab_command(8888, "")
    command = lab_command(8888, "abc")
    assert "--ip=127.0.0.1" in command and "--IdentityProvider.token=abc" in command


def test_lab_overrides_installed_in_the_environment():
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert path.exists(), "run `make install` (tools/install_lab_settings.py) first"
    overrides = json.loads(path.read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["windowingMode"] == "none"
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
