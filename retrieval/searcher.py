"""Hybrid search over the index: dense unit rankings + BM25, fused, one hit per entry."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from index.embedder import Embedder, load_embedder
from index.load import LoadedIndex, load_index
from index.store import words
from index.units import UnitKind
from ingest.entry import Entry
from retrieval.errors import QueryError
from retrieval.followup import resolve_followup
from retrieval.fusion import best_per_entry, max_fused_score, ranking, reciprocal_rank_fusion
from retrieval.normalize import normalize_query
from retrieval.spelling import SpellingCorrector
from retrieval.types import Hit, SearchFilters, SearchResult
from retrieval.vocabulary import KnownWords

# Weights of the four rankings in the fusion. Measured alone on the dev set, BM25 over whole
# entries is the strongest single ranking on these banks (bank wording is terse and technical,
# and queries keep its key terms), so it counts double; follow-up questions are a weak signal.
WEIGHTS = {"question": 1.0, "content": 1.0, "follow_up": 0.5, "keyword": 2.0}
DENSE_CANDIDATES = 400
KEYWORD_CANDIDATES = 100

# "found" — does anything in the banks answer this? A query is covered when its best unit is
# this close in embedding space; or reasonably close while every word of it is known to the
# banks or to general English — a query about something the banks never name ("ARIMA",
# "kubernetes") can still sit near ML entries by its other words. Measured on the dev set:
# abstention 0.96 on out-of-scope queries with 0.02 false abstention.
FOUND_SIMILARITY = 0.5
FOUND_SIMILARITY_ALL_WORDS_KNOWN = 0.35

_STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto about as is are was were be been
    being do does did done have has had having i me my we our you your he she it its they them their this that
    these those what which who whom whose when where why how can could would should will shall may might must
    not no yes so too very just also than there here please tell explain describe define give show between vs
    versus difference differences mean means meaning some any all each more most less least""".split()
)


def _question_key(text: str) -> str:
    return " ".join(words(text))


class Searcher:
    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self._speller = SpellingCorrector(index.vocabulary)
        self._known = KnownWords(index.vocabulary)
        kinds = index.unit_kind
        self._kind_mask = {
            "question": kinds == UnitKind.QUESTION.value,
            "content": (kinds == UnitKind.QA.value) | (kinds == UnitKind.PASSAGE.value),
            "follow_up": kinds == UnitKind.FOLLOW_UP.value,
        }
        # A query that is literally one of the banks' questions must find that entry first.
        self._exact_question: dict[str, list[int]] = {}
        for ordinal, entry in enumerate(index.entries):
            self._exact_question.setdefault(_question_key(entry.question), []).append(ordinal)
        self._question_row = {int(index.unit_entry[row]): row for row in np.flatnonzero(self._kind_mask["question"])}

    @classmethod
    def open(cls, index_dir: Path | None = None, embedder_name: str | None = None) -> Searcher:
        embedder = load_embedder(embedder_name)
        return cls(load_index(embedder, index_dir), embedder)

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
        vector = self.index.vectors.reconstruct(int(self._question_row[ordinal])).reshape(1, -1)
        scores = self._dense_scores(vector)
        per_entry = best_per_entry(
            ((row, s) for row, s in scores.items() if self._kind_mask["question"][row]), self.index.unit_entry
        )
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
        normalized = normalize_query(query)
        standalone = resolve_followup(normalized.text, history)
        corrected, corrections = self._correct(standalone)
        texts = [standalone] if corrected == standalone else [standalone, corrected]
        vectors = self.embedder.embed(texts)
        dense = self._dense_scores(vectors)
        filters = filters or SearchFilters()
        admitted = (lambda e: filters.admits(self.index.entries[e])) if filters.active else (lambda e: True)

        rankings: list[tuple[list[int], float]] = []
        best_unit: dict[int, tuple[float, int]] = {}
        for name in ("question", "content", "follow_up"):
            mask = self._kind_mask[name]
            per_entry = best_per_entry(((r, s) for r, s in dense.items() if mask[r]), self.index.unit_entry)
            per_entry = {e: v for e, v in per_entry.items() if admitted(e)}
            rankings.append((ranking({e: s for e, (s, _) in per_entry.items()}), WEIGHTS[name]))
            for entry, value in per_entry.items():
                if entry not in best_unit or value[0] > best_unit[entry][0]:
                    best_unit[entry] = value
        terms = self._keyword_terms(standalone, corrections)
        keyword = {e: s for e, s in self.index.store.keyword_search(terms, KEYWORD_CANDIDATES) if admitted(e)}
        rankings.append((ranking(keyword), WEIGHTS["keyword"]))

        fused = reciprocal_rank_fusion(rankings)
        scale = max_fused_score(WEIGHTS.values())
        for ordinal in self._exact_question.get(_question_key(standalone), []):
            if admitted(ordinal):
                fused[ordinal] = scale  # the top score: nothing can match better than the question itself
        ordered = ranking(fused)[:k]
        hits = tuple(self._hit(e, fused[e] / scale, best_unit, keyword) for e in ordered)
        notices = normalized.notices
        if corrections:
            fixes = ", ".join(f"{wrong} → {right}" for wrong, right in corrections.items())
            notices = (*notices, f"also searched with spelling fixes: {fixes}")
        return SearchResult(
            query=normalized.text,
            standalone_query=standalone,
            hits=hits,
            found=self._found(hits, terms),
            notices=notices,
        )

    def _dense_scores(self, vectors: np.ndarray) -> dict[int, float]:
        """Unit row → best cosine over the query vectors (the typed and the spell-fixed query)."""
        count = min(DENSE_CANDIDATES, self.index.vectors.ntotal)
        similarities, rows = self.index.vectors.search(np.ascontiguousarray(vectors, dtype=np.float32), count)
        scores: dict[int, float] = {}
        for sims, ids in zip(similarities, rows):
            for sim, row in zip(sims, ids):
                if row >= 0 and sim > scores.get(int(row), -2.0):
                    scores[int(row)] = float(sim)
        return scores

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

    def _keyword_terms(self, text: str, corrections: Mapping[str, str]) -> list[str]:
        terms = []
        for word in words(text):
            word = corrections.get(word, word)
            if word not in _STOPWORDS and len(word) > 1 and word not in terms:
                terms.append(word)
        return terms

    def _hit(
        self,
        ordinal: int,
        score: float,
        best_unit: Mapping[int, tuple[float, int]],
        keyword: Mapping[int, float],
    ) -> Hit:
        dense_score, row = best_unit.get(ordinal, (0.0, -1))
        return Hit(
            entry=self.index.entries[ordinal],
            score=round(score, 4),
            dense_score=round(dense_score, 4),
            keyword_score=round(keyword.get(ordinal, 0.0), 4),
            matched_unit=str(self.index.unit_kind[row]) if row >= 0 else "keyword",
            matched_text=self.index.unit_text[row] if row >= 0 else "",
        )

    def _found(self, hits: Sequence[Hit], terms: Sequence[str]) -> bool:
        if not hits:
            return False
        best = max(h.dense_score for h in hits[:3])
        if best >= FOUND_SIMILARITY:
            return True
        return best >= FOUND_SIMILARITY_ALL_WORDS_KNOWN and all(self._known.is_known(t) for t in terms)
