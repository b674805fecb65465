"""`qbank calibrate`: fit every retrieval constant on the `tune` split, write index/calibration.json.

Never reads `heldout`. Steps, each on `tune` only:
1. Fusion: the reciprocal-rank-fusion constant and weights that put a relevant entry into the
   reranker's window (the top `rerank_depth`) most often (ties: higher MRR), by grid search.
2. Ranking: a logistic regression over the candidates' features (relevant or not), one per path
   (with the cross-encoder, and first stage only); C chosen by 5-fold cross-validation grouped by
   query, so no query's candidates are both fitted and scored.
3. Coverage: a logistic regression on the top entry's features (the query is in scope or not),
   where the top entry comes from the cross-validated ranking; the threshold is the one that refuses
   the most out-of-scope queries while refusing at most MAX_FALSE_REFUSAL of the answerable ones,
   judged on cross-validated probabilities.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.dataset import QUERIES, TUNE, EvalQuery, load_queries
from index.calibration import (
    COVERAGE_FEATURES,
    FIRST_STAGE,
    MULTILINGUAL_PATH,
    PATHS,
    RANKING_FEATURES,
    RERANKED,
    SHIPPED_CALIBRATION,
    Calibration,
    CoverageModel,
    LinearModel,
    RetrievalCalibration,
)
from retrieval.first_stage import Candidates
from retrieval.fusion import ranking
from retrieval.ranking_features import ranking_rows
from retrieval.searcher import Searcher, SearchTrace

FOLDS = 5
SEED = 20261202
RERANK_DEPTH = 10  # chosen for latency: ~10 cross-encoder passes fit the 120 ms budget on 2 cores
RERANK_TOKENS = 96  # likewise; 96 and 128 tokens ranked alike on `tune`, 64 slightly worse
# Answerable queries a path may refuse (on cross-validated tune figures). The multilingual path
# has few queries (one is 4 %), so its allowance is one query's worth.
MAX_FALSE_REFUSAL = {RERANKED: 0.03, FIRST_STAGE: 0.03, MULTILINGUAL_PATH: 0.04}
COVERAGE_SEEDS = 5
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
RRF_K_GRID = (2.0, 5.0, 10.0, 20.0, 60.0)
WEIGHT_GRID = {
    "question": (1.0,),
    "content": (0.5, 1.0, 2.0),
    "follow_up": (0.25, 0.5),
    "keyword": (1.0, 2.0, 3.0),
    "multilingual": (0.5, 1.0, 2.0),
}


@dataclass
class Labelled:
    query: EvalQuery
    relevant: frozenset[int]  # entry ordinals
    trace: SearchTrace | None = None


def _labelled(searcher: Searcher, queries: Sequence[EvalQuery]) -> list[Labelled]:
    by_id = searcher.index.by_id
    return [Labelled(q, frozenset(by_id[i] for i in q.relevant if i in by_id)) for q in queries]


@dataclass
class _RankTable:
    """One query's first-stage ranks: rows are candidate entries, columns the rankings (inf: absent)."""

    ranks: np.ndarray
    relevant: np.ndarray  # bool per row


def _rank_table(candidates: Candidates, relevant: frozenset[int], names: Sequence[str]) -> _RankTable:
    entries = sorted({e for scores in candidates.scores.values() for e in scores})
    row = {e: i for i, e in enumerate(entries)}
    ranks = np.full((len(entries), len(names)), np.inf)
    for j, name in enumerate(names):
        for position, entry in enumerate(ranking(candidates.scores.get(name, {})), start=1):
            ranks[row[entry], j] = position
    return _RankTable(ranks, np.array([e in relevant for e in entries], dtype=bool))


def _fusion_figures(tables: Sequence[_RankTable], k: float, weights: np.ndarray) -> tuple[float, float]:
    window, rr = [], []
    for table in tables:
        fused = (weights / (k + table.ranks)).sum(axis=1)
        order = np.lexsort((np.arange(len(fused)), -fused))  # ties by ordinal, as retrieval/fusion.py does
        hits = np.flatnonzero(table.relevant[order])
        rank = int(hits[0]) if len(hits) else None
        window.append(rank is not None and rank < RERANK_DEPTH)
        rr.append(1.0 / (rank + 1) if rank is not None and rank < 50 else 0.0)
    return float(np.mean(window)), float(np.mean(rr))


def fit_fusion(searcher: Searcher, items: Sequence[Labelled]) -> tuple[float, dict[str, float], dict]:
    names = list(WEIGHT_GRID)
    tables = []
    for item in items:
        if item.relevant:
            trace = searcher.trace(item.query.query, list(item.query.history) or None, rerank=False)
            tables.append(_rank_table(trace.candidates, item.relevant, names))
    best: tuple | None = None
    for k in RRF_K_GRID:
        for combo in itertools.product(*(WEIGHT_GRID[n] for n in names)):
            figures = _fusion_figures(tables, k, np.array(combo))
            if best is None or figures > best[0]:
                best = (figures, k, dict(zip(names, combo)))
    assert best is not None
    (window, mrr), k, weights = best
    return k, weights, {"candidate_recall_at_depth": round(window, 4), "fused_mrr": round(mrr, 4)}


