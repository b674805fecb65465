"""Search: resolve the query, rank candidates in two stages, and decide whether the banks cover it.

1. The query is normalized, resolved against the conversation (retrieval/followup.py) and
   spell-checked against the banks' vocabulary.
2. The first stage (retrieval/first_stage.py) fuses MiniLM, BM25 and multilingual-e5 rankings.
3. The cross-encoder reads the top candidates (English queries; it was trained on English), and a
   calibrated linear model combines its logits with the first-stage scores into the final order.
4. A calibrated coverage model, given the top entry — the one an answer is built from — says
   whether the banks cover the query at all.

Every weight and threshold comes from the index's calibration (index/calibration.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.calibration import FIRST_STAGE, MULTILINGUAL_PATH, RERANKED, Calibration
from index.embedder import Embedder, load_embedder, load_multilingual
from index.load import LoadedIndex, load_index
from index.units import plain_text
from ingest.entry import Entry
from retrieval.errors import QueryError, RerankerError
from retrieval.first_stage import MULTILINGUAL, Candidates, FirstStage
from retrieval.followup import Resolution, resolve_followup
from retrieval.fusion import best_per_entry, ranking
from retrieval.language import reads_as_english
from retrieval.normalize import normalize_query
from retrieval.ranking_features import coverage_row, ranking_rows
from retrieval.reranker import CrossEncoder, load_reranker, reranker_enabled
from retrieval.spelling import SpellingCorrector
from retrieval.types import Hit, SearchFilters, SearchResult
from retrieval.vocabulary import KnownWords
from textkit.words import STOPWORDS, content_words, stem, stems, words

log = logging.getLogger(__name__)


def _question_key(text: str) -> str:
    return " ".join(words(text))


@dataclass
class SearchTrace:
    """Everything one search computed, for calibration and diagnosis."""

    normalized: str  # the query as typed, normalized
    resolution: Resolution
    searched: str  # the resolved, spell-fixed text the rankings read
    corrections: dict[str, str]
    candidates: Candidates
    pool: list[int]  # the fused candidates the ranking model orders
    rerank: np.ndarray | None  # cross-encoder logits of the pool (None: first-stage path)
    path: str  # RERANKED, FIRST_STAGE or MULTILINGUAL_PATH
    terms: list[str]  # the query's content words
    notices: tuple[str, ...]


class Searcher:
    def __init__(self, index: LoadedIndex, embedder: Embedder, multilingual: Embedder | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.calibration: Calibration = index.calibration
        self._multilingual = multilingual
        self._first_stage = FirstStage(index)
        self._speller = SpellingCorrector(index.vocabulary)
        self._known = KnownWords(index.vocabulary)
        self._reranker: CrossEncoder | None = None
        self._reranker_problem: str | None = None
        self._entry_stems: dict[int, set[str]] = {}
        # A query that is literally one of the banks' questions must find that entry first.
        self._exact_question: dict[str, list[int]] = {}
        for ordinal, entry in enumerate(index.entries):
            self._exact_question.setdefault(_question_key(entry.question), []).append(ordinal)
        question_rows = np.flatnonzero(self._first_stage.masks["question"])
        self._question_row = {int(index.unit_entry[row]): int(row) for row in question_rows}

    @classmethod
    def open(
        cls, index_dir: Path | None = None, embedder_name: str | None = None, calibration: Calibration | None = None
    ) -> Searcher:
        embedder = load_embedder(embedder_name)
        return cls(load_index(embedder, index_dir, calibration), embedder)

    # -- lookups -----------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.index.entries

    def entry(self, entry_id: str) -> Entry:
        return self.index.entries[self.index.by_id[entry_id]]

    def children(self, entry_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.index.entries if e.parent_id == entry_id)

    def variants(self, entry_id: str) -> tuple[Entry, ...]:
        """The same question asked elsewhere (other banks first), most similar first."""
        ordinal = self.index.by_id[entry_id]
        found = [self.index.entries[v] for v, _ in self.index.variants.get(ordinal, [])]
        own_bank = self.index.entries[ordinal].bank_file
        return tuple(sorted(found, key=lambda e: e.bank_file == own_bank))

    def similar(self, entry_id: str, k: int = 5, filters: SearchFilters | None = None) -> tuple[Entry, ...]:
        """Nearest other entries by question meaning (variants included)."""
        ordinal = self.index.by_id[entry_id]
        vector = np.asarray(self.index.vectors.reconstruct(self._question_row[ordinal])).reshape(1, -1)
        scores = self._first_stage.dense_scores(vector)
        mask = self._first_stage.masks["question"]
        per_entry = best_per_entry(((row, s) for row, s in scores.items() if mask[row]), self.index.unit_entry)
        admitted = filters or SearchFilters()
        ordered = [
            e
            for e in ranking({e: s for e, (s, _) in per_entry.items()})
            if e != ordinal and admitted.admits(self.index.entries[e])
        ]
        return tuple(self.index.entries[e] for e in ordered[:k])

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    # -- search --------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        history: Sequence[Mapping[str, str]] | None = None,
        k: int = 10,
        filters: SearchFilters | None = None,
    ) -> SearchResult:
        if k < 1:
            raise QueryError(f"k must be at least 1, not {k}")
        trace = self.trace(query, history, filters)
        model = self.calibration.retrieval.ranking[trace.path]
        scores = model.decision(ranking_rows(trace.candidates, trace.pool, trace.rerank, trace.path))
        ordered, final = self._order(trace, scores)
        coverage = self._coverage(trace, ordered, final) if ordered else 0.0
        threshold = self.calibration.retrieval.coverage[trace.path].threshold
        rerank = dict(zip(trace.pool, trace.rerank)) if trace.rerank is not None else {}
        hits = tuple(self._hit(e, s, trace.candidates, rerank.get(e)) for e, s in zip(ordered[:k], final[:k]))
        return SearchResult(
            query=trace.normalized,
            standalone_query=trace.resolution.text,
            hits=hits,
            found=bool(hits) and coverage >= threshold,
            notices=trace.notices,
            coverage=round(float(coverage), 4),
            reranked=trace.rerank is not None,
        )

    def trace(
        self,
        query: str,
        history: Sequence[Mapping[str, str]] | None = None,
        filters: SearchFilters | None = None,
        rerank: bool = True,
    ) -> SearchTrace:
        """The stages up to the ranking model's input (used by search and by `qbank calibrate`)."""
        normalized = normalize_query(query)
        resolution = resolve_followup(normalized.text, history)
        searched, corrections = self._correct(resolution.text)
        texts = [resolution.text] if searched == resolution.text else [resolution.text, searched]
        alone = self._correct(resolution.alone)[0] if resolution.alone else None
        if alone is not None:
            texts.append(alone)  # an ambiguous follow-up: its own reading is a candidate source too
        calibration = self.calibration.retrieval
        filters = filters or SearchFilters()
        entries = self.index.entries
        admitted = (lambda e: filters.admits(entries[e])) if filters.active else (lambda e: True)
        terms = [corrections.get(w, w) for w in content_words(resolution.text)]
        candidates = self._first_stage.candidates(
            self.embedder.embed(texts),
            terms,
            self._multilingual_vectors(texts),
            calibration.weights,
            calibration.rrf_k,
            admitted,
        )
        notices = list(normalized.notices)
        if corrections:
            fixes = ", ".join(f"{wrong} → {right}" for wrong, right in corrections.items())
            notices.append(f"also searched with spelling fixes: {fixes}")
        english = reads_as_english(searched, self._known)
        trace = SearchTrace(
            normalized=normalized.text,
            resolution=resolution,
            searched=searched,
            corrections=corrections,
            candidates=candidates,
            pool=[],
            rerank=None,
            path=FIRST_STAGE,
            terms=terms,
            notices=(),
        )
        if not english and MULTILINGUAL in candidates.scores:
            return replace(self.view_as(trace, MULTILINGUAL_PATH), notices=tuple(notices))
        reranker = self._usable_reranker(searched, notices) if rerank else None
        trace = replace(self.view_as(trace, FIRST_STAGE), notices=tuple(notices))
        if reranker is None or not trace.pool:
            return trace
        passages = [self._rerank_text(e) for e in trace.pool]
        scores = reranker.score(searched, passages)
        if alone is not None:
            scores = np.maximum(scores, reranker.score(alone, passages))  # the better reading per entry
        return replace(trace, rerank=scores, path=RERANKED)

    def view_as(self, trace: SearchTrace, path: str) -> SearchTrace:
        """The trace as the given path would rank it (calibration fits each path on every query).

        The ranking model orders a pool — the top of the fused list, which the cross-encoder reads
        (or, for other languages, the top of e5's own ranking); the rest follows in fused order.
        """
        depth = self.calibration.retrieval.rerank_depth
        if path == MULTILINGUAL_PATH:
            pool = ranking(trace.candidates.scores.get(MULTILINGUAL, {}))[:depth]
            return replace(trace, pool=pool, rerank=None, path=path)
        pool = trace.candidates.fused[:depth]
        if path == RERANKED:
            assert trace.rerank is not None and trace.pool == pool, "the cross-encoder read another pool"
            return trace
        return replace(trace, pool=pool, rerank=None, path=path)

    def coverage_features(self, trace: SearchTrace, ordered: Sequence[int], scores: Sequence[float]) -> np.ndarray:
        rerank_top = None
        if trace.rerank is not None:
            rerank_top = float(trace.rerank[trace.pool.index(ordered[0])]) if ordered[0] in trace.pool else None
            rerank_top = rerank_top if rerank_top is not None else float(trace.rerank.min())
        return coverage_row(
            trace.candidates, ordered, scores, rerank_top, self._term_features(trace, ordered[0]), trace.path
        )

    # -- internals -----------------------------------------------------------------------------

    def _order(self, trace: SearchTrace, scores: np.ndarray) -> tuple[list[int], list[float]]:
        """Pool entries by model score, then the rest of the fused list below them."""
        by_score = sorted(range(len(trace.pool)), key=lambda i: (-scores[i], i))
        ordered = [trace.pool[i] for i in by_score]
        final = [float(scores[i]) for i in by_score]
        exact = [e for e in self._exact_question.get(_question_key(trace.searched), []) if e in set(ordered)]
        if exact:
            # Nothing can match better than the question itself.
            top = (max(final) if final else 0.0) + 1.0
            rest = [(e, s) for e, s in zip(ordered, final) if e not in exact]
            ordered = exact + [e for e, _ in rest]
            final = [top] * len(exact) + [s for _, s in rest]
        seen = set(ordered)
        floor = (min(final) if final else 0.0) - 1.0
        tail = trace.candidates.fused
        if trace.path == MULTILINGUAL_PATH:
            tail = ranking(trace.candidates.scores.get(MULTILINGUAL, {})) + tail
        for entry in tail:
            if entry not in seen:
                seen.add(entry)
                ordered.append(entry)
                final.append(floor)
        return ordered, final

    def _coverage(self, trace: SearchTrace, ordered: list[int], final: list[float]) -> float:
        model = self.calibration.retrieval.coverage[trace.path].model
        return float(model.probability(self.coverage_features(trace, ordered, final))[0])

    def _multilingual_vectors(self, texts: list[str]) -> np.ndarray | None:
        if self.index.multilingual_vectors is None:
            return None
        if self._multilingual is None:
            self._multilingual = load_multilingual()
        return self._multilingual.embed_queries(texts)  # type: ignore[attr-defined]

    def _usable_reranker(self, text: str, notices: list[str]) -> CrossEncoder | None:
        if not reranker_enabled() or not reads_as_english(text, self._known):
            return None
        if self._reranker is None and self._reranker_problem is None:
            try:
                self._reranker = load_reranker(self.calibration.retrieval.rerank_tokens)
            except RerankerError as exc:
                self._reranker_problem = str(exc)
                log.warning("reranker unavailable: %s", exc)
        if self._reranker_problem is not None:
            notices.append(f"ranked without the reranker: {self._reranker_problem}")
        return self._reranker

    def _rerank_text(self, ordinal: int) -> str:
        entry = self.index.entries[ordinal]
        body = plain_text(entry.answer) or " ".join(entry.follow_ups)
        return f"{entry.question}\n{body}" if body else entry.question

    def _stems_of(self, ordinal: int) -> set[str]:
        found = self._entry_stems.get(ordinal)
        if found is None:
            entry = self.index.entries[ordinal]
            found = stems(f"{entry.question} {entry.answer} {' '.join(entry.follow_ups)} {entry.section}")
            self._entry_stems[ordinal] = found
        return found

    def _term_features(self, trace: SearchTrace, top: int) -> dict[str, float]:
        """How the query's own words relate to the top entry and to the banks' vocabulary."""
        terms = trace.terms
        tokens = words(trace.resolution.text)
        function_share = sum(w in STOPWORDS for w in tokens) / len(tokens) if tokens else 0.0
        if not terms:
            return {
                "term_coverage": 0.0,
                "unknown_terms": 0.0,
                "absent_english_terms": 0.0,
                "english_function_share": function_share,
            }
        entry_stems = self._stems_of(top)
        in_corpus = [self._known.in_corpus(t) for t in terms]
        english = [self._known.is_english(t) for t in terms]
        n = len(terms)
        return {
            "term_coverage": sum(stem(t) in entry_stems for t in terms) / n,
            "unknown_terms": sum(not c and not e for c, e in zip(in_corpus, english)) / n,
            "absent_english_terms": sum(e and not c for c, e in zip(in_corpus, english)) / n,
            "english_function_share": function_share,
        }

    def _correct(self, text: str) -> tuple[str, dict[str, str]]:
        corrections: dict[str, str] = {}
        for word in dict.fromkeys(words(text)):  # in query order, so the notice reads the same every run
            if self._known.is_english(word):
                continue  # a real word the banks happen not to use ("banks") is no typo
            fixed = self._speller.correct(word)
            if fixed:
                corrections[word] = fixed
        if not corrections:
            return text, corrections
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, corrections)) + r")\b", re.IGNORECASE)
        return pattern.sub(lambda m: corrections[m.group(0).lower()], text), corrections

    def _hit(self, ordinal: int, score: float, candidates: Candidates, rerank: float | None) -> Hit:
        dense_score, row = candidates.best_unit.get(ordinal, (0.0, -1))
        return Hit(
            entry=self.index.entries[ordinal],
            score=round(float(1.0 / (1.0 + np.exp(-score))), 4),
            dense_score=round(dense_score, 4),
            keyword_score=round(candidates.scores.get("keyword", {}).get(ordinal, 0.0), 4),
            matched_unit=str(self.index.unit_kind[row]) if row >= 0 else "keyword",
            matched_text=self.index.unit_text[row] if row >= 0 else "",
            rerank_score=round(rerank, 4) if rerank is not None else None,
        )
