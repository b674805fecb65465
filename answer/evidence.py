"""What the composers work from: which hits are relevant, which one is the best match, which
answered entries share its topic, and how relevant each point is (embeddings, MMR)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np

from answer.points import Point
from answer.terms import GENERIC_WORDS, stem_set
from index.calibration import ANSWER_DEFAULTS
from ingest.entry import Entry
from retrieval.searcher import Searcher
from retrieval.types import Hit, SearchFilters, SearchResult

POSITION_STEP = 0.005  # later points of an answer rank a little lower


def thresholds(searcher: Searcher | None) -> Mapping[str, float]:
    """The answering thresholds of the searcher's calibration (index/calibration.py ANSWER_DEFAULTS
    for names it does not record): they are tied to the index's embedder."""
    calibration = getattr(searcher, "calibration", None) if searcher is not None else None
    if calibration is None:
        return ANSWER_DEFAULTS
    return cast(Mapping[str, float], calibration.answer_thresholds)


class ScopedSearcher:
    """A searcher whose every lookup keeps to the caller's filters (banks, sections, answered
    only): variants, similar entries and children included, not only the search itself."""

    def __init__(self, searcher: Searcher, filters: SearchFilters) -> None:
        self._searcher = searcher
        self._filters = filters

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher, name)

    def search(
        self, query: str, history: Any = None, k: int = 10, filters: SearchFilters | None = None
    ) -> SearchResult:
        return self._searcher.search(query, history=history, k=k, filters=filters or self._filters)

    def variants(self, entry_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self._searcher.variants(entry_id) if self._filters.admits(e))

    def similar(self, entry_id: str, k: int = 5, filters: SearchFilters | None = None) -> tuple[Entry, ...]:
        return self._searcher.similar(entry_id, k=k, filters=filters or self._filters)

    def children(self, entry_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self._searcher.children(entry_id) if self._filters.admits(e))


def scoped(searcher: Searcher, filters: SearchFilters | None) -> Searcher:
    """The searcher itself, or one that keeps to `filters` when they restrict anything."""
    if filters is None or not filters.active:
        return searcher
    return cast(Searcher, ScopedSearcher(searcher, filters))


def is_related(hit: Hit, best_dense: float, t: Mapping[str, float] = ANSWER_DEFAULTS) -> bool:
    """A hit is relevant enough to cite when its best unit is close to the query (cosine), or a
    little less close while sharing rare words with it; and never far below the best hit."""
    floor = best_dense - t["related_below_best"]
    if hit.dense_score >= max(t["related_similarity"], floor):
        return True
    return hit.keyword_score > 0 and hit.dense_score >= max(t["related_similarity_with_keywords"], floor)


def related_hits(result: SearchResult, t: Mapping[str, float] = ANSWER_DEFAULTS) -> list[Hit]:
    """The hits worth citing, in retrieval order (the first hit always counts)."""
    if not result.hits:
        return []
    best_dense = max(h.dense_score for h in result.hits[:3])
    return [h for k, h in enumerate(result.hits) if k == 0 or is_related(h, best_dense, t)]


def best_match(result: SearchResult, searcher: Searcher | None = None) -> Hit | None:
    """The top hit, with two corrections. A near tie in fused score (among the first three) goes
    to the answered hit closest in meaning. A question its bank leaves unanswered yields to an
    answered hit about as close in meaning — among the first three, or anywhere when it is the
    same question asked in another bank (`searcher` knows the variants): the best match is then a
    question the banks do answer."""
    if not result.hits:
        return None
    t = thresholds(searcher)
    top = result.hits[0]
    if top.entry.has_answer:
        ties = [h for h in result.hits[:3] if h.entry.has_answer and h.score >= top.score - t["fused_tie"]]
        return max(ties, key=lambda h: h.dense_score, default=top)
    variants = {e.id for e in searcher.variants(top.entry.id)} if searcher is not None else set()
    near = [
        h
        for k, h in enumerate(result.hits)
        if h.entry.has_answer
        and (k < 3 or h.entry.id in variants)
        and h.dense_score >= top.dense_score - t["answered_as_close"]
    ]
    return max(near, key=lambda h: h.dense_score, default=top)


def answered_related(searcher: Searcher, best: Entry, result: SearchResult, limit: int = 4) -> list[Entry]:
    """Answered entries on the same topic as `best` (a question its bank leaves unanswered): its
    answered variants, then relevant hits, then entries whose question is close to it and shares a
    distinctive word with it ("Naive Bayes" → "Bayes' Theorem"; "no free lunch theorem" ↛ "central
    limit theorem")."""
    t = thresholds(searcher)
    out: dict[str, Entry] = {}
    for variant in searcher.variants(best.id):
        if variant.has_answer:
            out.setdefault(variant.id, variant)
    for hit in related_hits(result, t):
        if hit.entry.has_answer:
            out.setdefault(hit.entry.id, hit.entry)
    if len(out) < limit:
        words = stem_set(best.question) - GENERIC_WORDS
        near = [e for e in searcher.similar(best.id, k=8) if e.has_answer and e.id not in out]
        near = [e for e in near if words & (stem_set(e.question) - GENERIC_WORDS)]
        if near:
            vectors = embed(searcher, [best.question, *(e.question for e in near)])
            for entry, cosine in zip(near, vectors[1:] @ vectors[0]):
                if float(cosine) >= t["same_topic_similarity"]:
                    out.setdefault(entry.id, entry)
    return list(out.values())[:limit]


