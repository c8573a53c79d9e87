# Portail: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
# The first Python >= 3.11 on the PATH; override with `make run PYTHON=/path/to/python3.12`.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	if command -v $$p >/dev/null 2>&1 && \
	   $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint audit fmt bench install install-test migrate demo clean

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Portail needs Python 3.11 or newer (python3 --version). Install it, or" >&2; \
		echo "run: make run PYTHON=/path/to/python3.11" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# The web server and the task worker together; Ctrl-C stops both.
run: demo
	@$(PY) manage.py serve --host $(HOST) --port $(PORT)

# The whole suite; one test: make test PYTEST_ARGS='tests/portals -k demo'
test: install-test
	@bash scripts/ensure-test-packages
	$(PY) -m pytest $(PYTEST_ARGS)

# The benchmark against issue 13's targets (bench/run.py); a short one: make bench BENCH_ARGS=--quick
bench: install
	$(PY) -m bench $(BENCH_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy portail

# Static security checks: bandit over the code (medium and high findings fail; each
# one kept is explained by a `# nosec` comment where it stands) and pip-audit over
# the installed dependencies (scripts/audit-dependencies).
audit: install-test
	$(BIN)/bandit -c pyproject.toml -r portail -q --severity-level medium
	@PY=$(PY) bash scripts/audit-dependencies

fmt: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/static
