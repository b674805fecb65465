"""The previous release's answer composer, run beside the current one in `qbank eval`.

`python -m eval.previous_composer WORKDIR QUERIES.jsonl INDEX_DIR` extracts the release before the
typed answer plan (git commit PREVIOUS_COMPOSER) into WORKDIR, answers every query of QUERIES.jsonl
with *its* code against the current index (the index format is unchanged), and prints one JSON
object per query: the markdown, the cited entry ids in citation order, and the status. It runs in
its own process with the extracted code first on sys.path, so nothing of the current code is
imported; the current process scores both composers with the same metrics.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eval.previous_pipeline import extract

PREVIOUS_COMPOSER = "917998f"  # the release before issue 9: six flat composers mutating a Draft
ROOT = Path(__file__).resolve().parent.parent


def _child(code: Path, index_dir: Path, queries: list[tuple[str, list | None]]) -> None:
    sys.path.insert(0, str(code))
    from answer.service import answer  # the previous release's modules
    from answer.types import Answer
    from retrieval.searcher import Searcher

    searcher = Searcher.open(index_dir)
    for query, history in queries:
        result: Answer = answer(searcher, query, history=history)
        row = {
            "query": query,
            "markdown": result.markdown,
            "cited": [c.entry.id for c in result.citations],
            "status": result.status.value,
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)


def run_previous(queries_path: Path, index_dir: Path, workdir: Path) -> list[dict]:
    """The previous composer's answers to the queries of queries_path (a subprocess)."""
    done = subprocess.run(
        [sys.executable, "-m", "eval.previous_composer", str(workdir), str(queries_path), str(index_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the previous composer failed: {done.stderr.strip().splitlines()[-1:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> int:
    workdir, queries_path, index_dir = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    code = extract(workdir, PREVIOUS_COMPOSER)
    rows = [json.loads(line) for line in queries_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    _child(code, index_dir, [(r["query"], r.get("history") or None) for r in rows])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
