"""Indexing benchmark: embedding throughput before/after, and a big bank built, killed and resumed.

    python -m eval.bench_indexing throughput [--repeats 5]
    python -m eval.bench_indexing big-bank [--questions 32000 --megabytes 15]
    python -m eval.bench_indexing reingest [--repeats 5] [--index-dir DIR] [--baseline COMMIT]

`throughput` embeds every unit of the five banks with the embedder as it was before length
bucketing (characters sorted, fixed batches of 32, one two-thread ONNX session, db0b341) and with
index/embed_pipeline.py (token-length batches on one-thread session replicas side by side, one
per core), alternating the two in one process; medians and their ratio.
`big-bank` writes the synthetic bank (eval/synthetic_bank.py) and runs `qbank index --rebuild`
on it in child processes: once from an empty embedding cache (wall time, CPU time, peak RSS),
then again from an empty cache killed (SIGKILL) as soon as its progress line reads 50 %, then
the restart. CPU seconds are reported beside wall seconds because a shared machine's other load
stretches wall time but not the work done.
Each writes its section of eval/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from eval.bench_tools import ROOT, machine, offline_env, run_child, run_child_with_cpu, write_section
from index.batching import MAX_BATCH, TOKEN_BUDGET, token_batches
from index.embed_pipeline import embed_texts
from index.embedder import OnnxMiniLM, embed_workers
from index.units import build_units
from ingest.corpus import default_bank_dir, ingest_paths

THROUGHPUT = "Indexing: embedding throughput"
REINGEST = "Indexing: unchanged re-ingest"
BIG_BANK = "Indexing: a 15 MB bank, killed and resumed"
LEGACY_BATCH = 32


class LegacyBatching:
    """OnnxMiniLM.embed as of db0b341: sorted by characters, 32 texts a pass, padded per pass."""

    name = OnnxMiniLM.name
    dimension = OnnxMiniLM.dimension

    def __init__(self, model: OnnxMiniLM) -> None:
        self._model = model
        self._tokenizer = model._tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), LEGACY_BATCH):
            batch = order[start : start + LEGACY_BATCH]
            encoded = [e.ids for e in self._tokenizer.encode_batch([texts[i] for i in batch])]
            out[batch] = self._model._run(encoded, max(len(ids) for ids in encoded))
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def machine_load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def padded_tokens(lengths: np.ndarray, batches: list[np.ndarray]) -> int:
    return int(sum(int(lengths[b].max()) * len(b) for b in batches))


def throughput(repeats: int) -> str:
    texts = [u.text for u in build_units(ingest_paths([default_bank_dir()]).entries)]
    model = OnnxMiniLM()
    legacy = LegacyBatching(model)
    lengths = model.token_lengths(texts)
    by_chars = np.array(sorted(range(len(texts)), key=lambda i: len(texts[i])))
    legacy_work = padded_tokens(lengths, [by_chars[s : s + LEGACY_BATCH] for s in range(0, len(texts), LEGACY_BATCH)])
    new_work = padded_tokens(lengths, token_batches(lengths))
    workers = len(model.replicas(embed_workers()))
    load_before = machine_load()
    model.embed(texts[:64])  # warm the sessions
    embed_texts(texts[:64], model)
    runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    last: dict[str, np.ndarray] = {}
    methods = (("before", lambda: legacy.embed(texts)), ("after", lambda: embed_texts(texts, model).vectors))
    for _ in range(repeats):
        for label, run in methods:
            wall, cpu = time.perf_counter(), time.process_time()
            last[label] = run()
            runs[label].append((time.perf_counter() - wall, time.process_time() - cpu))
    rate = {k: statistics.median(len(texts) / w for w, _ in v) for k, v in runs.items()}
    cpu_rate = {k: statistics.median(len(texts) / c for _, c in v) for k, v in runs.items()}
    check = np.abs(last["before"] - last["after"]).max()
    rows = [
        ("texts per second (median wall)", f"{rate['before']:.0f}", f"{rate['after']:.0f}"),
        ("texts per CPU-second (median)", f"{cpu_rate['before']:.0f}", f"{cpu_rate['after']:.0f}"),
        ("tokens through the model, padding included", f"{legacy_work:,}", f"{new_work:,}"),
    ]
    lines = [
        f"## {THROUGHPUT}",
        "",
        f"Command: `.venv/bin/python -m eval.bench_indexing throughput --repeats {repeats}`. "
        f"Run {datetime.now():%Y-%m-%d %H:%M}; {machine()}.",
        f"All {len(texts):,} units of the five banks ({int(lengths.sum()):,} real tokens), embedded with no cache "
        f"{repeats}× by each, alternating, in one process. *Before*: db0b341's batching "
        "(sorted by characters, 32 texts a pass, one ONNX session of 2 threads). *After*: index/embed_pipeline.py "
        f"(sorted by real token count, passes of ≤ {TOKEN_BUDGET:,} padded tokens and ≤ {MAX_BATCH} texts, "
        f"on {workers} one-thread session replicas side by side). Largest difference between their vectors, all texts: "
        f"{check:.1e}. Load average at the start {load_before}, at the end {machine_load()}.",
        "",
        "| measurement | before | after | after ÷ before |",
        "|---|---|---|---|",
        *[f"| {name} | {a} | {b} | {_ratio(b, a)} |" for name, a, b in rows],
        "",
    ]
    return "\n".join(lines)


def _ratio(new: str, old: str) -> str:
    try:
        return f"{float(new.replace(',', '')) / float(old.replace(',', '')):.2f}×"
    except (ValueError, ZeroDivisionError):
        return "–"


_EMBEDDED = re.compile(r"Embedding ([\d,]+) of ([\d,]+)")
_PERCENT = re.compile(r"^\[\s*(\d+)%\]")


def _index_command(bank_dir: Path, index_dir: Path) -> tuple[list[str], dict[str, str]]:
    qbank = str(Path(sys.executable).with_name("qbank"))
    env = offline_env(QBANK_BANK_DIR=str(bank_dir), QBANK_INDEX_DIR=str(index_dir))
    return [qbank, "index", "--rebuild"], env


def _killed_at(percent: int, bank_dir: Path, index_dir: Path) -> tuple[str, float]:
    """Start a build, SIGKILL it once its progress reaches `percent`; its last line and its age."""
    command, env = _index_command(bank_dir, index_dir)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    last = ""
    for line in process.stdout:
        last = line.strip() or last
        reached = _PERCENT.match(last)
        if reached and int(reached.group(1)) >= percent:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    return last, time.perf_counter() - started


# Runs the build and echoes each progress line with its age, then one line of totals: a launcher
# between the benchmark and the build so that the build's peak RSS is its own (see bench_tools).
_STAGE_LAUNCHER = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
    "for line in p.stdout: print(f'{time.perf_counter() - t:.1f}\\t{line.rstrip()}', flush=True)\n"
    "code = p.wait(); u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print('TOTAL', code, time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)"
)
STAGES = (
    ("cache read, e5 texts cut", "Preparing the multilingual"),
    ("MiniLM: units", "passages ·"),
    ("e5: entries", "multilingual search"),
    ("variants, topics, writing", "Linking variants"),
)


def _timed_build(command: list[str], env: dict[str, str]) -> tuple[float, float, float, dict[str, float]]:
    """Wall seconds, peak RSS (MB), CPU seconds and wall seconds per stage (STAGES, from the first
    progress line naming each stage to the next) of one build in its own process."""
    done = subprocess.run(
        [sys.executable, "-c", _STAGE_LAUNCHER, *command], env=env, cwd=ROOT, capture_output=True, text=True
    )
    lines = done.stdout.splitlines()
    code, wall, peak_kb, cpu = lines[-1].split()[1:]
    if int(code):
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-500:]}")
    starts: dict[str, float] = {}
    for line in lines[:-1]:
        age, _, text = line.partition("\t")
        for name, marker in STAGES:
            if marker in text and name not in starts:
                starts[name] = float(age)
    bounds = [*(starts.get(name) for name, _ in STAGES), float(wall)]
    stages = {
        name: bounds[i + 1] - start  # type: ignore[operator]
        for i, ((name, _), start) in enumerate(zip(STAGES, bounds))
        if start is not None and bounds[i + 1] is not None
    }
    return float(wall), int(peak_kb) / 1024, float(cpu), stages


def big_bank(questions: int, megabytes: float) -> str:
    from eval.synthetic_bank import write_bank

    work = Path(tempfile.mkdtemp(prefix="qbank-bigbank-"))
    try:
        bank = write_bank(work / "banks" / "synthetic.md", questions, megabytes)
        size = bank.stat().st_size / 1e6
        command, env = _index_command(bank.parent, work / "full" / "index")
        full, full_rss, full_cpu, stages = _timed_build(command, env)
        resumed_dir = work / "resumed" / "index"
        last, killed_after = _killed_at(50, bank.parent, resumed_dir)
        from index.embedding_cache import EmbeddingCache
        from index.paths import cache_path

        cache = EmbeddingCache(cache_path(resumed_dir))
        cached = cache.count()
        cache.close()
        command, env = _index_command(bank.parent, resumed_dir)
        restart, restart_rss, restart_cpu = run_child_with_cpu(command, env)
        done = _EMBEDDED.search(last)
        killed_note = last
        if done:
            what = "entries of the e5 pass (the MiniLM pass was complete)" if "multilingual" in last else "units"
            killed_note = f"{done.group(1)} of {done.group(2)} {what} embedded"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        ("full build from an empty cache: wall (s)", f"{full:.0f}", "≤ 600"),
        ("full build: CPU, user + system (s)", f"{full_cpu:.0f}", "–"),
        ("peak RSS of the full build (MB)", f"{full_rss:.0f}", "≤ 1,536"),
        *((f"full build, stage {name}: wall (s)", f"{seconds:.0f}", "–") for name, seconds in stages.items()),
        (f"second build killed at 50 % ({killed_after:.0f} s): cache rows committed", f"{cached:,}", "–"),
        ("restart after the kill, to a complete index: wall (s)", f"{restart:.0f}", "–"),
        ("restart ÷ full build, wall", f"{restart / full:.2f}", "≤ 0.60"),
        ("restart ÷ full build, CPU", f"{restart_cpu / full_cpu:.2f}", "≤ 0.60"),
        ("peak RSS of the restart (MB)", f"{restart_rss:.0f}", "≤ 1,536"),
    ]
    lines = [
        f"## {BIG_BANK}",
        "",
        "Command: `.venv/bin/python -m eval.bench_indexing big-bank "
        f"--questions {questions} --megabytes {megabytes:g}`. "
        f"Run {datetime.now():%Y-%m-%d %H:%M}; {machine()}.",
        f"Bank: {size:.1f} MB, {questions:,} questions recombined from the real banks' sentences "
        "(`python -m eval.synthetic_bank`). Each build is `qbank index --rebuild` in its own process "
        f"(model load included). At the kill its last progress line said: {killed_note}. "
        f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
        "| measurement | value | target |",
        "|---|---|---|",
        *[f"| {name} | {value} | {target} |" for name, value, target in rows],
        "",
    ]
    return "\n".join(lines)


# One process per code version: MiniLM loaded, one unmeasured rebuild (loads what that version
# loads at first use, as eval/benchmark.py's earlier builds do), then the measured ones; prints
# JSON: [[wall, cpu], ...] and how often e5 was asked for during the measured ones.
_REINGEST_CHILD = """
import json, sys, time
from pathlib import Path
import index.embedder as embedders
from index.build import build_index
index_dir, repeats = Path(sys.argv[1]), int(sys.argv[2])
embedder = embedders.load_embedder()
build_index(index_dir, embedder=embedder)
loads = []
real = embedders.load_multilingual
def counted():
    loads.append(1)
    return real()
