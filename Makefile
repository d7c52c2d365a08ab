# Two commands for a fresh machine: `make lab` and `make test`. Each creates .venv if it is
# missing and installs everything into it first.
#
# torch is installed first, on its own, from TORCH_SPEC. The default is the CPU wheel that
# lies on this project's machines; elsewhere choose your own, e.g.
#   make test TORCH_SPEC='torch>=2.1,<2.15'
#
# The learner's own copies of the lessons live in WORKSPACE (default workspace/, ignored by
# git); lessons/ stays the pristine course that `make test` checks. See tools/workspace.py.

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PORT ?= 8888
WORKSPACE ?= workspace
LESSON ?=

PY := $(VENV)/bin/python
STAMP := $(VENV)/.rope-course-installed
TORCH_STAMP := $(VENV)/.rope-course-torch-spec
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with lessons/nbval_sanitize.cfg

.PHONY: install lab workspace reset-lesson progress lint test test-package test-lessons test-browser bench lessons clean FORCE

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# The install reruns when a file it reads changes (pip reads pyproject.toml and README.md,
# the package's long description; the settings step runs the two tools/ files), and when
# TORCH_SPEC differs from the one the last install used (kept in TORCH_STAMP).
ifneq ($(strip $(shell cat $(TORCH_STAMP) 2>/dev/null)),$(strip $(TORCH_SPEC)))
$(STAMP): FORCE
endif

$(STAMP): pyproject.toml README.md tools/install_lab_settings.py tools/lab_settings.py | $(PY)
	$(PY) -m pip install "$(TORCH_SPEC)"
	$(PY) -m pip install -e ".[test]"
	$(PY) tools/install_lab_settings.py
	printf '%s\n' '$(TORCH_SPEC)' > $(TORCH_STAMP)
	touch $(STAMP)

# Set up or update the workspace (never overwriting the learner's work), then serve it.
lab: install
	$(PY) tools/serve_lab.py --port $(PORT) --workspace "$(WORKSPACE)"

workspace: install
	$(PY) tools/workspace.py setup --workspace "$(WORKSPACE)"

# make reset-lesson LESSON=03: your copy moves to $(WORKSPACE)/backups/<timestamp>/, a fresh one comes in.
reset-lesson: install
	@test -n "$(LESSON)" || { echo "usage: make reset-lesson LESSON=03 (a lesson number; solutions/03 for a solution)"; exit 2; }
	$(PY) tools/workspace.py reset "$(LESSON)" --workspace "$(WORKSPACE)"

# Run your lessons headless (a temporary copy; your files are never written) and list every exercise.
# LESSON=03 (or LESSON="03 05") runs only those.
progress: workspace
	$(PY) tools/progress.py --workspace "$(WORKSPACE)" $(LESSON)

lint: install
	$(PY) -m ruff check .

test: install lint test-package test-lessons test-browser

test-package: install
	$(PY) -m pytest tests --ignore=tests/browser

test-lessons: install
	$(PY) -m pytest $(NBVAL) lessons

test-browser: install
	$(PY) -m pytest tests/browser

bench: install
	$(PY) benchmarks/run.py

# Rebuild the committed lessons from lessons_src/ and execute them (authors only).
lessons: install
	$(PY) tools/build_lessons.py

# Removes the environment and caches only; the workspace (your work) is never touched.
clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
