"""The calibration file: JSON round trip, refusal of damaged files and of other models' calibrations."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.calibration import (
    ANSWER_DEFAULTS,
    CALIBRATION_FILE,
    COVERAGE_FEATURES,
    PATHS,
    RANKING_FEATURES,
    RERANKED,
    SHIPPED_CALIBRATION,
    Calibration,
    CalibrationError,
    LinearModel,
    default_calibration,
    shipped_calibration,
)
from index.errors import IndexCorruptError, IndexMismatchError
from index.models import model_set

MODELS = model_set("hashing-test", None)


def test_round_trip_keeps_every_number():
    original = default_calibration(MODELS)
    again = Calibration.from_json(original.to_json())
    assert again == original
    assert again.sha256 == original.sha256


def test_the_shipped_calibration_reads_and_names_its_models_and_provenance():
    calibration = shipped_calibration()
    assert calibration.models["embedder"] == "minilm-onnx-int8"
    assert set(calibration.retrieval.ranking) == set(calibration.retrieval.coverage) == set(PATHS)
    assert calibration.fitted_on["split"] == "tune"
    calibration.check_features(str(SHIPPED_CALIBRATION))
    assert Calibration.from_json(SHIPPED_CALIBRATION.read_text(encoding="utf-8")).sha256 == calibration.sha256


def test_a_linear_model_computes_a_standardized_logistic_regression():
    model = LinearModel(("a", "b"), (1.0, 0.0), (2.0, 1.0), (4.0, -1.0), 0.5)
    rows = np.array([[3.0, 1.0], [1.0, 0.0]])
    assert model.decision(rows) == pytest.approx([4.0 * 1.0 - 1.0 + 0.5, 0.5])
    assert model.probability(rows)[1] == pytest.approx(1 / (1 + np.exp(-0.5)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "unreadable"),
        ('{"format": 99}', "format 99"),
        ('{"format": 1, "models": {}}', "unreadable"),
    ],
)
def test_unreadable_calibrations_are_refused_with_the_fix(text, message):
    with pytest.raises(CalibrationError, match=f"{message}.*qbank calibrate"):
        Calibration.from_json(text)


def test_weights_that_do_not_match_the_features_are_refused():
    data = json.loads(default_calibration(MODELS).to_json())
    data["retrieval"]["ranking"][RERANKED]["coef"].pop()
    with pytest.raises(CalibrationError, match="do not match its feature list"):
        Calibration.from_json(json.dumps(data))


def test_a_calibration_for_other_models_is_refused():
    calibration = default_calibration(MODELS)
    with pytest.raises(IndexMismatchError, match=r"fitted for models .*hashing-test.*qbank calibrate"):
        calibration.check_models(model_set("minilm-onnx-int8", None), "somewhere")


def test_models_taking_other_features_are_refused():
    calibration = default_calibration(MODELS)
    ranking = dict(calibration.retrieval.ranking)
    model = ranking[RERANKED]
    ranking[RERANKED] = LinearModel(model.features[:-1], model.mean[:-1], model.scale[:-1], model.coef[:-1], 0.0)
    from dataclasses import replace

    broken = replace(calibration, retrieval=replace(calibration.retrieval, ranking=ranking))
    with pytest.raises(IndexMismatchError, match="other features"):
        broken.check_features("somewhere")


def test_feature_lists_have_no_duplicates():
    for features in (*RANKING_FEATURES.values(), *COVERAGE_FEATURES.values()):
        assert len(set(features)) == len(features)


def test_an_index_refuses_a_calibration_edited_after_the_build(hashing_index_copy):
    from index.embedder import HashingEmbedder
    from index.load import load_index

    path = hashing_index_copy / CALIBRATION_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["retrieval"]["rerank_depth"] = 3
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="not the one the manifest records"):
        load_index(HashingEmbedder(), hashing_index_copy)


def test_an_index_refuses_a_calibration_fitted_for_other_models(hashing_index_copy):
    from index.embedder import HashingEmbedder
    from index.load import load_index
    from index.manifest import MANIFEST_FILE

    other = default_calibration(model_set("hashing-test", "multilingual-e5-small-q4"))
    other.write(hashing_index_copy / CALIBRATION_FILE)
    manifest = json.loads((hashing_index_copy / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["calibration"]["sha256"] = other.sha256
    (hashing_index_copy / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match=r"calibration was fitted for models.*qbank calibrate"):
        load_index(HashingEmbedder(), hashing_index_copy)


def test_a_missing_calibration_file_is_refused_with_the_rebuild_command(hashing_index_copy):
    from index.embedder import HashingEmbedder
    from index.load import load_index

    (hashing_index_copy / CALIBRATION_FILE).unlink()
    with pytest.raises(IndexCorruptError, match=r"calibration\.json is missing.*qbank index --rebuild"):
        load_index(HashingEmbedder(), hashing_index_copy)


def test_answer_thresholds_default_and_are_checked_on_load():
    shipped = shipped_calibration()
    assert shipped.answer_thresholds == {**ANSWER_DEFAULTS, **shipped.answer}
    data = json.loads(shipped.to_json())
    data["answer"] = {"explain_repeat": 0.8}
    tuned = Calibration.from_json(json.dumps(data))
    assert tuned.answer_threshold("explain_repeat") == 0.8
    assert tuned.answer_threshold("core_definitional") == ANSWER_DEFAULTS["core_definitional"]
    for bad, message in (({"no_such_threshold": 0.5}, "unknown answer threshold"), ({"explain_repeat": 99}, "range")):
        data["answer"] = bad
        with pytest.raises(CalibrationError, match=message):
            Calibration.from_json(json.dumps(data))
