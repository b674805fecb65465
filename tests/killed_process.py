"""Run a child process until it says it has reached a point (by creating a marker file), then
SIGKILL it there, which no cleanup code of the child sees."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest


def kill_when_marked(command: list[str], marker: Path, what: str, cwd: Path, timeout: float = 60) -> None:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while not marker.exists():
            if process.poll() is not None:
                out, err = process.communicate()
                pytest.fail(f"the process ended before reaching {what}: {out.decode()} {err.decode()}")
            assert time.monotonic() < deadline, f"the process never reached {what}"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
