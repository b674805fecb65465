"""The calibration: every fitted constant of retrieval and answering, for one model set.

Scores of different models live on different scales, so each threshold or weight is only valid for
the models it was fitted with. They all live here, in one JSON file fitted by `qbank calibrate` on
the `tune` split of eval/queries.jsonl (never on `heldout`). The shipped file is copied into every
index it builds and recorded in the manifest (its sha256 and model set); loading refuses an index
whose calibration was fitted for other models, with the command that fixes it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import IndexMismatchError

CALIBRATION_FILE = "calibration.json"
SHIPPED_CALIBRATION = Path(__file__).resolve().parent / CALIBRATION_FILE
CALIBRATION_FORMAT = 1
REFIT_HINT = "run `qbank calibrate` to fit one for these models, then `qbank index --rebuild`"

# The answer composers' thresholds, with their defaults for MiniLM cosines (the index's embedder).
# A calibration records fitted values under "answer"; names not recorded take these defaults.
ANSWER_DEFAULTS: dict[str, float] = {
    # which hits are relevant enough to cite (MiniLM cosine of the best unit to the query)
    "related_similarity": 0.45,
    "related_similarity_with_keywords": 0.38,
    "related_below_best": 0.3,
    "fused_tie": 0.03,  # fused scores this close are a tie; the closer meaning wins
    "answered_as_close": 0.05,  # an answered hit this close to an unanswered top hit replaces it
    "same_topic_similarity": 0.45,  # question cosine for "same topic" (with a shared distinctive word)
    "entry_weight": 0.65,  # share of a point's relevance that is its entry's closeness to the query
    # explain
    "core_definitional": 0.05,  # a definitional question this close in topic to the best-ranked one leads
    "explain_entry_spread": 0.15,  # entries this much less close than the closest contribute nothing…
    "explain_entry_floor": 0.5,  # …unless they are at least this close
    "explain_topic_spread": 0.15,  # …nor those whose question is this much less about the topic…
    "explain_topic_floor": 0.45,  # …unless it is at least this close to the query
    "explain_further_spread": 0.1,  # "go deeper" points only to entries this close to the best on the topic
    "explain_repeat": 0.72,  # a point this close (cosine) to a shown one repeats it…
    "explain_overlap": 0.6,  # …as does one whose content words mostly appear in a shown one
    "explain_related": 0.5,  # above this cosine to the core a point is penalised as partly redundant
    "explain_core_penalty": 0.5,
    "explain_floor": 0.2,  # relevance below which a point is off topic…
    "explain_point_spread": 0.15,  # …as is one this much less relevant than the most relevant addition
    # compare
    "side_min_similarity": 0.55,  # a side-search hit that does not name the side must be this close
    "side_sure_similarity": 0.75,  # a side-search hit this close is about the side whatever its name
    "side_floor": 0.15,
    "cell_repeat": 0.75,  # a point this close to one in the same column repeats it
    "versions_repeat": 0.72,  # a bank's point this close to a shown one is not an addition
    "versions_overlap": 0.6,  # …nor one whose content words mostly appear in a shown one
}
_REFIT_OR_REBUILD = "run `qbank index --rebuild` (the shipped calibration), or `qbank calibrate` and then rebuild"


# The three retrieval paths, each with its own ranking and coverage model: English queries with the
# cross-encoder; English queries without it (QBANK_RERANKER=off); and queries in other languages,
# which only multilingual-e5 reads (MiniLM, BM25 and the cross-encoder see noise in them).
RERANKED = "reranked"
FIRST_STAGE = "first_stage"
MULTILINGUAL_PATH = "multilingual"
PATHS = (RERANKED, FIRST_STAGE, MULTILINGUAL_PATH)

# Per-candidate ranking features, computed by retrieval/ranking_features.py in this order.
_FIRST_STAGE_RANKING = (
    "fused_rank_inv",  # 1 / rank in the reciprocal-rank fusion
    "question_cos",  # MiniLM cosine of the query and the entry's question
    "question_gap",  # … minus the best such cosine among all entries
    "content_cos",  # MiniLM cosine with the best question+answer or passage unit
    "content_gap",
    "follow_up_cos",
    "follow_up_gap",
    "keyword_rel",  # BM25 score / the query's best BM25 score
    "multilingual_cos",  # e5 cosine of the query and the entry
    "multilingual_gap",
)
RANKING_FEATURES = {
    RERANKED: ("rerank", "rerank_clipped", "rerank_gap", "rerank_rank_inv", *_FIRST_STAGE_RANKING),
    FIRST_STAGE: _FIRST_STAGE_RANKING,
    MULTILINGUAL_PATH: ("multilingual_cos", "multilingual_gap", "keyword_rel", "multilingual_rank_inv"),
}
# Per-query coverage features, taken at the entry the answer would be built from (the top hit).
_FIRST_STAGE_COVERAGE = (
    "top_score",  # the ranking model's score of the top entry
    "score_margin",  # … minus the second entry's
    "top_dense_cos",  # the top entry's best MiniLM cosine
    "top_multilingual_cos",
    "dense_standout",  # the top entry's MiniLM cosine minus the mean of the query's 50 nearest entries
    "multilingual_standout",  # the same for e5: a real match stands out from the crowd
    "term_coverage",  # share of the query's content words that occur in the top entry
    "unknown_terms",  # share of the query's content words known neither to the banks nor to English
    "absent_english_terms",  # share that are English words the banks never use ("spiking", "sharding")
    "english_function_share",  # share of the query's words that are English function words (language cue)
)
COVERAGE_FEATURES = {
    RERANKED: ("top_rerank", *_FIRST_STAGE_COVERAGE),
    FIRST_STAGE: _FIRST_STAGE_COVERAGE,
    # Language-independent evidence only: e5's similarities.
    MULTILINGUAL_PATH: ("top_score", "score_margin", "top_multilingual_cos", "multilingual_standout"),
}


class CalibrationError(ValueError):
    """A calibration file that cannot be read or does not fit the index. The message names the fix."""


@dataclass(frozen=True)
class LinearModel:
    """A standardized logistic-regression decision function: w · (x − mean) / scale + b."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def decision(self, rows: np.ndarray) -> np.ndarray:
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        standardized = (rows - np.asarray(self.mean)) / np.asarray(self.scale)
        return standardized @ np.asarray(self.coef) + self.intercept

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(rows)))

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> LinearModel:
        features = tuple(str(f) for f in data["features"])
        arrays = [tuple(float(v) for v in data[name]) for name in ("mean", "scale", "coef")]
        if any(len(a) != len(features) for a in arrays):
            raise CalibrationError("a linear model's weights do not match its feature list")
        if any(s <= 0 for s in arrays[1]) or not all(math.isfinite(v) for a in arrays for v in a):
            raise CalibrationError("a linear model has non-finite weights or non-positive scales")
        return cls(features, arrays[0], arrays[1], arrays[2], float(data["intercept"]))


