# Two commands for a fresh machine: `make lab` and `make test`. Each creates .venv if it is
# missing and installs everything into it first.
#
# torch is installed first, on its own, from TORCH_SPEC. The default is the CPU wheel that
# lies on this project's machines; elsewhere choose your own, e.g.
#   make test TORCH_SPEC='torch>=2.1,<2.15'

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PORT ?= 8888

PY := $(VENV)/bin/python
STAMP := $(VENV)/.rope-course-installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with lessons/nbval_sanitize.cfg

.PHONY: install lab test test-package test-lessons test-browser bench lessons clean

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml tools/install_lab_settings.py | $(PY)
	$(PY) -m pip install "$(TORCH_SPEC)"
	$(PY) -m pip install -e ".[test]"
	$(PY) tools/install_lab_settings.py
	touch $(STAMP)

lab: install
	$(PY) tools/serve_lab.py --port $(PORT)

test: install test-package test-lessons test-browser

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

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
