"""The scale benchmark and the synthetic bank generator, at small N (the 100k / 1M runs are by hand:
eval/BENCHMARKS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eval.synthetic_bank import write_bank
from ingest.corpus import ingest_paths
from ingest.entry import EntryKind

REPO = Path(__file__).resolve().parent.parent


def test_a_synthetic_bank_has_the_questions_and_size_asked_for(tmp_path):
    bank = write_bank(tmp_path / "synthetic.md", questions=400, megabytes=0.2, seed=3)
    entries = ingest_paths([bank]).entries
    assert len(entries) == 400 and {e.kind for e in entries} == {EntryKind.QA}
    assert len({e.question for e in entries}) == 400
    assert 0.17e6 < bank.stat().st_size < 0.23e6
    assert write_bank(tmp_path / "again.md", questions=400, megabytes=0.2, seed=3).read_bytes() == bank.read_bytes()


def test_scale_measures_flat_and_approximate_side_by_side(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "eval.scale", "--entries", "1500", "--embed-limit", "300", "--queries", "40",
         "--compare", "ivf-sq8", "--json"],
        cwd=REPO,
        env={**os.environ, "QBANK_EMBEDDER": "hashing-test"},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result["entries"] == 1500 and result["real_entries"] == 300
    assert result["vectors"] > result["real_vectors"] > 300  # several units per entry, the rest synthetic
    kinds = {k["kind"]: k for k in result["kinds"]}
    assert set(kinds) == {"flat", "ivf-sq8"} and result["chosen"] == "flat"
    assert kinds["flat"]["recall_at_10"] == 1.0
    assert 0.0 < kinds["ivf-sq8"]["recall_at_10"] <= 1.0
    for kind in kinds.values():
        assert kind["p95_ms"] >= kind["p50_ms"] > 0 and kind["file_mb"] > 0
    assert kinds["ivf-sq8"]["params"]["nprobe"] >= 1 and kinds["ivf-sq8"]["faiss_class"] == "IndexIVFScalarQuantizer"
