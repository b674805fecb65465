"""The recipes qbank is measured against, all on the same embedder and the same queries.

(a) naive LangChain: RecursiveCharacterTextSplitter(1000, 200) over the raw bank files and a
    flat FAISS store (what LangChain's FAISS wrapper builds), query embedded as typed;
(b) BM25 only: the index's FTS5 keyword ranking;
(c) dense question-only: one vector per entry, its question.
Chunk hits of (a) are mapped to the entries whose lines they overlap, most-overlapped first.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from index.embed_pipeline import embed_texts
from index.embedder import Embedder
from index.embedding_cache import EmbeddingCache
from index.paths import cache_path
from index.store import words
from index.units import UnitKind
from ingest.corpus import default_bank_dir
from retrieval.searcher import Searcher

History = Sequence[Mapping[str, str]] | None
# The first release's "found" rule (a similarity cut), for the dense baseline's abstention.
FOUND_SIMILARITY = 0.5


@dataclass(frozen=True)
class Ranked:
    ids: tuple[str, ...]
    found: bool


class CachedEmbeddings(Embeddings):
    """LangChain's Embeddings interface over qbank's embedder and embedding cache."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self._embedder = embedder
        self._cache = cache

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return embed_texts(texts, self._embedder, self._cache).vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()


class NaiveLangChain:
    name = "naive LangChain (chunks 1000/200 + FAISS)"

    def __init__(self, searcher: Searcher, bank_dir: Path | None = None, k: int = 10) -> None:
        self._k = k
        cache = EmbeddingCache(cache_path(searcher.index.path))
        self._embeddings = CachedEmbeddings(searcher.embedder, cache)
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for entry in searcher.entries:
            for loc in entry.locations:
                spans.setdefault(loc.file, []).append((loc.line_start, loc.line_end, entry.id))
        texts: list[str] = []
        self._chunk_entries: list[tuple[str, ...]] = []
        for path in sorted((bank_dir or default_bank_dir()).iterdir()):
            if not path.is_file():
                continue
            raw = path.read_text(encoding="utf-8", errors="replace")
            for doc in splitter.create_documents([raw], metadatas=[{"source": path.name}]):
                start = doc.metadata["start_index"]
                first = raw.count("\n", 0, start) + 1
                last = first + doc.page_content.count("\n")
                overlaps = [
                    (min(end, last) - max(begin, first) + 1, entry_id)
                    for begin, end, entry_id in spans.get(path.name, [])
                    if begin <= last and end >= first
                ]
                texts.append(doc.page_content)
                self._chunk_entries.append(tuple(e for _, e in sorted(overlaps, key=lambda o: -o[0])))
        vectors = np.array(self._embeddings.embed_documents(texts), dtype=np.float32)
        cache.close()
        self._store = faiss.IndexFlatL2(vectors.shape[1])
        self._store.add(vectors)
        self.chunks = len(texts)

    def rank(self, query: str, history: History = None) -> Ranked:
        vector = np.array([self._embeddings.embed_query(query)], dtype=np.float32)
        _, rows = self._store.search(vector, self._k)
        ids: list[str] = []
        for row in rows[0]:
            for entry_id in self._chunk_entries[row]:
                if entry_id not in ids:
                    ids.append(entry_id)
        return Ranked(tuple(ids), found=True)  # the recipe has no notion of "not covered"


class BM25Only:
    name = "BM25 only"

    def __init__(self, searcher: Searcher, k: int = 10) -> None:
        self._searcher = searcher
        self._k = k

    def rank(self, query: str, history: History = None) -> Ranked:
        terms = list(dict.fromkeys(w for w in words(query) if len(w) > 1))
        rows = self._searcher.index.store.keyword_search(terms, self._k)
        return Ranked(tuple(self._searcher.index.entries[e].id for e, _ in rows), found=bool(rows))


class DenseQuestionOnly:
    name = "dense question-only"

    def __init__(self, searcher: Searcher, k: int = 10) -> None:
        self._searcher = searcher
        self._k = k
        index = searcher.index
        rows = np.flatnonzero(index.unit_kind == UnitKind.QUESTION.value)
        self._entry_of = index.unit_entry[rows]
        self._store = faiss.IndexFlatIP(index.vectors.d)
        self._store.add(np.vstack([index.vectors.reconstruct(int(r)) for r in rows]))

    def rank(self, query: str, history: History = None) -> Ranked:
        vector = self._searcher.embedder.embed([query])
        scores, rows = self._store.search(vector, self._k)
        ids = tuple(self._searcher.index.entries[int(self._entry_of[r])].id for r in rows[0])
        # Same abstention rule as qbank's similarity test, so the comparison is about ranking.
        return Ranked(ids, found=bool(scores[0][0] >= FOUND_SIMILARITY))


class Qbank:
    name = "qbank"

    def __init__(self, searcher: Searcher, k: int = 10) -> None:
        self._searcher = searcher
        self._k = k

    def rank(self, query: str, history: History = None) -> Ranked:
        result = self._searcher.search(query, history=history, k=self._k)
        return Ranked(tuple(h.entry.id for h in result.hits), found=result.found)


class FirstStageOnly:
    """qbank with QBANK_RERANKER=off: the fast path (first stage + calibrated first-stage model)."""

    name = "qbank without reranker"

    def __init__(self, searcher: Searcher, k: int = 10) -> None:
        self._searcher = searcher
        self._k = k

    def rank(self, query: str, history: History = None) -> Ranked:
        import os

        previous = os.environ.get("QBANK_RERANKER")
        os.environ["QBANK_RERANKER"] = "off"
        try:
            result = self._searcher.search(query, history=history, k=self._k)
        finally:
            if previous is None:
                os.environ.pop("QBANK_RERANKER", None)
            else:
                os.environ["QBANK_RERANKER"] = previous
        return Ranked(tuple(h.entry.id for h in result.hits), found=result.found)


def timed(system, query: str, history: History) -> tuple[Ranked, float]:
    started = time.perf_counter()
    ranked = system.rank(query, history)
    return ranked, time.perf_counter() - started
