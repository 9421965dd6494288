# Two entry points: `make run` (a real search with retrain and report) and `make test`.
# Each creates .venv and installs the project on first use.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

.PHONY: run test lint baseline
run: $(STAMP)
	$(VENV)/bin/python -m search.run --family dense --trials 20 --epochs 60

baseline: $(STAMP)
	$(VENV)/bin/python -m search.baseline

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
