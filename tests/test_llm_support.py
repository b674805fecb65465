"""Sentence splitting and the support check used on LLM answers."""

from __future__ import annotations

import numpy as np
import pytest
from llm_server import make_entry

from answer.support import (
    COSINE_STRONG,
    COSINE_WEAK,
    OVERLAP_ONLY,
    OVERLAP_STRONG,
    OVERLAP_WEAK,
    SupportChecker,
    UnitKind,
    content_words,
    decide,
    join_units,
    sentence_supported,
    split_sentences,
    split_units,
)
from textkit.words import stem

KV = make_entry(
    1,
    "What is KV caching?",
    "KV caching stores computed key and value matrices from previous tokens during autoregressive generation. "
    "This avoids recomputing attention for past tokens, significantly speeding up generation.",
)
DROPOUT = make_entry(
    2,
    "What is dropout?",
    "- Randomly sets a fraction of activations to zero during training\n- Prevents co-adaptation of neurons\n"
    "- Reduces overfitting; disabled at inference",
)


@pytest.mark.parametrize(
    ("forms", "same"),
    [
        (["train", "training", "trained", "trains"], True),
        (["cache", "caches", "cached", "caching"], True),
        (["bias", "biases"], True),
        (["quantize", "quantized", "quantization"], True),
        (["embedding", "embeddings", "embedded"], True),
        (["probability", "probabilities"], True),
        (["generate", "generation", "generated"], True),
        (["string", "strong"], False),
    ],
)
def test_stem_conflates_inflections(forms, same):
    assert (len({stem(f) for f in forms}) == 1) is same


def test_content_words_drop_stopwords_and_citations():
    assert content_words("It is the KV cache [1] that avoids recomputation [2][3].") == {
        "kv",
        "cach",
        "avoid",
        "recomput",
    }


def test_split_keeps_bullets_and_code_blocks_whole():
    markdown = (
        "## Overview\n"
        "KV caching stores keys and values [1]. It avoids recomputation, e.g. for past tokens. [2] Yes!\n\n"
        "- first bullet [1]\n  continued on the next line\n- second bullet\n1. numbered item\n\n"
        "```python\nx = 1\n\ny = 2.5. Not a sentence.\n```\n"
        "| side | point |\n|---|---|\n| LoRA | low-rank [1] |\n"
        "Version 2.0 vs. 1.5 matters. The end."
    )
    units = split_units(markdown)
    kinds = [u.kind for u in units]
    assert kinds == [
        UnitKind.HEADING,
        UnitKind.SENTENCE,
        UnitKind.SENTENCE,
        UnitKind.SENTENCE,
        UnitKind.BULLET,
        UnitKind.BULLET,
        UnitKind.BULLET,
        UnitKind.CODE,
        UnitKind.TABLE_ROW,
        UnitKind.TABLE_RULE,
        UnitKind.TABLE_ROW,
        UnitKind.SENTENCE,
        UnitKind.SENTENCE,
    ]
    texts = [u.text for u in units]
    assert texts[2] == "It avoids recomputation, e.g. for past tokens. [2]"  # marker after the stop stays with it
    assert texts[4] == "- first bullet [1] continued on the next line"
    assert texts[7] == "```python\nx = 1\n\ny = 2.5. Not a sentence.\n```"
    assert texts[11] == "Version 2.0 vs. 1.5 matters."
    sentences = split_sentences(markdown)
    assert "## Overview" not in sentences and "|---|---|" not in sentences and len(sentences) == 11


def test_join_units_restores_and_removes_cleanly():
    markdown = "First claim [1]. Second claim [1].\n\n- bullet a\n- bullet b"
    units = split_units(markdown)
    assert join_units(units) == markdown
    assert join_units(units, [False, True, True, True]) == "Second claim [1].\n\n- bullet a\n- bullet b"
    assert join_units(units, [True, False, True, False]) == "First claim [1].\n\n- bullet a"


def test_paraphrase_of_the_cited_entry_is_supported_by_overlap_alone():
    ok, score = sentence_supported("KV caching keeps the key and value matrices of previous tokens [1].", [KV])
    assert ok and score >= OVERLAP_ONLY


def test_invented_claim_is_not_supported():
    ok, score = sentence_supported("The Eiffel Tower was painted green in 1850 [1].", [KV, DROPOUT])
    assert not ok and score < 0.2


def test_a_sentence_supported_by_one_of_several_cited_entries():
    checker = SupportChecker()
    verdicts = checker.check_each("Dropout prevents co-adaptation of neurons.", [KV, DROPOUT])
    assert [v.supported for v in verdicts] == [False, True]
    assert checker.check("Dropout prevents co-adaptation of neurons.", [KV, DROPOUT]).entry_id == DROPOUT.id


def test_unit_without_content_words_is_no_claim():
    assert sentence_supported("Yes, it is.", [KV]) == (False, 0.0)


def test_a_word_for_word_quote_is_supported_even_without_content_words():
    answer = "- P(A|B) = P(A∩B) / P(B)\n- Often one or the other is used, not both"
    formula = make_entry(9, "What is Bayes' theorem?", answer)
    assert sentence_supported("P(A|B) = P(A∩B) / P(B) [1]", [formula]) == (True, 1.0)
    assert sentence_supported("- Often one or the other is used, not both [1]", [formula]) == (True, 1.0)
    assert sentence_supported("P(B|A) = P(A∩B) / P(A) [1]", [formula])[0] is False  # not what it says


def fake_embed(texts: list[str]) -> np.ndarray:
    """Bag of stemmed words hashed into 64 dimensions: cosine tracks shared vocabulary."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in content_words(text):
            out[row, hash(word) % 64] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


def test_embedding_signal_is_used_and_cached():
    calls: list[int] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return fake_embed(texts)

    checker = SupportChecker(counting)
    first = checker.check("Dropout sets activations to zero at random while training.", [DROPOUT])
    assert first.cosine is not None and first.supported
    checker.check("Dropout reduces overfitting.", [DROPOUT])
    assert len(calls) == 3  # one call per sentence, and the entry's vectors once


def test_decision_rule():
    assert decide(OVERLAP_ONLY, None)
    assert not decide(OVERLAP_ONLY - 0.01, None)
    assert decide(OVERLAP_STRONG, 0.0)
    assert decide(0.0, COSINE_STRONG)
    assert not decide(0.1, COSINE_STRONG - 0.01)
    assert decide(OVERLAP_WEAK, COSINE_WEAK)
    assert not decide(OVERLAP_WEAK - 0.01, COSINE_STRONG - 0.01)
