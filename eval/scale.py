"""Scale benchmark of the first search stage: build, search latency and recall at N entries.

    python -m eval.scale --entries 100000 [--json] [--embed-limit 20000] [--compare hnsw] [--write]

The corpus: N synthetic entries whose text recombines the real banks' sentences
(eval/synthetic_bank.py), turned into retrieval units as a build does (question, question +
answer, …). The units of the first `--embed-limit` entries are embedded for real with the
configured embedder (that is the embed rate reported). Beyond that the vectors are synthetic: each
is a real unit vector plus a share of another real vector and Gaussian noise, renormalized — so
the corpus keeps the real vectors' topic structure (pure random unit vectors would have none, and
no approximate index, nor any query, behaves on them as on text).

Queries are real: the evaluation set (eval/queries.jsonl),
embedded by the same embedder. For each index kind — flat (exact) and the approximate index a
build chooses at this size (index/vector_index.py), plus any `--compare` kinds — the index is
built here, written to disk, and served by a fresh child process that loads it and runs every
query alone, as the searcher does (DENSE_CANDIDATES nearest units): search p50/p95, recall@10
against exact search, file size, and the memory the loaded index adds to that process.

Reranking (a second stage over the first stage's candidates) is not in this checkout; when it
lands, set RERANK_HOOK and the "with reranking" figures are measured too.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import faiss
import numpy as np

from eval.bench_tools import ROOT, machine, write_section
from eval.dataset import QUERIES
from eval.metrics import percentile
from eval.synthetic_bank import sentence_pool, synthetic_entries
from index.embed_pipeline import embed_texts
from index.embedder import load_embedder
from index.embedding_cache import EmbeddingCache
from index.units import entry_units
from index.vector_index import VectorIndexSpec, build_vector_index, choose_spec, recall_at
from ingest.entry import Entry, EntryKind
from retrieval.first_stage import DENSE_CANDIDATES

SECTION = "Scale: first-stage search"
QUERY_FILES = (QUERIES,)
SEED = 7

# The second stage, when there is one: (query text, query vector, candidate unit rows in first-stage
# order) → reranked rows. Set by the reranking module; None measures the first stage alone.
RERANK_HOOK: Callable[[str, np.ndarray, np.ndarray], np.ndarray] | None = None


@dataclass
class KindResult:
    kind: str
    faiss_class: str
    params: dict
    build_seconds: float
    file_mb: float
    memory_mb: float  # RSS the loaded index adds to a fresh process
    serve_peak_rss_mb: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float
    rerank_p95_ms: float | None = None


def _entry(number: int, question: str, answer: str) -> Entry:
    return Entry(
        id=f"scale#{number}",
        bank_file="scale.md",
        bank_title="Scale",
        section_path=("Scale",),
        number=str(number),
        question=question,
        answer=answer,
        follow_ups=(),
        kind=EntryKind.QA,
        parent_id=None,
        line_start=number,
        line_end=number,
        token_count=0,
    )


def real_unit_texts(entries: int, seed: int = SEED) -> list[str]:
    """Unit texts of `entries` synthetic entries, made as a build makes them."""
    pool = sentence_pool()
    answer_chars = 360.0  # the 15 MB / 32k-question bank's average (eval/synthetic_bank.py)
    texts: list[str] = []
    for number, (question, answer) in enumerate(synthetic_entries(entries, answer_chars, pool, seed)):
        texts.extend(u.text for u in entry_units(number, _entry(number, question, answer)))
    return texts


def synthetic_vectors(real: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """The real vectors followed by synthetic ones up to `total` rows: each v_i + w·v_j + noise
    (w ∈ [0, 0.4], noise norm ≈ 0.6), unit length. Filled in place, in slices, to keep one copy."""
    out = np.empty((max(total, len(real)), real.shape[1]), dtype=np.float32)
    out[: len(real)] = real
    sigma = np.float32(0.6 / np.sqrt(real.shape[1]))
    for start in range(len(real), total, 100_000):
        size = min(100_000, total - start)
        weight = rng.uniform(0, 0.4, (size, 1)).astype(np.float32)
        mixed = real[rng.integers(len(real), size=size)] + weight * real[rng.integers(len(real), size=size)]
        mixed += rng.normal(0.0, 1.0, mixed.shape).astype(np.float32) * sigma
        out[start : start + size] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def load_queries(limit: int) -> list[str]:
    queries: list[str] = []
    for path in QUERY_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                queries.append(json.loads(line)["query"])
    queries = list(dict.fromkeys(queries))
    rng = np.random.default_rng(SEED)
    return [queries[i] for i in sorted(rng.choice(len(queries), size=min(limit, len(queries)), replace=False))]


# A fresh process per index: what one app replica pays to hold and search it.
_SERVE = r"""
import json, resource, sys, time
import faiss, numpy as np
from index.vector_index import configure_loaded

