"""Typo repair against the corpus vocabulary (retrieval/spelling.py)."""

from __future__ import annotations

import pytest

from retrieval.spelling import MIN_LENGTH, SpellingCorrector, edit_distance, max_edits

VOCABULARY = {
    "transformer": 120,
    "transformers": 40,
    "regularization": 30,
    "gradient": 90,
    "gradients": 20,
    "attention": 150,
    "embedding": 60,
    "embeddings": 50,
    "trust": 3,
    "dropout": 25,
    "boosting": 12,
    "bagging": 10,
    "model": 400,
    "models": 300,
}


@pytest.fixture(scope="module")
def speller() -> SpellingCorrector:
    return SpellingCorrector(VOCABULARY)


@pytest.mark.parametrize(
    ("typo", "fix"),
    [
        ("transfomer", "transformer"),  # a dropped letter
        ("atention", "attention"),
        ("gradiant", "gradient"),  # a wrong letter
        ("dorpout", "dropout"),  # two letters swapped
        ("regularisation", "regularization"),  # British spelling
        ("regulariztion", "regularization"),
        ("bosting", "boosting"),
    ],
)
def test_a_typo_of_a_bank_word_is_fixed(speller, typo, fix):
    assert speller.correct(typo) == fix


def test_fewest_edits_win_then_the_most_frequent_word():
    assert SpellingCorrector({"boosted": 5, "boasted": 50}).correct("boested") == "boasted"  # one edit from both
    assert SpellingCorrector({"boosted": 50, "boasted": 5}).correct("boested") == "boosted"
    speller = SpellingCorrector({"models": 1, "model": 1000})
    assert speller.correct("modells") == "models"  # one edit beats two, however frequent


@pytest.mark.parametrize("word", ["rust", "modl", "bert", "gan"])
def test_short_words_are_left_alone(speller, word):
    assert len(word) < MIN_LENGTH
    assert speller.correct(word) is None


@pytest.mark.parametrize("word", ["kubernetes", "sourdough", "xylophone", "arima", "transistor"])
def test_words_with_no_close_bank_word_are_left_alone(speller, word):
    assert speller.correct(word) is None


@pytest.mark.parametrize("word", ["transformer", "attention", "dropout"])
def test_known_words_are_left_alone(speller, word):
    assert speller.known(word)
    assert speller.correct(word) is None


@pytest.mark.parametrize("word", ["gpt-4o", "int8", "l2norm", "bf16"])
def test_words_with_digits_or_punctuation_are_left_alone(speller, word):
    assert speller.correct(word) is None


def test_edit_distance():
    assert edit_distance("", "abc") == 3
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("dorpout", "dropout") == 1  # an adjacent swap is one edit
    assert edit_distance("abcd", "acbd") == 1
    assert edit_distance("transfomer", "transformer") == 1


def test_long_words_tolerate_two_edits_short_ones_one():
    assert max_edits("dropout") == 1
    assert max_edits("regularization") == 2
    assert SpellingCorrector({"dropout": 1}).correct("drpoutt") is None  # two edits in a 7-letter word


def test_english_words_the_banks_never_use_are_not_typos(hashing_searcher):
    # "banks" is one edit from the banks' "ranks"; it is a real word, so only the typo is fixed.
    result = hashing_searcher.search("how do the banks differ on overfiting")
    fixes = [n for n in result.notices if "spelling" in n]
    assert fixes == ["also searched with spelling fixes: overfiting → overfitting"]