@dataclass(frozen=True)
class CoverageModel:
    """Is the query covered by the banks? A probability from the linear model, and the cut."""

    model: LinearModel
    threshold: float

    def to_dict(self) -> dict:
        return {"model": self.model.to_dict(), "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: Mapping) -> CoverageModel:
        return cls(LinearModel.from_dict(data["model"]), float(data["threshold"]))


@dataclass(frozen=True)
class RetrievalCalibration:
    rrf_k: float
    weights: dict[str, float]  # first-stage ranking name → weight in the reciprocal-rank fusion
    rerank_depth: int  # how many fused candidates the cross-encoder reads
    rerank_tokens: int  # query + entry tokens per cross-encoder pair
    ranking: dict[str, LinearModel]  # "reranked" (with the cross-encoder) and "first_stage" (without)
    coverage: dict[str, CoverageModel]  # the same two paths

    def to_dict(self) -> dict:
        return {
            "rrf_k": self.rrf_k,
            "weights": dict(self.weights),
            "rerank_depth": self.rerank_depth,
            "rerank_tokens": self.rerank_tokens,
            "ranking": {name: model.to_dict() for name, model in self.ranking.items()},
            "coverage": {name: model.to_dict() for name, model in self.coverage.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> RetrievalCalibration:
        return cls(
            rrf_k=float(data["rrf_k"]),
            weights={str(k): float(v) for k, v in data["weights"].items()},
            rerank_depth=int(data["rerank_depth"]),
            rerank_tokens=int(data["rerank_tokens"]),
            ranking={str(k): LinearModel.from_dict(v) for k, v in data["ranking"].items()},
            coverage={str(k): CoverageModel.from_dict(v) for k, v in data["coverage"].items()},
        )


@dataclass(frozen=True)
class Calibration:
    models: dict[str, str]
    retrieval: RetrievalCalibration
    answer: dict[str, float] = field(default_factory=dict)  # answering thresholds, by name
    fitted_on: dict[str, object] = field(default_factory=dict)  # provenance: data set, split, size, date, CV figures

    def to_json(self) -> str:
        data = {
            "format": CALIBRATION_FORMAT,
            "models": dict(self.models),
            "fitted_on": dict(self.fitted_on),
            "retrieval": self.retrieval.to_dict(),
            "answer": dict(self.answer),
        }
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def answer_threshold(self, name: str) -> float:
        """An answering threshold: the fitted value when the calibration records one, else its default."""
        return float(self.answer.get(name, ANSWER_DEFAULTS[name]))

    @property
    def answer_thresholds(self) -> dict[str, float]:
        return {**ANSWER_DEFAULTS, **self.answer}

    @classmethod
    def from_json(cls, text: str, source: str = "calibration") -> Calibration:
        try:
            data = json.loads(text)
            if data.get("format") != CALIBRATION_FORMAT:
                raise CalibrationError(
                    f"{source} has format {data.get('format')!r}, this qbank reads {CALIBRATION_FORMAT}; {REFIT_HINT}"
                )
            return cls(
                models={str(k): str(v) for k, v in data["models"].items()},
                retrieval=RetrievalCalibration.from_dict(data["retrieval"]),
                answer=_checked_answer(data.get("answer", {}), source),
                fitted_on=dict(data.get("fitted_on", {})),
            )
        except CalibrationError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CalibrationError(f"{source} is unreadable ({type(exc).__name__}: {exc}); {REFIT_HINT}") from None

    @classmethod
    def read(cls, path: Path) -> Calibration:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CalibrationError(f"{path} cannot be read ({exc}); {REFIT_HINT}") from None
        return cls.from_json(text, str(path))

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    def check_features(self, where: str) -> None:
        """The models must take exactly the features this qbank computes."""
        for path, features in RANKING_FEATURES.items():
            model = self.retrieval.ranking.get(path)
            if model is None or model.features != features:
                raise IndexMismatchError(
                    where, f"its calibration's {path} ranking model takes other features", _REFIT_OR_REBUILD
                )
        for path, features in COVERAGE_FEATURES.items():
            coverage = self.retrieval.coverage.get(path)
            if coverage is None or coverage.model.features != features:
                raise IndexMismatchError(
                    where, f"its calibration's {path} coverage model takes other features", _REFIT_OR_REBUILD
                )

    def check_models(self, models: Mapping[str, str], where: str) -> None:
        if dict(self.models) != dict(models):
            raise IndexMismatchError(
                where,
                f"its calibration was fitted for models {_describe(self.models)}, the index uses {_describe(models)}",
                REFIT_HINT,
            )


def _checked_answer(data: Mapping, source: str) -> dict[str, float]:
    """Answering thresholds as recorded: known names, finite numbers (cosines and budgets)."""
    out: dict[str, float] = {}
    for name, value in data.items():
        if name not in ANSWER_DEFAULTS:
            raise CalibrationError(f"{source} records an unknown answer threshold {name!r}; {REFIT_HINT}")
        number = float(value)
        if not math.isfinite(number) or not -1.0 <= number <= 10.0:
            raise CalibrationError(f"{source} records answer threshold {name}={value!r}, out of range; {REFIT_HINT}")
        out[str(name)] = number
    return out


def _describe(models: Mapping[str, str]) -> str:
    return ", ".join(f"{role}={name}" for role, name in sorted(models.items())) or "(none)"


def shipped_calibration() -> Calibration:
    return Calibration.read(SHIPPED_CALIBRATION)


def calibration_for(models: Mapping[str, str]) -> Calibration:
    """The shipped calibration when it was fitted for these models, else untuned defaults.

    Untuned defaults exist for test embedders and experiments; they rank by fused rank and reranker
    score and cover a query when its best dense similarity is high.
    """
    try:
        shipped = shipped_calibration()
    except CalibrationError:
        return default_calibration(models)
    return shipped if dict(shipped.models) == dict(models) else default_calibration(models)


def _unit_model(features: Sequence[str], coef: Mapping[str, float], intercept: float = 0.0) -> LinearModel:
    n = len(features)
    return LinearModel(tuple(features), (0.0,) * n, (1.0,) * n, tuple(coef.get(f, 0.0) for f in features), intercept)


def default_calibration(models: Mapping[str, str]) -> Calibration:
    ranking = {
        RERANKED: _unit_model(RANKING_FEATURES[RERANKED], {"fused_rank_inv": 1.0, "rerank": 0.2}),
        FIRST_STAGE: _unit_model(RANKING_FEATURES[FIRST_STAGE], {"fused_rank_inv": 1.0}),
        MULTILINGUAL_PATH: _unit_model(RANKING_FEATURES[MULTILINGUAL_PATH], {"multilingual_cos": 1.0}),
    }
    # Covered when the best entry's similarity reaches 0.5 (MiniLM) or 0.85 (e5): probability 0.5 there.
    coverage = {
        path: CoverageModel(_unit_model(COVERAGE_FEATURES[path], {"top_dense_cos": 10.0}, -5.0), 0.5)
        for path in (RERANKED, FIRST_STAGE)
    }
    coverage[MULTILINGUAL_PATH] = CoverageModel(
        _unit_model(COVERAGE_FEATURES[MULTILINGUAL_PATH], {"top_multilingual_cos": 10.0}, -8.5), 0.5
    )
    retrieval = RetrievalCalibration(
        rrf_k=5.0,
        weights={"question": 1.0, "content": 1.0, "follow_up": 0.5, "keyword": 2.0, "multilingual": 1.0},
        rerank_depth=10,
        rerank_tokens=96,
        ranking=ranking,
        coverage=coverage,
    )
    return Calibration(
        models=dict(models),
        retrieval=retrieval,
        fitted_on={"note": "untuned defaults: no calibration has been fitted for this model set"},
    )