Sample = tuple[SearchTrace, frozenset[int]]  # a query's trace as one path sees it, and its relevant entries


def path_samples(searcher: Searcher, items: Sequence[Labelled], path: str) -> tuple[list[Sample], list[Sample]]:
    """(ranking samples, coverage samples) of a path.

    reranked: the English queries, as the cross-encoder read them; first_stage: the same queries
    without it; multilingual: the queries in other languages — and, for coverage, the out-of-scope
    queries seen through e5 alone (no out-of-scope query of the set is in another language, and e5's
    similarities do not depend on the language asked in).
    """
    ranked, covered = [], []
    for item in items:
        trace = item.trace
        if trace is None:
            continue
        if path == MULTILINGUAL_PATH:
            if trace.path == MULTILINGUAL_PATH:
                ranked.append((trace, item.relevant))
            elif not item.relevant:
                covered.append((searcher.view_as(trace, MULTILINGUAL_PATH), item.relevant))
        elif trace.path == RERANKED or (path == FIRST_STAGE and trace.path == FIRST_STAGE):
            ranked.append((searcher.view_as(trace, path) if path != RERANKED else trace, item.relevant))
    return ranked, ranked + covered


def _ranking_data(samples: Sequence[Sample], path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, labels, groups = [], [], []
    for qi, (trace, relevant) in enumerate(samples):
        if not relevant or not trace.pool:
            continue
        rows.append(ranking_rows(trace.candidates, trace.pool, trace.rerank, path))
        labels.extend(e in relevant for e in trace.pool)
        groups.extend([qi] * len(trace.pool))
    return np.vstack(rows), np.array(labels), np.array(groups)


def _fit_linear(x: np.ndarray, y: np.ndarray, c: float, names: Sequence[str]) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return LinearModel(
        tuple(names),
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in model.coef_[0]),
        float(model.intercept_[0]),
    )


def _folds(groups: np.ndarray):
    from sklearn.model_selection import GroupKFold

    return GroupKFold(FOLDS).split(groups, groups=groups)


