"""Features for the calibrated ranking and coverage models (names and order: index/calibration.py).

Scores are given both raw and relative to the query's best ("gap"): a cosine of 0.55 means a strong
match for one query and a weak one for another, and the cross-encoder's logits drift the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.calibration import COVERAGE_FEATURES, RANKING_FEATURES
from retrieval.first_stage import DENSE_LISTS, KEYWORD, MULTILINGUAL, Candidates
from retrieval.fusion import ranking

RERANK_FLOOR = -8.0  # below this the cross-encoder says "unrelated"; finer differences there are noise


def ranking_rows(candidates: Candidates, pool: Sequence[int], rerank: np.ndarray | None, path: str) -> np.ndarray:
    """One row per pooled entry, in the order of RANKING_FEATURES[path]."""
    columns: dict[str, np.ndarray] = {}
    if rerank is not None:
        order = np.argsort(-rerank, kind="stable")
        rank_of = np.empty(len(pool), dtype=np.int64)
        rank_of[order] = np.arange(len(pool))
        columns["rerank"] = rerank
        columns["rerank_clipped"] = np.maximum(rerank, RERANK_FLOOR)
        columns["rerank_gap"] = rerank - rerank.max()
        columns["rerank_rank_inv"] = 1.0 / (rank_of + 1)
    position = {entry: i for i, entry in enumerate(candidates.fused)}
    columns["fused_rank_inv"] = np.array([1.0 / (position.get(e, len(position)) + 1) for e in pool])
    for name in (*DENSE_LISTS, MULTILINGUAL):
        scores = candidates.scores.get(name, {})
        floor, top = candidates.floor(name), candidates.top(name)
        values = np.array([scores.get(e, floor) for e in pool])
        columns[f"{name}_cos"] = values
        columns[f"{name}_gap"] = values - top
    e5_order = ranking(candidates.scores.get(MULTILINGUAL, {}))
    e5_position = {entry: i for i, entry in enumerate(e5_order)}
    columns["multilingual_rank_inv"] = np.array([1.0 / (e5_position.get(e, len(e5_order)) + 1) for e in pool])
    keyword = candidates.scores.get(KEYWORD, {})
    best_keyword = candidates.top(KEYWORD)
    columns["keyword_rel"] = np.array([keyword.get(e, 0.0) / best_keyword if best_keyword > 0 else 0.0 for e in pool])
    names = RANKING_FEATURES[path]
    return np.column_stack([columns[name] for name in names]) if len(pool) else np.zeros((0, len(names)))


CROWD = 50  # how many of a ranking's best entries make "the crowd" a real match stands out from


def _crowd(candidates: Candidates, name: str) -> float:
    values = sorted(candidates.scores.get(name, {}).values(), reverse=True)[:CROWD]
    return float(np.mean(values)) if values else 0.0


def coverage_row(
    candidates: Candidates,
    ordered: Sequence[int],
    scores: Sequence[float],
    rerank_top: float | None,
    term_features: dict[str, float],
    path: str,
) -> np.ndarray:
    """The features of one query at its top entry, in the order of COVERAGE_FEATURES[path]."""
    top = ordered[0]
    dense = max(candidates.scores[name].get(top, candidates.floor(name)) for name in DENSE_LISTS)
    multilingual = candidates.scores.get(MULTILINGUAL, {})
    values = {
        "dense_standout": dense - _crowd(candidates, "content"),
        "multilingual_standout": multilingual.get(top, candidates.floor(MULTILINGUAL))
        - _crowd(candidates, MULTILINGUAL),
        "top_rerank": rerank_top if rerank_top is not None else 0.0,
        "top_score": scores[0],
        "score_margin": scores[0] - scores[1] if len(scores) > 1 else 0.0,
        "top_dense_cos": dense,
        "top_multilingual_cos": multilingual.get(top, candidates.floor(MULTILINGUAL)),
        **term_features,
    }
    names = COVERAGE_FEATURES[path]
    return np.array([values[name] for name in names])
