"""`qbank ui`: run the Streamlit app headless — no browser, no usage-stats prompt — and print its URL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--global.developmentMode=false",
        "--client.showErrorDetails=none",
        "--client.toolbarMode=minimal",
    ]


def app_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run_app(host: str = "127.0.0.1", port: int = 8501) -> int:
    if not port_free(host, port):
        print(f"qbank ui: port {port} on {host} is in use; pick another with --port", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("ORT_DISABLE_TELEMETRY", "1")
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    print(f"qbank app: {app_url(host, port)}  (Ctrl-C to stop)", flush=True)
    process = subprocess.Popen(streamlit_command(host, port), env=env, cwd=APP.parent.parent)

    def stop(signum, _frame):  # `kill` of qbank stops the app too, not just this wrapper
        raise _Stopped(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        _terminate(process)
        return 130
    except _Stopped as stopped:
        _terminate(process)
        return 128 + stopped.signum


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
