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
    assert any(re.fullmatch(r'-e\s+"?\.(\[test\])?"?', p) for p in pip), (
        "environment.yml must pip-install the project itself")


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
    assert install.index('"$(TORCH_SPEC)"') < install.index('-e ".[test]"'), (
        "torch must be installed before the project")


def test_ci_installs_chromium_then_runs_the_readme_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert "apt-get install" in ci and "chromium" in ci
    assert ci.index("chromium") < ci.index("make test")
    assert re.search(r"^export CI=1$", ci, re.M), ".ci/run must set CI itself, so a missing Chromium fails"
    assert ci.index("export CI=1") < ci.index("make test")
    assert "make test" in (REPO / "README.md").read_text()


def make_rule(target: str) -> tuple[list[str], str]:
    """Prerequisites (all rules for the target, order-only ones left out) and recipe of a Makefile target."""
    text = (REPO / "Makefile").read_text()
    prerequisites, recipe = [], ""
    for match in re.finditer(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n)*)", text, re.M):
        prerequisites += match.group(1).split("|")[0].split()
        recipe += match.group(2)
    return prerequisites, recipe


def test_install_stamp_depends_on_every_file_the_install_step_reads():
    prerequisites, recipe = make_rule("$(STAMP)")
    assert "pip install -e" in recipe and "tools/install_lab_settings.py" in recipe
    read = {"pyproject.toml"}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    if isinstance(project.get("readme"), str):
        read.add(project["readme"])  # pip reads it for the package's metadata
    for script in re.findall(r"\$\(PY\) (tools/\S+\.py)", recipe):
        read.add(script)
        for module in re.findall(r"^from (\w+) import|^import (\w+)", (REPO / script).read_text(), re.M):
            name = next(m for m in module if m)
            if (REPO / "tools" / f"{name}.py").exists():
                read.add(f"tools/{name}.py")
    assert read <= set(prerequisites), f"the install stamp misses {sorted(read - set(prerequisites))}"
    assert "TORCH_SPEC" in recipe and "FORCE" in prerequisites, "a new TORCH_SPEC reinstalls"


def test_make_test_runs_ruff_first():
    prerequisites, _ = make_rule("test")
    assert prerequisites[:2] == ["install", "lint"]
    _, recipe = make_rule("lint")
    assert "ruff check ." in recipe


def test_make_test_checks_the_pristine_lessons_not_the_workspace():
    _, recipe = make_rule("test-lessons")
    assert "$(NBVAL) lessons" in recipe and "workspace" not in recipe.lower()
    assert re.search(r"^/workspace/$", (REPO / ".gitignore").read_text(), re.M), "the workspace is ignored by git"


@pytest.mark.slow
def test_browser_tests_skip_with_one_line_locally_and_fail_under_ci(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CHROMIUM"] = str(tmp_path / "no-such-chromium")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REPO / "tests" / "browser")]
    local = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert local.returncode == 0, local.stdout[-3000:]
    said = [line for line in local.stdout.splitlines() if "browser tests SKIPPED" in line]
    assert len(said) == 1 and "apt-get install chromium" in said[0] and "make test-browser" in said[0], local.stdout
    assert "skipped" not in local.stdout.replace(said[0], "").lower(), "one line, not one per test"
    ci = subprocess.run([*command, "-x"], capture_output=True, text=True, env={**env, "CI": "1"}, cwd=REPO, timeout=300)
    assert ci.returncode != 0 and "CI is set, so the browser test must run" in ci.stdout, ci.stdout[-3000:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_make_lab_command_serves_the_workspace(tmp_path):
    """Start what `make lab` runs (tools/serve_lab.py), headless, on a free port, on a new workspace; then stop it."""
    port, token, workspace = free_port(), secrets.token_hex(16), tmp_path / "my work"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    server = subprocess.Popen(
        [sys.executable, str(REPO / "tools" / "serve_lab.py"), "--no-browser", "--port", str(port), "--token", token,
         "--workspace", str(workspace)],
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
        status, body = get(f"http://127.0.0.1:{port}/api/contents/lessons?token={token}")
        names = {item["name"] for item in json.loads(body)["content"]}
        assert status == 200 and {"00_start_here.ipynb", "solutions"} <= names
        _, body = get(f"http://127.0.0.1:{port}/api/contents?token={token}")
        top = {item["name"] for item in json.loads(body)["content"]}
        assert {"lessons", "README.md"} <= top and ("SOURCES.md" in top) == (REPO / "SOURCES.md").exists()
        status, _ = get(f"http://127.0.0.1:{port}/lab/tree/lessons/00_start_here.ipynb?token={token}")
        assert status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:  # the token is really required
            get(f"http://127.0.0.1:{port}/api/contents")
        assert refused.value.code == 403
        assert (workspace / "lessons" / "00_start_here.ipynb").read_bytes() == (
            REPO / "lessons" / "00_start_here.ipynb").read_bytes()
    finally:
        os.killpg(server.pid, 15)
        output = server.communicate(timeout=20)[0].decode(errors="replace")
    assert f"Your work lives in {workspace.resolve()}" in output, output[-2000:]


def test_serve_lab_refuses_an_empty_token():
    from serve_lab import lab_command  # tools/, on pytest's pythonpath

    with pytest.raises(ValueError, match="token"):
        lab_command(8888, "")
    command = lab_command(8888, "abc", Path("/tmp/ws"))
    assert "--ip=127.0.0.1" in command and "--IdentityProvider.token=abc" in command
    assert f"--ServerApp.root_dir={Path('/tmp/ws').resolve()}" in command
    assert "--LabApp.default_url=/lab/tree/lessons/00_start_here.ipynb" in command


def test_lab_overrides_installed_in_the_environment():
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert path.exists(), "run `make install` (tools/install_lab_settings.py) first"
    overrides = json.loads(path.read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["windowingMode"] == "none"
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_lab_settings_merge_into_a_users_overrides(tmp_path):
    import lab_settings
    users = {
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        "@jupyterlab/notebook-extension:tracker": {"codeCellConfig": {"lineNumbers": True}, "windowingMode": "full"},
    }
    (tmp_path / "overrides.json").write_text(json.dumps(users))
    path, changes = lab_settings.write_overrides(tmp_path)
    merged = json.loads(path.read_text())
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert merged["@jupyterlab/notebook-extension:tracker"] == {"codeCellConfig": {"lineNumbers": True},
                                                                "windowingMode": "none"}
    assert merged["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false"}
    assert changes == ["@jupyterlab/notebook-extension:tracker: windowingMode 'full' -> 'none'"]
    before = path.read_bytes()
    assert lab_settings.write_overrides(tmp_path) == (path, []) and path.read_bytes() == before, "idempotent"


def test_lab_settings_leave_an_unreadable_overrides_file_alone(tmp_path):
    import lab_settings
    for text, error in (("{ not json", ValueError), ('["a list"]', TypeError),
                        ('{"@jupyterlab/notebook-extension:tracker": 3}', TypeError)):
        (tmp_path / "overrides.json").write_text(text)
        with pytest.raises(error):
            lab_settings.write_overrides(tmp_path)
        assert (tmp_path / "overrides.json").read_text() == text


def test_transformers_range_is_the_tested_one():
    from rope_course.engines.hf import TESTED_RANGE

    spec = pyproject_dependencies()["transformers"]
    assert spec == "transformers" + TESTED_RANGE, (spec, TESTED_RANGE)
