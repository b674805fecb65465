"""Searcher over the real banks: fast checks with the HashingEmbedder, then the real models (slow).

The slow lookups and out-of-scope queries are not in eval/queries.jsonl (checked below), so they
test the product on queries it was not tuned on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.units import entry_units
from retrieval.errors import QueryError
from retrieval.types import SearchFilters

REPO = Path(__file__).resolve().parent.parent
BANK_000 = "000_4976b01af1e11b90.txt"
BANK_001 = "001_accef8ba4d48adff.txt"
BANK_004 = "004_f893e8b67a7e5340.txt"
UNIT_KINDS = {"question", "qa", "passage", "follow_up", "keyword"}
DISCRIMINATIVE = "What is the difference between discriminative and generative models?"


def dev_queries() -> set[str]:
    with (REPO / "eval" / "queries.jsonl").open(encoding="utf-8") as lines:
        return {json.loads(line)["query"].lower() for line in lines if line.strip()}


def assert_well_formed(searcher, result, k: int) -> None:
    hits = result.hits
    assert len(hits) <= k
    ids = [h.entry.id for h in hits]
    assert len(ids) == len(set(ids)), "one hit per entry"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert 0 < hit.score <= 1
        assert -1 <= hit.dense_score <= 1.0001
        assert hit.keyword_score >= 0
        assert hit.matched_unit in UNIT_KINDS
        if hit.matched_unit == "keyword":
            assert hit.matched_text == ""
        else:
            ordinal = searcher.index.by_id[hit.entry.id]
            assert hit.matched_text in [u.text for u in entry_units(ordinal, hit.entry)]


# --- fast: HashingEmbedder over the five real banks ---------------------------------------------


def test_an_exact_question_is_found_first(hashing_searcher):
    result = hashing_searcher.search("What is teacher forcing in training?", k=5)
    assert result.found
    assert result.best.entry.question == "What is teacher forcing in training?"
    assert result.best.dense_score == pytest.approx(1.0, abs=1e-4)
    assert result.best.matched_unit == "question"


@pytest.mark.parametrize("k", [1, 3, 10, 25])
@pytest.mark.parametrize("query", ["what is dropout", "transformer attention heads", DISCRIMINATIVE])
def test_hits_are_one_per_entry_ranked_and_at_most_k(hashing_searcher, query, k):
    result = hashing_searcher.search(query, k=k)
    assert_well_formed(hashing_searcher, result, k)
    assert len(result.hits) == k  # the banks hold far more than k candidates for these


def test_search_is_deterministic(hashing_searcher):
    first = hashing_searcher.search("how do GANs train", k=10)
    second = hashing_searcher.search("how do GANs train", k=10)
    assert first == second


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(banks=frozenset({BANK_004})),
        SearchFilters(banks=frozenset({BANK_000, BANK_001})),
        SearchFilters(sections=frozenset({"Fundamentals and Basics"})),
        SearchFilters(answered_only=True),
        SearchFilters(banks=frozenset({"002_2452c354e5d17cd9.txt"}), answered_only=True),  # that bank has no answers
        SearchFilters(banks=frozenset({BANK_004}), sections=frozenset({"Text Generation"}), answered_only=True),
    ],
)
def test_filters_are_honoured(hashing_searcher, filters):
    result = hashing_searcher.search("what is tokenization in language models", k=10, filters=filters)
    assert_well_formed(hashing_searcher, result, 10)
    assert all(filters.admits(h.entry) for h in result.hits)
    admitted = sum(filters.admits(e) for e in hashing_searcher.entries)
    if admitted == 0:
        assert result.hits == () and not result.found
    else:
        assert result.hits


def test_unfiltered_results_do_include_what_the_filters_remove(hashing_searcher):
    """So the filter tests above are not passing by accident."""
    hits = hashing_searcher.search("what is tokenization in language models", k=10).hits
    assert {h.entry.bank_file for h in hits} - {BANK_004}
    assert any(not h.entry.has_answer for h in hits)


def test_a_typo_is_searched_with_its_fix_and_says_so(hashing_searcher):
    result = hashing_searcher.search("transfomer architecure", k=5)
    assert result.notices == (
        "also searched with spelling fixes: transfomer → transformer, architecure → architecture",
    )
    assert "transformer architecture" in result.best.entry.question.lower()


def test_a_follow_up_is_searched_as_a_standalone_query(hashing_searcher):
    history = [
        {"role": "user", "content": "What is teacher forcing in training?"},
        {"role": "assistant", "content": "…"},
    ]
    result = hashing_searcher.search("why is it used?", history=history, k=5)
    assert result.query == "why is it used?"
    assert result.standalone_query == "What is teacher forcing in training? why is it used?"
    assert "teacher forcing" in result.best.entry.question.lower()


def test_the_query_is_normalized_before_searching(hashing_searcher):
    plain = hashing_searcher.search("What is teacher forcing in training?", k=5)
    typed = hashing_searcher.search(
        "  Ｗｈａｔ ｉｓ\u200b ｔｅａｃｈｅｒ ｆｏｒｃｉｎｇ\tｉｎ ｔｒａｉｎｉｎｇ？ ", k=5
    )
    assert typed.query == "What is teacher forcing in training?"
    assert typed.hits == plain.hits


def test_a_long_query_carries_the_truncation_notice(hashing_searcher):
    result = hashing_searcher.search("explain the attention mechanism in transformers " * 60, k=3)
    assert any("only its first 128 tokens" in notice for notice in result.notices)
    assert result.hits


@pytest.mark.parametrize("query", ["", "   ", "\u200b", "?!", "🙂"])
def test_unsearchable_queries_raise_query_error(hashing_searcher, query):
    with pytest.raises(QueryError):
        hashing_searcher.search(query)


@pytest.mark.parametrize("k", [0, -1])
def test_k_must_be_positive(hashing_searcher, k):
    with pytest.raises(QueryError, match="k must be at least 1"):
        hashing_searcher.search("what is dropout", k=k)


def test_an_unrelated_query_is_not_found_but_still_lists_the_nearest(hashing_searcher):
    result = hashing_searcher.search("chocolate chip cookie recipe with brown butter", k=3)
    assert not result.found
    assert len(result.hits) == 3


def test_variants_list_the_same_question_elsewhere_other_banks_first(hashing_searcher):
    entry = next(e for e in hashing_searcher.entries if e.question == DISCRIMINATIVE and e.bank_file == BANK_000)
    variants = hashing_searcher.variants(entry.id)
    assert entry not in variants
    files = [v.bank_file for v in variants]
    assert any(f == BANK_004 for f in files), "bank 004 asks the very same question"
    assert files == sorted(files, key=lambda f: f == entry.bank_file), "other banks come first"
    assert all(v.kind.value != "scenario" for v in variants)
    twin = next(v for v in variants if v.bank_file == BANK_004)
    assert entry in hashing_searcher.variants(twin.id)


def test_similar_excludes_the_entry_itself_and_honours_filters(hashing_searcher):
    entry = next(e for e in hashing_searcher.entries if e.question == DISCRIMINATIVE)
    similar = hashing_searcher.similar(entry.id, k=4)
    assert len(similar) == 4 and entry not in similar
    only_004 = hashing_searcher.similar(entry.id, k=4, filters=SearchFilters(banks=frozenset({BANK_004})))
    assert only_004 and all(e.bank_file == BANK_004 for e in only_004)


def test_entry_and_children_lookups(hashing_searcher):
    parent = next(e for e in hashing_searcher.entries if e.bank_file == BANK_004 and e.number == "1")
    children = hashing_searcher.children(parent.id)
    assert children and all(c.parent_id == parent.id and c.kind.value == "scenario" for c in children)
    assert hashing_searcher.entry(parent.id) is parent


# --- slow: the real model -----------------------------------------------------------------------

LOOKUPS = [
    ("what is early stopping", "early stopping"),
    ("causal masking in decoder transformers", "causal masking"),
    ("what is teacher forcing", "teacher forcing"),
    ("what is maximum likelihood estimation", "maximum likelihood"),
    ("explain beam search decoding", "beam search"),
    ("what is the receptive field of a CNN", "receptive field"),
]
OUT_OF_SCOPE = [
    "how do I bake chocolate chip cookies",
    "who won the 2018 world cup",
    "how to fix a flat bicycle tire",
    "what is the capital of Australia",
    "How do I change the oil in my car?",
]


MULTILINGUAL = [
    ("¿Qué es el sobreajuste y cómo se evita?", "overfitting"),
    ("Was macht Dropout in einem neuronalen Netz?", "dropout"),
    ("什么是注意力机制", "attention"),
    ("Comment fonctionne la descente de gradient ?", "gradient descent"),
]


def test_the_slow_queries_are_not_in_the_evaluation_set():
    used = dev_queries()
    for query in [q for q, _ in LOOKUPS] + OUT_OF_SCOPE + [q for q, _ in MULTILINGUAL]:
        assert query.lower() not in used


@pytest.mark.slow
@pytest.mark.parametrize(("query", "subject"), MULTILINGUAL)
def test_real_questions_in_other_languages_find_their_entries(real_searcher, query, subject):
    result = real_searcher.search(query, k=5)
    assert result.found
    assert any(subject in h.entry.question.lower() for h in result.hits[:3]), [h.entry.question for h in result.hits]


@pytest.mark.slow
@pytest.mark.parametrize(("query", "subject"), LOOKUPS)
def test_real_lookups_find_the_right_entry_first(real_searcher, query, subject):
    result = real_searcher.search(query, k=10)
    assert result.found
    assert subject in result.best.entry.question.lower(), [h.entry.question for h in result.hits[:3]]
    assert_well_formed(real_searcher, result, 10)


@pytest.mark.slow
@pytest.mark.parametrize("query", OUT_OF_SCOPE)
def test_real_out_of_scope_queries_are_not_found(real_searcher, query):
    assert not real_searcher.search(query, k=5).found


@pytest.mark.slow
def test_real_bank_filter(real_searcher):
    filters = SearchFilters(banks=frozenset({BANK_004}))
    result = real_searcher.search("how does self-attention work", k=10, filters=filters)
    assert len(result.hits) == 10 and all(h.entry.bank_file == BANK_004 for h in result.hits)
    assert "attention" in result.best.entry.question.lower()


@pytest.mark.slow
def test_real_section_filter(real_searcher):
    filters = SearchFilters(sections=frozenset({"Fundamentals and Basics"}))
    result = real_searcher.search("what is tokenization", k=10, filters=filters)
    assert result.hits and all("Fundamentals and Basics" in h.entry.section_path for h in result.hits)
    assert "tokenization" in result.best.entry.question.lower()


@pytest.mark.slow
def test_real_answered_only_filter(real_searcher):
    unfiltered = real_searcher.search("what is tokenization", k=10)
    assert any(not h.entry.has_answer for h in unfiltered.hits)
    answered = real_searcher.search("what is tokenization", k=10, filters=SearchFilters(answered_only=True))
    assert len(answered.hits) == 10 and all(h.entry.has_answer for h in answered.hits)
    assert "tokenization" in answered.best.entry.question.lower()


@pytest.mark.slow
def test_real_variants_come_from_other_banks(real_searcher):
    entry = next(e for e in real_searcher.entries if e.question == DISCRIMINATIVE and e.bank_file == BANK_000)
    variants = real_searcher.variants(entry.id)
    other_banks = {v.bank_file for v in variants} - {entry.bank_file}
    assert len(other_banks) >= 2, [(v.bank_file, v.question) for v in variants]
    for variant in variants:
        text = variant.question.lower()
        assert "generative" in text and "discriminative" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("previous", "query", "subject"),
    [
        ("what is beam search", "and what about greedy decoding?", "greedy"),
        ("What is LoRA?", "how does it work?", "lora"),
        ("What is dropout?", "why does it prevent overfitting?", "dropout"),
        ("What is LoRA?", "Is it true that dropout reduces overfitting?", "dropout"),  # names its own topic
        # ambiguous: searched with the previous turn and on its own, the better reading wins per entry
        ("What is LoRA?", "what is beam search, and when would I use it?", "beam search"),
        ("Explain k-means clustering", "so how do I choose the number of clusters for it?", "k"),
    ],
)
def test_real_follow_ups_find_the_right_entry(real_searcher, previous, query, subject):
    history = [{"role": "user", "content": previous}, {"role": "assistant", "content": "(an answer)"}]
    assert query.lower() not in dev_queries()
    result = real_searcher.search(query, history=history, k=5)
    assert result.found
    assert subject in result.best.entry.question.lower(), [h.entry.question for h in result.hits[:3]]


@pytest.mark.slow
def test_real_typo_and_full_width_queries(real_searcher):
    typo = real_searcher.search("what is teacher forcng", k=5)
    assert "teacher forcing" in typo.best.entry.question.lower()
    wide = real_searcher.search("ｗｈａｔ ｉｓ ｔｅａｃｈｅｒ ｆｏｒｃｉｎｇ", k=5)
    assert wide.hits == real_searcher.search("what is teacher forcing", k=5).hits