embedders.load_multilingual = counted
import index.build as build
if hasattr(build, "load_multilingual"):
    build.load_multilingual = counted
runs = []
for _ in range(repeats):
    wall, cpu = time.perf_counter(), time.process_time()
    report = build_index(index_dir, embedder=embedder)
    runs.append([time.perf_counter() - wall, time.process_time() - cpu])
    assert not report.embedded, report.embedded
print(json.dumps({"runs": runs, "e5_loads": len(loads)}))
"""


def _reingest_child(code_root: Path, index_dir: Path, repeats: int) -> dict:
    import json

    env = offline_env(PYTHONPATH=str(code_root))
    done = subprocess.run(
        [sys.executable, "-c", _REINGEST_CHILD, str(index_dir), str(repeats)],
        env=env,
        cwd=code_root,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"the re-ingest run of {code_root} failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def reingest(index_dir: Path | None, repeats: int, baseline: str) -> str:
    """Unchanged rebuilds of the five banks (every vector in the cache) by this qbank and by the
    `baseline` commit, each in its own process on its own copy of the same index and cache."""
    work = Path(tempfile.mkdtemp(prefix="qbank-reingest-"))
    try:
        source = index_dir
        if source is None:
            source = work / "first" / "index"
            command, env = _index_command(default_bank_dir(), source)
            run_child(command, env)
        baseline_root = work / "baseline-code"
        baseline_root.mkdir()
        archive = subprocess.run(["git", "archive", baseline], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline_root)], input=archive, check=True)
        results = {}
        for label, root in (("baseline", baseline_root), ("now", ROOT)):
            copy = work / label
            shutil.copytree(source.parent, copy)
            results[label] = _reingest_child(root, copy / source.name, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = {k: statistics.median(w for w, _ in v["runs"]) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c in v["runs"]) for k, v in results.items()}
    rows = [
        ("unchanged re-ingest: wall (s, median)", f"{wall['baseline']:.2f}", f"{wall['now']:.2f}", "≤ 3"),
        ("unchanged re-ingest: CPU (s, median)", f"{cpu['baseline']:.2f}", f"{cpu['now']:.2f}", "–"),
        (
            "calls to load e5 during the measured runs",
            f"{results['baseline']['e5_loads']}",
            f"{results['now']['e5_loads']}",
            "0",
        ),
    ]
    command = f".venv/bin/python -m eval.bench_indexing reingest --repeats {repeats} --baseline {baseline}"
    if index_dir is not None:
        command += f" --index-dir {index_dir}"
    lines = [
        f"## {REINGEST}",
        "",
        f"Command: `{command}`. Run {datetime.now():%Y-%m-%d %H:%M}; {machine()}.",
        f"`build_index` over the five banks with nothing changed (every vector in the embedding cache), {repeats}× "
        f"after one unmeasured rebuild, in one process with MiniLM loaded (as the row of eval/benchmark.py); "
        f"*baseline*: commit {baseline}, run the same way on its own copy of the same index and cache.",
        "",
        "| measurement | baseline | now | now ÷ baseline | target |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {old} | {new} | {_ratio(new, old) if old != '–' else '–'} | {target} |"
            for name, old, new, target in rows
        ],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    fast = sub.add_parser("throughput", help="embedding throughput on the five banks, before vs after")
    fast.add_argument("--repeats", type=int, default=5)
    big = sub.add_parser("big-bank", help="build, kill at 50 %% and resume a synthetic big bank")
    big.add_argument("--questions", type=int, default=32_000)
    big.add_argument("--megabytes", type=float, default=15.0)
    again = sub.add_parser("reingest", help="an unchanged rebuild of the five banks, every vector in the cache")
    again.add_argument("--repeats", type=int, default=5)
    again.add_argument("--index-dir", type=Path, help="an index (cache beside it) to copy and rebuild; default: built")
    again.add_argument("--baseline", default="4088471", help="the commit to compare with (before issue 12's speed-ups)")
    args = parser.parse_args(argv)
    if args.what == "throughput":
        section, title = throughput(args.repeats), THROUGHPUT
    elif args.what == "reingest":
        section, title = reingest(args.index_dir, args.repeats, args.baseline), REINGEST
    else:
        section, title = big_bank(args.questions, args.megabytes), BIG_BANK
    write_section(title, section)
    print(section)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
