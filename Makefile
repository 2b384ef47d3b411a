.PHONY: install test lint types pytest demo bench clean

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples

types: $(STAMP)
	$(VENV)/bin/mypy

# axe-core, injected by the browser tests' accessibility checks (test-only, from npm).
AXE_STAMP := tests/web/node_modules/.installed

$(AXE_STAMP): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --silent
	touch $(AXE_STAMP)

pytest: $(STAMP) $(AXE_STAMP)
	$(VENV)/bin/pytest -n 2 -q

test: lint types pytest

demo: $(STAMP)
	$(VENV)/bin/activitylog demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache activitylog.db*
