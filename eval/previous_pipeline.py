"""The previous release's search, run beside the current one for the benchmark.

`python -m eval.previous_pipeline WORKDIR QUERIES.jsonl` extracts the first release's code (git
commit PREVIOUS_RELEASE) into WORKDIR, builds its index there (reusing the current embedding cache,
so only its own vectors are computed), and prints warm per-query latencies (ms) of its search as
JSON. It runs in its own process with the extracted code first on sys.path, so nothing of the
current code is imported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path

PREVIOUS_RELEASE = "0c247b6"  # the first release (issues 2–5), before calibrated reranking
ROOT = Path(__file__).resolve().parent.parent


def extract(workdir: Path, commit: str = PREVIOUS_RELEASE) -> Path:
    """A previous release's tree (from git) in workdir/code."""
    code = workdir / "code"
    if code.exists():
        return code
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(code, filter="data")
    return code


def _child(code: Path, index_dir: Path, queries: list[tuple[str, list | None]], passes: int) -> list[float]:
    sys.path.insert(0, str(code))
    from index.build import build_index  # the previous release's modules
    from retrieval.searcher import Searcher

    build_index(index_dir, [code / "data" / "banks"])
    searcher = Searcher.open(index_dir)
    searcher.search("warm up")
    latencies = []
    for _ in range(passes):
        for query, history in queries:
            started = time.perf_counter()
            searcher.search(query, history=history)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> int:
    workdir, queries_path = Path(sys.argv[1]), Path(sys.argv[2])
    passes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    seed_cache = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    code = extract(workdir)
    index_dir = workdir / "index"
    if seed_cache is not None and seed_cache.exists():
        target = workdir / "index-cache" / "embeddings.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed_cache, target)
    rows = [json.loads(line) for line in queries_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [(r["query"], r.get("history") or None) for r in rows]
    print(json.dumps(_child(code, index_dir, queries, passes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