# -- embeddings --------------------------------------------------------------------------------------

_CACHE: dict[tuple[str, str], np.ndarray] = {}
_CACHE_LIMIT = 20000


def embed(searcher: Searcher, texts: Sequence[str]) -> np.ndarray:
    """Vectors for texts, cached per embedder: bank sentences recur across answers."""
    name = getattr(searcher.embedder, "name", "embedder")
    missing = list(dict.fromkeys(t for t in texts if (name, t) not in _CACHE))
    if missing:
        if len(_CACHE) + len(missing) > _CACHE_LIMIT:
            _CACHE.clear()
        for text, vector in zip(missing, searcher.embed(missing)):
            _CACHE[(name, text)] = np.asarray(vector, dtype=np.float32)
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([_CACHE[(name, t)] for t in texts])


def entry_closeness(
    searcher: Searcher, entries: Sequence[Entry], asked: Sequence[str], known: Mapping[str, float] | None = None
) -> dict[str, float]:
    """How close each entry is to what was asked: the retrieval score when known, else the cosine
    between its question and the query."""
    known = known or {}
    missing = [e for e in entries if e.id not in known]
    out = {e.id: float(known[e.id]) for e in entries if e.id in known}
    if missing:
        queries = embed(searcher, list(dict.fromkeys(asked)))
        cosines = (embed(searcher, [e.question for e in missing]) @ queries.T).max(axis=1)
        out.update({e.id: float(c) for e, c in zip(missing, cosines)})
    return out


def relevance(
    searcher: Searcher,
    points: Sequence[Point],
    asked: Sequence[str],
    entry_scores: Mapping[str, float] | None = None,
    entry_weight: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """How well each point answers what was asked. Mostly its entry's closeness to the query (see
    `entry_closeness`): a short fragment that merely names the topic embeds close to it, yet inside
    an entry about something else it answers little. The point's own cosine to the query and its
    place in the answer (early points carry the gist) decide within an entry.
    Returns (scores, point vectors)."""
    if entry_weight is None:
        entry_weight = thresholds(searcher)["entry_weight"]
    vectors = embed(searcher, [p.plain for p in points])
    queries = embed(searcher, list(dict.fromkeys(asked)))
    own = (vectors @ queries.T).max(axis=1)
    entries = list({p.entry.id: p.entry for p in points}.values())
    closeness = entry_closeness(searcher, entries, asked, entry_scores)
    entry = np.array([closeness[p.entry.id] for p in points], dtype=np.float32)
    place = np.array([POSITION_STEP * min(p.position, 10) for p in points], dtype=np.float32)
    return entry_weight * entry + (1 - entry_weight) * own - place, vectors


def mmr(
    relevance: np.ndarray,
    vectors: np.ndarray,
    k: int,
    *,
    balance: float = 0.7,
    duplicate: float = 0.88,
    floor: float = -1.0,
) -> list[int]:
    """Maximal marginal relevance: indices of up to k items, each relevant and unlike those before
    it; an item this similar (cosine ≥ `duplicate`) to a chosen one is never taken."""
    chosen: list[int] = []
    candidates = [i for i in range(len(relevance)) if relevance[i] >= floor]
    while candidates and len(chosen) < k:
        if chosen:
            similarity = vectors[candidates] @ vectors[chosen].T
            redundancy = similarity.max(axis=1)
        else:
            redundancy = np.zeros(len(candidates))
        scores = balance * relevance[candidates] - (1 - balance) * redundancy
        order = np.argsort(-scores, kind="stable")
        picked = None
        for j in order:
            if redundancy[j] < duplicate:
                picked = candidates[int(j)]
                break
        if picked is None:
            break
        chosen.append(picked)
        candidates = [c for c in candidates if c != picked and float(vectors[c] @ vectors[picked]) < duplicate]
    return chosen


# -- distinctive words ---------------------------------------------------------------------------------

COMMON_SHARE = 0.02  # a stem in more of the banks' questions than this says little about a topic
_COMMON: dict[int, frozenset[str]] = {}


def common_stems(searcher: Searcher) -> frozenset[str]:
    """Stems so frequent in the banks' questions ("model", "llm", "learn") that sharing one says
    nothing about sharing a topic; computed once per index."""
    entries = searcher.entries
    key = id(entries)
    if key not in _COMMON:
        counts: dict[str, int] = {}
        for entry in entries:
            for word in stem_set(entry.question):
                counts[word] = counts.get(word, 0) + 1
        limit = max(3, COMMON_SHARE * len(entries))
        _COMMON[key] = frozenset(w for w, n in counts.items() if n > limit) | GENERIC_WORDS
    return _COMMON[key]


def distinctive(searcher: Searcher, text: str) -> set[str]:
    """The stems of `text` that say what it is about (a plural the stemmer keeps, "llms", counts as "llm")."""
    common = common_stems(searcher)
    return {w for w in stem_set(text) if w not in common and f"{w}s" not in common and w.rstrip("s") not in common}