path, params, queries, k = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
q = np.load(queries)
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
before = rss()
index = faiss.read_index(path)
configure_loaded(index, params)
memory = rss() - before
faiss.omp_set_num_threads(1)
index.search(q[:5], k)
ms, top = [], []
for row in q:
    started = time.perf_counter()
    _, ids = index.search(row[None, :], k)
    ms.append((time.perf_counter() - started) * 1000)
    top.append(ids[0, :10].tolist())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"memory": memory, "peak": peak, "ms": ms, "top": top}))
"""


def serve(path: Path, params: dict, queries_file: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _SERVE, str(path), json.dumps(params), str(queries_file), str(DENSE_CANDIDATES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"serving {path.name} failed: {done.stderr[-800:]}")
    return json.loads(done.stdout)


def measure_kind(
    spec: VectorIndexSpec, vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray, work: Path, texts: list[str]
) -> KindResult:
    started = time.perf_counter()
    index, built = build_vector_index(vectors, spec)
    build_seconds = time.perf_counter() - started
    path = work / f"{built.kind}.faiss"
    faiss.write_index(index, str(path))
    del index
    served = serve(path, built.to_manifest(), work / "queries.npy")
    rerank = None
    if RERANK_HOOK is not None:
        loaded = faiss.read_index(str(path))
        rerank_ms = []
        for text, vector in zip(texts, queries):
            started = time.perf_counter()
            _, rows = loaded.search(vector[None, :], DENSE_CANDIDATES)
            RERANK_HOOK(text, vector, rows[0])
            rerank_ms.append((time.perf_counter() - started) * 1000)
        rerank = percentile(rerank_ms, 95)
    return KindResult(
        kind=built.kind,
        faiss_class=built.faiss_class,
        params=built.to_manifest(),
        build_seconds=build_seconds,
        file_mb=path.stat().st_size / 2**20,
        memory_mb=served["memory"],
        serve_peak_rss_mb=served["peak"],
        p50_ms=percentile(served["ms"], 50),
        p95_ms=percentile(served["ms"], 95),
        recall_at_10=recall_at(np.array(served["top"]), exact),
        rerank_p95_ms=rerank,
    )


def run(entries: int, embed_limit: int, query_limit: int, compare: list[str], cache: Path | None = None) -> dict:
    rng = np.random.default_rng(SEED)
    embedder = load_embedder()
    real_entries = min(entries, embed_limit)
    texts = real_unit_texts(real_entries)
    vector_cache = EmbeddingCache(cache) if cache else None
    started = time.perf_counter()
    embedded = embed_texts(texts, embedder, vector_cache)
    embed_seconds = time.perf_counter() - started
    if vector_cache is not None:
        vector_cache.close()
    real = embedded.vectors
    units_per_entry = len(texts) / real_entries
    total = round(entries * units_per_entry)
    vectors = synthetic_vectors(real, total, rng) if total > len(real) else real
    query_texts = load_queries(query_limit)
    queries = embedder.embed(query_texts)
    exact_index = faiss.IndexFlatIP(vectors.shape[1])
    exact_index.add(vectors)
    exact = exact_index.search(queries, 10)[1]
    del exact_index
    chosen = choose_spec(len(vectors))
    specs = [VectorIndexSpec("flat")]
    if chosen.kind != "flat":
        specs.append(chosen)
    for kind in compare:
        if kind not in {s.kind for s in specs}:
            specs.append(VectorIndexSpec(kind))
    work = Path(tempfile.mkdtemp(prefix="qbank-scale-"))
    try:
        np.save(work / "queries.npy", queries)
        results = [measure_kind(spec, vectors, queries, exact, work, query_texts) for spec in specs]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "entries": entries,
        "vectors": len(vectors),
        "real_entries": real_entries,
        "real_vectors": len(real),
        "embed_seconds": embed_seconds,
        "embedded_now": embedded.computed,
        "embed_rate": embedded.computed / embed_seconds if embedded.computed else None,
        "queries": len(queries),
        "candidates": DENSE_CANDIDATES,
        "chosen": chosen.kind,
        "kinds": [asdict(r) for r in results],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def command(args: argparse.Namespace) -> str:
    extra = f" --embed-limit {args.embed_limit}" if args.embed_limit != EMBED_LIMIT else ""
    extra += "".join(f" --compare {k}" for k in args.compare)
    extra += f" --cache {args.cache}" if args.cache else ""
    return f".venv/bin/python -m eval.scale --entries {args.entries}{extra}"


def table(result: dict, cmd: str) -> str:
    rate = f" at {result['embed_rate']:.0f} units/s" if result["embed_rate"] else " (from the --cache)"
    lines = [
        f"`{cmd}` — {datetime.now():%Y-%m-%d %H:%M}, {machine()}: {result['entries']:,} entries → "
        f"{result['vectors']:,} unit vectors ({result['real_vectors']:,} embedded from {result['real_entries']:,} "
        f"entries{rate}, the rest synthetic); {result['queries']} real queries, "
        f"{result['candidates']} candidates each; a build at this size chooses **{result['chosen']}**; "
        f"peak RSS of the benchmark {result['peak_rss_mb']:,.0f} MB.",
        "",
        "| index | parameters | build (s) | file (MB) | memory in a replica (MB) | p50 (ms) | p95 (ms) "
        "| recall@10 vs exact | with reranking p95 (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in result["kinds"]:
        params = ", ".join(f"{k}={v}" for k, v in kind["params"].items() if k != "kind") or "–"
        rerank = f"{kind['rerank_p95_ms']:.1f}" if kind["rerank_p95_ms"] is not None else "n/a (no reranker yet)"
        lines.append(
            f"| {kind['faiss_class']} | {params} | {kind['build_seconds']:.1f} | {kind['file_mb']:.0f} | "
            f"{kind['memory_mb']:.0f} | {kind['p50_ms']:.2f} | {kind['p95_ms']:.2f} | {kind['recall_at_10']:.3f} | "
            f"{rerank} |"
        )
    return "\n".join(lines) + "\n"


def write_run(text: str, entries: int) -> None:
    """Keep one paragraph per corpus size in the section, newest replacing older runs of that size."""
    from eval.bench_tools import BENCHMARKS

    existing = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else ""
    start = existing.find(f"## {SECTION}")
    runs: dict[int, str] = {}
    if start != -1:
        end = existing.find("\n## ", start + 1)
        body = existing[start : None if end == -1 else end]
        for block in body.split("\n### ")[1:]:
            size = int(block.split(" ", 1)[0].replace(",", ""))
            runs[size] = "### " + block.strip() + "\n"
    runs[entries] = f"### {entries:,} entries\n\n{text}"
    header = (
        f"## {SECTION}\n\nMeasured by `python -m eval.scale` (see its docstring for how the corpus and "
        "queries are made). Latency: one query vector per search, as the searcher sends it, single-threaded, "
        "in a fresh process that loaded only the index. Flat is exact search, the baseline of the same run.\n\n"
    )
    write_section(SECTION, header + "\n".join(runs[size] for size in sorted(runs)))


EMBED_LIMIT = 20_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, required=True, help="synthetic entries in the corpus")
    parser.add_argument("--embed-limit", type=int, default=EMBED_LIMIT, help="entries embedded for real")
    parser.add_argument("--queries", type=int, default=500, help="real queries to time (dev set + blind set)")
    parser.add_argument("--compare", action="append", default=[], choices=["ivf-sq8", "hnsw"], help="also measure")
    parser.add_argument("--cache", type=Path, help="embedding cache to reuse between runs (then no embed rate)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--write", action="store_true", help="record the run in eval/BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.entries < 1:
        parser.error("--entries must be at least 1")
    result = run(args.entries, args.embed_limit, args.queries, args.compare, args.cache)
    result["command"] = command(args)
    text = table(result, result["command"])
    if args.write:
        write_run(text, args.entries)
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
