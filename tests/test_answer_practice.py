"""Practice grading by meaning: refusals, key points and terms, the stuffing check (fast), and the
real embedder on fixed blind-written answers from the `tune` split (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from answer.practice import (
    EmptyAnswer,
    RestatedQuestion,
    TooShortAnswer,
    UngradableAnswer,
    grade_answer,
    key_points,
    key_terms,
    split_points,
    stuffing_score,
    term_rarity,
)
from index.embedder import HashingEmbedder
from ingest.entry import Entry, EntryKind

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "eval" / "blind" / "raw" / "H_practice_answers.jsonl"
SPLIT = ROOT / "eval" / "practice_split.json"

REFERENCE = (
    "- Caches the keys and values of previous tokens\n"
    "- Avoids recomputing attention for the prefix at every decoding step\n"
    "- Trades GPU memory for latency\n"
    "```python\ncache = {}\n```"
)


def make_entry(n: int, question: str, answer: str = "", bank: str = "b1.md") -> Entry:
    return Entry(
        id=f"{bank}#{n}",
        bank_file=bank,
        bank_title=f"Bank {bank}",
        section_path=("S",),
        number=str(n),
        question=question,
        answer=answer,
        follow_ups=(),
        kind=EntryKind.QA if answer else EntryKind.QUESTION_ONLY,
        parent_id=None,
        line_start=10 * n,
        line_end=10 * n + 3,
        token_count=10,
    )


KV = make_entry(1, "What is KV caching?", REFERENCE)


# -- fast: no model --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t ", "?!", "```\n```"])
def test_an_empty_answer_is_refused_not_graded(text):
    with pytest.raises(EmptyAnswer, match="empty answer is not graded"):
        grade_answer(text, [KV], HashingEmbedder().embed)


@pytest.mark.parametrize("text", ["What is KV caching?", "KV caching", "It is kv caching, KV cache."])
def test_parroting_the_question_is_refused(text):
    with pytest.raises(RestatedQuestion, match="only repeats words of the question"):
        grade_answer(text, [KV], HashingEmbedder().embed)
    assert issubclass(RestatedQuestion, UngradableAnswer) and issubclass(UngradableAnswer, ValueError)


@pytest.mark.parametrize("text", ["I am not sure.", "No idea", "Pass."])
def test_an_answer_with_too_little_to_grade_is_refused(text):
    with pytest.raises(TooShortAnswer, match="Too little to grade"):
        grade_answer(text, [KV], HashingEmbedder().embed)


def test_without_references_there_is_nothing_to_grade():
    assert grade_answer("", [], HashingEmbedder().embed).points == ()


def test_key_points_split_bullets_and_drop_code_and_lead_ins():
    entry = make_entry(2, "What is KV caching?", "**Benefits:**\n" + REFERENCE + "\nIt is fast. It is used widely.")
    points = key_points(entry)
    assert points[0] == "Caches the keys and values of previous tokens"
    assert "cache = {}" not in " ".join(points)
    assert "Benefits" not in points
    assert "It is fast." in points and "It is used widely." in points
    assert split_points("1. First step\n2) Second") == ["First step", "Second"]


def test_key_terms_are_textkit_content_words_without_the_question():
    assert key_terms("Caches the keys and values of previous tokens", ignore=["cache"]) == [
        "keys",
        "values",
        "previous",
        "tokens",
    ]
    assert key_terms("GPU memory") == ["gpu", "memory"]
    # Noise words of the old grader are stopwords of the one textkit list.
    assert key_terms("It works reasonably, for example") == ["reasonably"]


def test_stuffing_is_a_list_of_terms_and_bank_style_answers_are_not():
    assert stuffing_score("gradients, exponentially small, deep networks, early layers, ReLU, backprop") > 0
    assert stuffing_score("parallel, sequential, variance, bias, Random Forest, AdaBoost, XGBoost") > 0
    assert (
        stuffing_score("The gradient shrinks as it is multiplied through many layers, so early layers learn slowly.")
        < 0
    )
    # The banks' own telegraphic answers state their points: they must not read as stuffing.
    assert stuffing_score(REFERENCE) < 0
    assert (
        stuffing_score("Gradients become exponentially small in deep networks, making early layers train slowly.") < 0
    )


def test_key_terms_named_to_the_user_are_distinctive_in_the_banks():
    common = [make_entry(10 + i, f"Question {i} about models?", "The model learns from data.") for i in range(150)]
    rarity = term_rarity((KV, *common))
    answer = "Keeping tensors around trades memory for speed."
    grade = grade_answer(answer, [KV], HashingEmbedder().embed, rarity)
    shown = set(grade.terms_used) | set(grade.terms_missed)
    assert "gpu" in shown and "memory" in grade.terms_used and "tokens" in grade.terms_missed
    assert not shown & {"model", "learns", "data"}
    # Without the banks' frequencies no term is named at all, rather than noise.
    assert (
        grade_answer("Keeping tensors around trades memory for speed.", [KV], HashingEmbedder().embed).terms_missed
        == ()
    )


def test_a_stuffed_answer_covers_nothing_and_says_why():
    grade = grade_answer(
        "keys, values, previous tokens, recomputing, attention, prefix, decoding step, GPU memory, latency",
        [KV],
        HashingEmbedder().embed,
    )
    assert grade.points and grade.score == 0.0 and grade.notice and "list of terms" in grade.notice


def test_a_list_answer_is_graded_where_the_reference_is_a_list_itself():
    challenges = make_entry(
        3,
        "What are the challenges of RAG in production?",
        "Scaling, latency, consistency, evaluation, cost, freshness.",
    )
    assert stuffing_score(challenges.answer) > 0
    grade = grade_answer(challenges.answer, [challenges], HashingEmbedder().embed)
    assert grade.notice is None and grade.score == 1.0


# -- slow: the real embedder on blind answers from tune ------------------------------------------------


def _tune_answers(kind: str) -> list[dict]:
    tune = set(json.loads(SPLIT.read_text(encoding="utf-8"))["tune"])
    rows = [json.loads(line) for line in ANSWERS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["entry_id"] in tune and r["kind"] == kind]


FIXED = ("000_4976b01af1e11b90#37-e7fdfc40", "001_accef8ba4d48adff#149-11089588", "004_f893e8b67a7e5340#108-c59582d3")


@pytest.mark.slow
@pytest.mark.parametrize("entry_id", FIXED)
def test_a_correct_paraphrase_scores_high_and_stuffing_low(real_searcher, entry_id):
    """The word-matching grader gave these paraphrases ≤ 60 % and the stuffing up to 80 %."""
    entry = real_searcher.entry(entry_id)
    paraphrase = next(r["answer"] for r in _tune_answers("correct") if r["entry_id"] == entry_id)
    stuffing = next(r["answer"] for r in _tune_answers("stuffing") if r["entry_id"] == entry_id)
    good = grade_answer(paraphrase, [entry], real_searcher.embed)
    assert good.score >= 0.7, [(p.text, p.similarity, p.covered) for p in good.points]
    assert grade_answer(stuffing, [entry], real_searcher.embed).score <= 0.3


@pytest.mark.slow
def test_wrong_and_off_topic_answers_score_low(real_searcher):
    entry = real_searcher.entry("001_accef8ba4d48adff#373-65ea61a1")  # PPO
    wrong = next(r["answer"] for r in _tune_answers("wrong") if r["entry_id"] == entry.id)
    assert grade_answer(wrong, [entry], real_searcher.embed).score <= 0.2
    off = grade_answer("Bananas are yellow and grow in bunches on tall plants.", [entry], real_searcher.embed)
    assert off.score == 0.0
    own = grade_answer(entry.answer, [entry], real_searcher.embed)
    assert own.score >= 0.8, "the bank's own answer states its points"
