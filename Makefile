.PHONY: install test lint types pytest demo bench clean

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The demo runs from a virtualenv of its own holding the package alone (no test tools).
DEMO_VENV ?= .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres,clickhouse]'
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	test -x $(DEMO_VENV)/bin/python || python3 -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DEMO_VENV)/bin/python -m pip install --quiet -e .
	touch $(DEMO_STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples

types: $(STAMP)
	$(VENV)/bin/mypy

# axe-core, injected by the browser tests' accessibility checks, and Redocly's CLI, linting the
# OpenAPI document (test-only, from npm).
AXE_STAMP := tests/web/node_modules/.installed

$(AXE_STAMP): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --silent
	touch $(AXE_STAMP)

pytest: $(STAMP) $(AXE_STAMP)
	$(VENV)/bin/pytest -n 3 -q --durations=25

test: lint types pytest

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/activitylog demo --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) $(DEMO_VENV) .pytest_cache .mypy_cache .ruff_cache activitylog.db*
