"""Shared helpers of the security tests: a loopback request logger and an index of the real banks.

`RequestLogger` is a real HTTP server on 127.0.0.1 that records every request (method, path,
headers) and answers GETs with a 1×1 PNG (so an <img> pointed at it would load) and POSTs with a
404 JSON error (so an LLM client pointed at it fails fast, after sending its headers).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
# What the app and CLI get in the tests that check they work offline on their own: the code must
# set what keeps libraries quiet, so these are taken out of the environment first.
OFFLINE_VARIABLES = ("ORT_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


class RequestLogger:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        logger = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                logger.requests.append(
                    Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                )

            def do_GET(self):
                self._record()
                self.send_response(200)
                self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/plain")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def do_POST(self):
                self._record()
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = b'{"error": {"message": "request logger: no model here", "type": "not_found"}}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="request-logger", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RequestLogger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_BUILT: dict[str, Path] = {}


@pytest.fixture(scope="session")
def seeded_index_dir(tmp_path_factory) -> Path:
    """The five real banks indexed with the real model in a temporary directory; the checkout's
    embedding cache (data/index-cache), when there is one, is copied beside it first (~10 s)."""
    from app_testing import seed_embedding_cache

    from index.build import build_index

    if "index" not in _BUILT:
        index_dir = tmp_path_factory.mktemp("qbank-security") / "index"
        seed_embedding_cache(index_dir)
        build_index(index_dir)
        _BUILT["index"] = index_dir
    return _BUILT["index"]


def clean_environment(**extra: str) -> dict[str, str]:
    """os.environ without the offline variables and any LLM configuration, plus `extra`."""
    env = {
        k: v for k, v in os.environ.items() if k not in OFFLINE_VARIABLES and not k.startswith(("QBANK_LLM_", "QBANK_"))
    }
    env.update(extra)
    return env


def wait_healthy(url: str, process, timeout: float = 180) -> None:
    """Until the Streamlit server at `url` answers its health check (fails fast if it exited)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the app process exited"
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)
