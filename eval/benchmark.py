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

from eval.bench_tools import offline_env, run_child, write_section
from eval.dataset import load_queries
from eval.metrics import percentile
from eval.previous_pipeline import PREVIOUS_RELEASE
from index.build import build_index
from index.embedder import load_embedder
from retrieval.searcher import Searcher

SECTION = "Retrieval and index"


LATENCY_QUERIES = 200  # a fixed sample of the evaluation set (both splits: latency is not tuned)


def latency_sample(seed: int = 7) -> list[tuple[str, list | None]]:
    import random

    queries = [(q.query, list(q.history) or None) for q in load_queries()]
    return random.Random(seed).sample(queries, min(LATENCY_QUERIES, len(queries)))


def warm_latency(searcher: Searcher, naive, queries: list[tuple[str, list | None]], passes: int) -> dict:
    """Per-query milliseconds of qbank (reranked), qbank with QBANK_RERANKER=off, and the naive recipe,
    interleaved query by query so that machine noise hits all three alike."""
    timings: dict[str, list[float]] = {"qbank": [], "fast": [], "naive": []}
    for _ in range(passes):
        for query, history in queries:
            started = time.perf_counter()
            searcher.search(query, history=history)
            timings["qbank"].append((time.perf_counter() - started) * 1000)
            os.environ["QBANK_RERANKER"] = "off"
            try:
                started = time.perf_counter()
                searcher.search(query, history=history)
                timings["fast"].append((time.perf_counter() - started) * 1000)
            finally:
                os.environ.pop("QBANK_RERANKER", None)
            started = time.perf_counter()
            naive.rank(query)
            timings["naive"].append((time.perf_counter() - started) * 1000)
    return {name: (percentile(ms, 50), percentile(ms, 95)) for name, ms in timings.items()}


def previous_latency(work: Path, queries: list[tuple[str, list | None]], passes: int, cache: Path, env: dict) -> tuple:
    """(p50, p95) ms of the previous release's search over the same queries, in its own process."""
    import json

    listing = work / "latency-queries.jsonl"
    listing.write_text("".join(json.dumps({"query": q, "history": h}) + "\n" for q, h in queries), encoding="utf-8")
    script = Path(__file__).resolve().with_name("previous_pipeline.py")
    done = subprocess.run(
        [sys.executable, str(script), str(work / "previous"), str(listing), str(passes), str(cache)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the previous pipeline failed: {done.stderr[-800:]}")
    latencies = json.loads(done.stdout.strip().splitlines()[-1])
    return percentile(latencies, 50), percentile(latencies, 95)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each cold/rebuild measurement")
    parser.add_argument("--builds", type=int, default=2, help="runs of each from-scratch build")
    parser.add_argument("--passes", type=int, default=3, help="passes over the dev queries for warm latency")
    args = parser.parse_args()
    env = offline_env()
    python = sys.executable
    qbank_cli = str(Path(python).with_name("qbank"))
    rows: list[tuple[str, ...]] = []  # (measurement, qbank, naive, target[, previous release])
    work = Path(tempfile.mkdtemp(prefix="qbank-bench-"))
    try:
        # Full ingest + index from scratch (empty embedding cache each time).
        qbank_builds, naive_builds = [], []
        for run in range(args.builds):
            index_dir = work / f"scratch-{run}" / "index"
            started = time.perf_counter()
            build_index(index_dir, embedder=load_embedder())
            qbank_builds.append(time.perf_counter() - started)
            seconds, _ = run_child([python, "-m", "eval.naive_recipe", "build", str(work / f"naive-{run}")], env)
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
            seconds, rss = run_child([qbank_cli, "search", "what is dropout", "--json"], env_index)
            cold_q.append(seconds)
            rss_q.append(rss)
        for _ in range(args.repeats):
            seconds, rss = run_child(
                [python, "-m", "eval.naive_recipe", "search", str(work / "naive-0"), "what is dropout"], env
            )
            cold_n.append(seconds)
            rss_n.append(rss)
        rows.append(
            (
                "cold `qbank search` process wall time (s)",
                f"{statistics.median(cold_q):.2f}",
                f"{statistics.median(cold_n):.2f}",
                "≤ 1.5",
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
        # Warm latency over a fixed sample of the evaluation queries.
        from eval.baselines import NaiveLangChain
        from index.paths import cache_path

        searcher = Searcher.open(index_dir)
        naive = NaiveLangChain(searcher)
        queries = latency_sample()
        searcher.search("warm up")
        naive.rank("warm up")
        latency = warm_latency(searcher, naive, queries, args.passes)
        p50, p95 = previous_latency(work, queries, args.passes, cache_path(index_dir), env)
        n50, n95 = latency["naive"]
        for label, name in (("reranked", "qbank"), ("QBANK_RERANKER=off", "fast")):
            q50, q95 = latency[name]
            target50, target95 = ("≤ 120", "≤ 250") if name == "qbank" else ("–", "–")
            rows.append((f"warm search p50, {label} (ms)", f"{q50:.1f}", f"{n50:.1f}", target50, f"{p50:.1f}"))
            rows.append((f"warm search p95, {label} (ms)", f"{q95:.1f}", f"{n95:.1f}", target95, f"{p95:.1f}"))
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
    write_section(SECTION, table)
    print(table)
    return 0


def _section(rows: list[tuple[str, ...]], args: argparse.Namespace) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"Command: `.venv/bin/python -m eval.benchmark --repeats {args.repeats} --builds {args.builds} "
        f"--passes {args.passes}` (or `make bench`).",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}. "
        f"Medians over repeated runs; latency percentiles over a fixed sample of {LATENCY_QUERIES} evaluation "
        "queries in every pass, the three searches interleaved query by query.",
        "qbank: MiniLM (int8 ONNX) + BM25 + multilingual-e5 first stage, cross-encoder over the top "
        "candidates, calibrated ranking and coverage. Previous release: the first release's hybrid search "
        f"(commit {PREVIOUS_RELEASE}, its own index, same machine and run). Naive recipe: fp32 MiniLM through "
        "sentence-transformers over 1000/200 character chunks, flat FAISS.",
        "",
        "| measurement | qbank | previous release | naive LangChain recipe | qbank ÷ previous | qbank ÷ naive "
        "| target |",
        "|---|---|---|---|---|---|---|",
        *[_row(*row) for row in rows],
    ]
    return "\n".join(lines) + "\n"


def _row(name: str, ours: str, theirs: str, target: str, previous: str = "–") -> str:
    return f"| {name} | {ours} | {previous} | {theirs} | {_ratio(ours, previous)} | {_ratio(ours, theirs)} | {target} |"


def _ratio(ours: str, theirs: str) -> str:
    try:
        return f"{float(ours) / float(theirs.split()[0]):.2f}×"
    except (ValueError, ZeroDivisionError, IndexError):
        return "–"


if __name__ == "__main__":
    sys.exit(main())