def _rank_quality(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """(hit@1, MRR) of ordering each group's candidates by score."""
    hits, rr = [], []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        order = idx[np.argsort(-scores[idx], kind="stable")]
        ranks = np.flatnonzero(labels[order])
        hits.append(bool(len(ranks)) and ranks[0] == 0)
        rr.append(1.0 / (ranks[0] + 1) if len(ranks) else 0.0)
    return float(np.mean(hits)), float(np.mean(rr))


def fit_ranking(samples: Sequence[Sample], path: str) -> tuple[LinearModel, dict]:
    names = RANKING_FEATURES[path]
    x, y, groups = _ranking_data(samples, path)
    best: tuple | None = None
    for c in C_GRID:
        scores = np.zeros(len(y))
        for train, test in _folds(groups):
            scores[test] = _fit_linear(x[train], y[train], c, names).decision(x[test])
        quality = _rank_quality(scores, y, groups)
        if best is None or quality > best[0]:
            best = (quality, c)
    assert best is not None
    (hit1, mrr), c = best
    figures = {"C": c, "cv_hit@1_in_pool": round(hit1, 4), "cv_mrr_in_pool": round(mrr, 4), "queries": len(set(groups))}
    return _fit_linear(x, y, c, names), figures


def _cv_ranking_scores(ranked: Sequence[Sample], covered: Sequence[Sample], path: str, c: float) -> list[np.ndarray]:
    """Pool scores of every coverage sample from a ranking model that never saw that query."""
    names = RANKING_FEATURES[path]
    fold_of = np.random.default_rng(SEED).permutation(len(covered)) % FOLDS
    index_of = {id(sample[0]): i for i, sample in enumerate(covered)}
    out: list[np.ndarray] = [np.zeros(0)] * len(covered)
    for fold in range(FOLDS):
        training = [s for s in ranked if fold_of[index_of[id(s[0])]] != fold]
        x, y, _ = _ranking_data(training, path)
        model = _fit_linear(x, y, c, names)
        for i, (trace, _relevant) in enumerate(covered):
            if fold_of[i] == fold and trace.pool:
                out[i] = model.decision(ranking_rows(trace.candidates, trace.pool, trace.rerank, path))
    return out


def fit_coverage(
    searcher: Searcher, ranked: Sequence[Sample], covered: Sequence[Sample], path: str, c: float
) -> tuple[CoverageModel, dict]:
    cov_names = COVERAGE_FEATURES[path]
    rows, labels = [], []
    for (trace, relevant), scores in zip(covered, _cv_ranking_scores(ranked, covered, path, c)):
        if not trace.pool:
            continue
        order = np.argsort(-scores, kind="stable")
        ordered = [trace.pool[i] for i in order]
        rows.append(searcher.coverage_features(trace, ordered, [float(scores[i]) for i in order]))
        labels.append(bool(relevant))
    x, y = np.vstack(rows), np.array(labels)
    # Few out-of-scope queries (~70): fold assignment alone moves the figures by a few points, so
    # each C is judged over several random fold assignments, and the threshold is their median.
    best: tuple | None = None
    for c_cov in C_GRID:
        runs = []
        for seed in range(COVERAGE_SEEDS):
            folds = np.random.default_rng(SEED + seed).permutation(len(y)) % FOLDS
            probabilities = np.zeros(len(y))
            for fold in range(FOLDS):
                train, test = folds != fold, folds == fold
                probabilities[test] = _fit_linear(x[train], y[train], c_cov, cov_names).probability(x[test])
            runs.append(_threshold(probabilities, y, MAX_FALSE_REFUSAL[path]))
        refused_out = float(np.mean([r[1] for r in runs]))
        if best is None or refused_out > best[0]:
            best = (refused_out, c_cov, runs)
    assert best is not None
    refused_out, c_cov, runs = best
    threshold = float(np.median([r[0] for r in runs]))
    model = _fit_linear(x, y, c_cov, cov_names)
    figures = {
        "coverage_C": c_cov,
        "cv_out_of_scope_refused": round(refused_out, 4),
        "cv_answerable_refused": round(float(np.mean([r[2] for r in runs])), 4),
        "coverage_queries": len(y),
        "out_of_scope": int((~y).sum()),
    }
    return CoverageModel(model, threshold), figures


def _threshold(probabilities: np.ndarray, in_scope: np.ndarray, max_false: float) -> tuple[float, float, float]:
    best = (0.0, 0.0, 0.0)
    for t in np.unique(np.round(probabilities, 4)):
        refused_in = float(np.mean(probabilities[in_scope] < t))
        refused_out = float(np.mean(probabilities[~in_scope] < t))
        if refused_in <= max_false and refused_out >= best[1]:
            best = (float(t), refused_out, refused_in)
    return best


def calibrate(searcher: Searcher, queries_path: Path = QUERIES, out: Path = SHIPPED_CALIBRATION) -> Calibration:
    queries = load_queries(queries_path, TUNE)
    items = _labelled(searcher, queries)
    rrf_k, weights, fusion_figures = fit_fusion(searcher, items)
    retrieval = replace(searcher.calibration.retrieval, rrf_k=rrf_k, weights=weights)
    retrieval = replace(retrieval, rerank_depth=RERANK_DEPTH, rerank_tokens=RERANK_TOKENS)
    searcher.calibration = replace(searcher.calibration, retrieval=retrieval)
    for item in items:
        item.trace = searcher.trace(item.query.query, list(item.query.history) or None)
    ranking_models, coverage_models, figures = {}, {}, {"fusion": fusion_figures}
    for path in PATHS:
        ranked, covered = path_samples(searcher, items, path)
        model, rank_figures = fit_ranking(ranked, path)
        coverage, cov_figures = fit_coverage(searcher, ranked, covered, path, float(rank_figures["C"]))
        ranking_models[path], coverage_models[path] = model, coverage
        figures[path] = {**rank_figures, **cov_figures}
    calibration = Calibration(
        models=dict(searcher.index.manifest.models),
        retrieval=RetrievalCalibration(
            rrf_k=rrf_k,
            weights=weights,
            rerank_depth=RERANK_DEPTH,
            rerank_tokens=RERANK_TOKENS,
            ranking=ranking_models,
            coverage=coverage_models,
        ),
        answer=dict(searcher.calibration.answer),
        fitted_on={
            "queries": str(queries_path.name),
            "queries_sha256": hashlib.sha256(queries_path.read_bytes()).hexdigest(),
            "split": TUNE,
            "count": len(queries),
            "date": dt.date.today().isoformat(),
            "cross_validation": figures,
        },
    )
    calibration.write(out)
    return calibration


def open_for_fitting() -> Searcher:
    """The index with untuned defaults in place of its calibration (whose features may be outdated)."""
    from index.calibration import default_calibration
    from index.manifest import Manifest
    from index.paths import default_index_dir

    models = Manifest.read(default_index_dir()).models
    return Searcher.open(calibration=default_calibration(models))


def main() -> int:
    searcher = open_for_fitting()
    calibration = calibrate(searcher)
    print(json.dumps(calibration.fitted_on, indent=2))
    print(f"wrote {SHIPPED_CALIBRATION}; run `qbank index` to rebuild the index with it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
