"""Retrieval and index benchmark: medians over repeated runs, qbank beside the naive recipe.

Run: `python -m eval.benchmark` (or `make bench`). Writes its section of eval/BENCHMARKS.md.
Figures are measurements on whatever machine runs this, never asserted by tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval.dataset import load_dev_set
from eval.metrics import percentile
from index.build import build_index
from index.embedder import load_embedder
from retrieval.searcher import Searcher

BENCHMARKS = Path(__file__).resolve().parent / "BENCHMARKS.md"
SECTION = "Retrieval and index"
ROOT = Path(__file__).resolve().parent.parent


# A small launcher measures the child: a process forked from this (large) one would count this
# process's pages in its own peak RSS until it execs.
_LAUNCHER = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _run_child(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-500:]}")
    seconds, peak_kb = done.stdout.split()
    return float(seconds), int(peak_kb) / 1024


def warm_latency(searcher: Searcher, naive, queries: list[tuple[str, list | None]], passes: int) -> dict:
    qbank_ms: list[float] = []
    naive_ms: list[float] = []
    for _ in range(passes):
        for query, history in queries:
            started = time.perf_counter()
            searcher.search(query, history=history)
            qbank_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            naive.rank(query)
            naive_ms.append((time.perf_counter() - started) * 1000)
    return {
        "qbank": (percentile(qbank_ms, 50), percentile(qbank_ms, 95)),
        "naive": (percentile(naive_ms, 50), percentile(naive_ms, 95)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each cold/rebuild measurement")
    parser.add_argument("--builds", type=int, default=2, help="runs of each from-scratch build")
    parser.add_argument("--passes", type=int, default=3, help="passes over the dev queries for warm latency")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    python = sys.executable
    qbank_cli = str(Path(python).with_name("qbank"))
    rows: list[tuple[str, str, str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="qbank-bench-"))
    try:
        # Full ingest + index from scratch (empty embedding cache each time).
        qbank_builds, naive_builds = [], []
        for run in range(args.builds):
            index_dir = work / f"scratch-{run}" / "index"
            started = time.perf_counter()
            build_index(index_dir, embedder=load_embedder())
            qbank_builds.append(time.perf_counter() - started)
            seconds, _ = _run_child([python, "-m", "eval.naive_recipe", "build", str(work / f"naive-{run}")], env)
            naive_builds.append(seconds)
        rows.append(
            (
                "full ingest + index of the five banks (s)",
                f"{statistics.median(qbank_builds):.1f}",
                f"{statistics.median(naive_builds):.1f} (process incl. model load)",
                "≤ 60",
            )
        )
        # Unchanged re-ingest: everything comes from the embedding cache.
        index_dir = work / "scratch-0" / "index"
        rebuilds = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            report = build_index(index_dir, embedder=load_embedder())
            rebuilds.append(time.perf_counter() - started)
            if report.embedded:
                raise RuntimeError(f"an unchanged rebuild re-embedded {report.embedded} units")
        rows.append(("unchanged re-ingest (s)", f"{statistics.median(rebuilds):.2f}", "– (rebuilds everything)", "≤ 3"))
        # Cold process: one search as a user would type it.
        env_index = {**env, "QBANK_INDEX_DIR": str(index_dir)}
        cold_q, cold_n, rss_q, rss_n = [], [], [], []
        for _ in range(args.repeats):
            seconds, rss = _run_child([qbank_cli, "search", "what is dropout", "--json"], env_index)
            cold_q.append(seconds)
            rss_q.append(rss)
        for _ in range(args.repeats):
            seconds, rss = _run_child(
                [python, "-m", "eval.naive_recipe", "search", str(work / "naive-0"), "what is dropout"], env
            )
            cold_n.append(seconds)
            rss_n.append(rss)
        rows.append(
            (
                "cold `qbank search` process wall time (s)",
                f"{statistics.median(cold_q):.2f}",
                f"{statistics.median(cold_n):.2f}",
                "≤ 4",
            )
        )
        rows.append(
            (
                "peak memory of a cold search process (MB, max RSS)",
                f"{max(rss_q):.0f}",
                f"{max(rss_n):.0f}",
                "–",
            )
        )
        # Warm latency over the dev queries, both systems in this process.
        from eval.baselines import NaiveLangChain

        searcher = Searcher.open(index_dir)
        naive = NaiveLangChain(searcher)
        queries = [(q.query, list(q.history) or None) for q in load_dev_set()]
        searcher.search("warm up")
        naive.rank("warm up")
        latency = warm_latency(searcher, naive, queries, args.passes)
        q50, q95 = latency["qbank"]
        n50, n95 = latency["naive"]
        rows.append(("warm search latency p50 (ms)", f"{q50:.1f}", f"{n50:.1f}", "≤ 15"))
        rows.append(("warm search latency p95 (ms)", f"{q95:.1f}", f"{n95:.1f}", "–"))
        rows.append(
            (
                "peak memory of this benchmark process (MB, max RSS)",
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}",
                "(same process)",
                "–",
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = _section(rows, args)
    _write_section(table)
    print(table)
    return 0


def _section(rows: list[tuple[str, str, str, str]], args: argparse.Namespace) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"Command: `.venv/bin/python -m eval.benchmark --repeats {args.repeats} --builds {args.builds} "
        f"--passes {args.passes}` (or `make bench`).",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}. "
        "Medians over repeated runs; latency percentiles over every dev query in every pass.",
        "qbank embeds with the int8 ONNX MiniLM; the naive recipe loads the fp32 MiniLM through "
        "sentence-transformers (torch), as that recipe does; both build flat FAISS indexes.",
        "",
        "| measurement | qbank | naive LangChain recipe | qbank ÷ naive | target |",
        "|---|---|---|---|---|",
        *[f"| {name} | {ours} | {theirs} | {_ratio(ours, theirs)} | {target} |" for name, ours, theirs, target in rows],
    ]
    return "\n".join(lines) + "\n"


def _ratio(ours: str, theirs: str) -> str:
    try:
        return f"{float(ours) / float(theirs.split()[0]):.2f}×"
    except (ValueError, ZeroDivisionError, IndexError):
        return "–"


def _write_section(section: str) -> None:
    """Replace this benchmark's section of BENCHMARKS.md, leaving other sections alone."""
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    start = text.find(f"## {SECTION}")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end == -1 else text[end:])
    BENCHMARKS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
