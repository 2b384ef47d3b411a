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
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

types: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(VENV)/bin/pytest -n 2 -q

test: lint types pytest

demo: $(STAMP)
	rm -f demo.db demo.db-wal demo.db-shm
	$(VENV)/bin/activitylog --db sqlite:///demo.db seed --events 20000
	$(VENV)/bin/activitylog --db sqlite:///demo.db stats --workspace acme --range last_30_days --format table
	$(VENV)/bin/activitylog --db sqlite:///demo.db query --workspace acme --range last_7_days --per-page 10
	$(VENV)/bin/activitylog --db sqlite:///demo.db verify

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo.db*
