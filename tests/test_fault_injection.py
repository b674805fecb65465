"""Issue 10 acceptance: eval/fault_injection.py replays items 6–9 on scratch copies; every case line
ends "yes" (the previous index is still searchable) and nothing prints a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_every_fault_leaves_a_searchable_index_and_no_traceback(real_index_dir):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ORT_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false"}
    env["QBANK_INDEX_DIR"] = str(real_index_dir)  # the session's real index (and its cache beside it)
    env.pop("QBANK_BANK_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "eval.fault_injection"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1800
    )
    lines = done.stdout.splitlines()
    cases = [line for line in lines if line[:2] in {"6 ", "7 ", "8 ", "9 "}]
    assert len(cases) >= 19, done.stdout + done.stderr
    for item in "6789":
        assert any(line.startswith(item + " ") for line in cases)
    assert all(line.count(" · ") >= 3 for line in cases)
    assert all(line.endswith(" · yes") for line in cases), done.stdout
    assert not any("UNEXPECTED" in line for line in cases), done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
