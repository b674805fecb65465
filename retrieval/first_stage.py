"""The first stage: cheap rankings of the whole index, fused into one candidate list.

Five rankings, each collapsed to one score per entry: MiniLM similarity of the query with each
entry's question, with its question+answer or answer passages, and with its follow-ups; BM25 over
the entry's text (FTS5); and multilingual-e5 similarity with the entry (the only one that reads a
question asked in Spanish or Chinese). Reciprocal-rank fusion with the calibrated weights orders the
candidates that the reranker then reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.load import LoadedIndex
from index.units import UnitKind
from retrieval.fusion import best_per_entry, ranking, reciprocal_rank_fusion

DENSE_CANDIDATES = 400  # nearest units; more than enough to rank every plausible entry
KEYWORD_CANDIDATES = 100
MULTILINGUAL_CANDIDATES = 100

DENSE_LISTS = {
    "question": (UnitKind.QUESTION,),
    "content": (UnitKind.QA, UnitKind.PASSAGE),
    "follow_up": (UnitKind.FOLLOW_UP,),
}
KEYWORD = "keyword"
MULTILINGUAL = "multilingual"


@dataclass
class Candidates:
    """Every first-stage score an entry got (absent: not among that ranking's candidates)."""

    fused: list[int]  # entry ordinals, best first
    fused_score: dict[int, float]
    scores: dict[str, dict[int, float]]  # ranking name → entry ordinal → score
    best_unit: dict[int, tuple[float, int]] = field(default_factory=dict)  # entry → (cosine, unit row)

    def floor(self, name: str) -> float:
        """The weakest score a candidate of this ranking got: what an entry outside it is worth."""
        values = self.scores.get(name)
        return min(values.values()) if values else 0.0

    def top(self, name: str) -> float:
        values = self.scores.get(name)
        return max(values.values()) if values else 0.0


class FirstStage:
    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        kinds = index.unit_kind
        self.masks = {name: np.isin(kinds, [k.value for k in unit_kinds]) for name, unit_kinds in DENSE_LISTS.items()}

    def dense_scores(self, vectors: np.ndarray, count: int = DENSE_CANDIDATES) -> dict[int, float]:
        """Unit row → best cosine over the query vectors (the typed and the spell-fixed query)."""
        count = min(count, self.index.vectors.ntotal)
        similarities, rows = self.index.vectors.search(np.ascontiguousarray(vectors, dtype=np.float32), count)
        scores: dict[int, float] = {}
        for sims, ids in zip(similarities, rows):
            for sim, row in zip(sims, ids):
                if row >= 0 and sim > scores.get(int(row), -2.0):
                    scores[int(row)] = float(sim)
        return scores

    def candidates(
        self,
        dense_vectors: np.ndarray,
        keyword_terms: Sequence[str],
        multilingual_vectors: np.ndarray | None,
        weights: Mapping[str, float],
        rrf_k: float,
        admitted: Callable[[int], bool],
    ) -> Candidates:
        scores: dict[str, dict[int, float]] = {}
        best_unit: dict[int, tuple[float, int]] = {}
        dense = self.dense_scores(dense_vectors)
        for name, mask in self.masks.items():
            per_entry = best_per_entry(((r, s) for r, s in dense.items() if mask[r]), self.index.unit_entry)
            per_entry = {e: v for e, v in per_entry.items() if admitted(e)}
            scores[name] = {e: s for e, (s, _) in per_entry.items()}
            for entry, value in per_entry.items():
                if entry not in best_unit or value[0] > best_unit[entry][0]:
                    best_unit[entry] = value
        hits = self.index.store.keyword_search(list(keyword_terms), KEYWORD_CANDIDATES)
        scores[KEYWORD] = {e: s for e, s in hits if admitted(e)}
        if multilingual_vectors is not None and self.index.multilingual_vectors is not None:
            scores[MULTILINGUAL] = self._multilingual(multilingual_vectors, admitted)
        fused = reciprocal_rank_fusion(
            [(ranking(values), weights.get(name, 0.0)) for name, values in scores.items()], k=rrf_k
        )
        return Candidates(fused=ranking(fused), fused_score=fused, scores=scores, best_unit=best_unit)

    def _multilingual(self, vectors: np.ndarray, admitted: Callable[[int], bool]) -> dict[int, float]:
        index = self.index.multilingual_vectors
        assert index is not None
        count = min(MULTILINGUAL_CANDIDATES, index.ntotal)
        similarities, rows = index.search(np.ascontiguousarray(vectors, dtype=np.float32), count)
        best: dict[int, float] = {}
        for sims, ids in zip(similarities, rows):
            for sim, row in zip(sims, ids):
                entry = int(row)
                if entry >= 0 and admitted(entry) and sim > best.get(entry, -2.0):
                    best[entry] = float(sim)
        return best
