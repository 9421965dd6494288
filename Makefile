# Two entry points: `make run` (a real search with retrain and report) and `make test`.
# Each creates .venv and installs the project on first use.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# An offline copy of the dataset beside the checkout (CI, this workspace) fills the cache; elsewhere
# the BTC file is downloaded once, checksum-verified, into ~/.keras/datasets.
export BITPREDICT_DATA_DIR ?= $(abspath $(wildcard ../shared/data))

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev,yahoo,jax]'
	touch $(STAMP)

.PHONY: run test lint baseline data
run: $(STAMP)
	$(VENV)/bin/python -m search.run --family dense --trials 20 --epochs 60

# The tests read the BTC file from the cache; on a fresh clone without ../shared this fetches it
# once (checksum-verified) before any test runs, so no test touches the network.
data: $(STAMP)
	@$(VENV)/bin/python -c "from data.datasets import fetch; print('data:', fetch('btc'))"

# The trainer's and the search's tests (but the slow end-to-end ones) run once more on Keras' JAX backend (CPU).
# Tests run in one process per core (at most 4: each trains TensorFlow models in ~1-2 GB).
XDIST := -n auto --maxprocesses 4
test: data
	$(VENV)/bin/python -m pytest -q $(XDIST)
	KERAS_BACKEND=jax $(VENV)/bin/python -m pytest -q $(XDIST) -m "not slow" tests/test_trainer.py tests/test_search.py

baseline: $(STAMP)
	$(VENV)/bin/python -m search.baseline

lint: $(STAMP)
	$(VENV)/bin/ruff check .
