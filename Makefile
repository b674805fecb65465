# Two commands for a fresh machine: `make run` (the app) and `make test` (the whole suite).
# Setup is incremental: the venv is made once, and dependencies are reinstalled only when
# pyproject.toml changes (the stamp file below is newer than it otherwise).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.qbank-installed
WHEELS := $(wildcard /opt/wheels)
PIP_FLAGS := --disable-pip-version-check $(if $(WHEELS),--find-links $(WHEELS))
HOST ?= 127.0.0.1
PORT ?= 8501

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test setup index lint format eval bench

setup: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	# torch first and alone: this exact pin resolves to the local CPU wheel, not GBs of CUDA.
	$(PY) -m pip install $(PIP_FLAGS) -q torch==2.13.0
	$(PY) -m pip install $(PIP_FLAGS) -q -e '.[dev]'
	touch $(STAMP)

index: $(STAMP)
	$(VENV)/bin/qbank index --if-stale

run: index
	$(VENV)/bin/qbank ui --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

eval: index
	$(VENV)/bin/qbank eval

bench: index
	$(PY) -m eval.benchmark
