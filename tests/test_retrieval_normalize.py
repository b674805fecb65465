"""Queries as people type them (retrieval/normalize.py)."""

from __future__ import annotations

import pytest

from ingest.tokens import count_tokens
from retrieval.errors import QueryError
from retrieval.normalize import QUERY_TOKEN_BUDGET, normalize_query


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｗｈａｔ ｉｓ ＢＥＲＴ？", "what is BERT?"),  # full-width letters and punctuation
        ("ﬁne-tuning vs ﬂash attention", "fine-tuning vs flash attention"),  # ligatures
        ("x² and H₂O", "x2 and H2O"),  # compatibility super/subscripts
        ("ＬｏＲＡ\u3000rank", "LoRA rank"),  # ideographic space
        ("e\u0301mbedding", "\u00e9mbedding"),  # decomposed accent composed
    ],
)
def test_nfkc(raw, expected):
    assert normalize_query(raw).text == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("drop\u200bout", "dropout"),  # zero-width space
        ("\ufeffwhat is dropout", "what is dropout"),  # byte-order mark
        ("what\u200c is\u200d dropout\u2060", "what is dropout"),  # ZWNJ, ZWJ, word joiner
        ("\u202ewhat is dropout\u202c", "what is dropout"),  # bidi controls
        ("drop\x00out\x07", "dropout"),  # NUL and BEL are removed, not turned into spaces
        ("what is\x1b dropout\x7f", "what is dropout"),  # ESC, DEL
        ("soft\u00admax", "softmax"),  # soft hyphen
    ],
)
def test_zero_width_and_control_characters_are_removed(raw, expected):
    assert normalize_query(raw).text == expected


@pytest.mark.parametrize(
    "raw",
    [
        "  what   is\tdropout \n",
        "what\r\nis\n\ndropout",
        "what\u2028is\u2029dropout",  # line and paragraph separators
        "what\u00a0is\u2003dropout",  # no-break and em spaces
        "what\x0bis\x0cdropout\x85",  # vertical tab, form feed, next line
    ],
)
def test_whitespace_is_collapsed_to_single_spaces(raw):
    assert normalize_query(raw).text == "what is dropout"


def test_a_short_query_has_no_notice():
    result = normalize_query("What is dropout?")
    assert result.text == "What is dropout?" and result.notices == ()


def test_a_long_query_is_cut_to_the_token_budget_with_a_notice():
    raw = "Explain how gradient descent finds a minimum of the loss surface. " * 40
    result = normalize_query(raw)
    assert count_tokens(result.text) <= QUERY_TOKEN_BUDGET
    assert raw.startswith(result.text)
    assert len(result.text) > 300
    assert result.notices == (f"your query was long, so only its first {QUERY_TOKEN_BUDGET} tokens were searched",)


def test_the_budget_can_be_set():
    result = normalize_query("one two three four five six seven eight", token_budget=3)
    assert result.text == "one two three"
    assert "first 3 tokens" in result.notices[0]


@pytest.mark.parametrize("tail", ["ꙮ", "𓀀", "🦜", "ᚠ"])
def test_a_cut_never_leaves_half_a_character(tail):
    result = normalize_query("what is dropout " + tail * 300)
    assert result.notices
    assert "\ufffd" not in result.text
    assert result.text.endswith(tail)


@pytest.mark.parametrize("raw", ["", "   ", "\t\n  \r\n", "\u200b\u200b", "\ufeff", "\u3000", "\x00\x00"])
def test_empty_queries_are_refused_clearly(raw):
    with pytest.raises(QueryError, match="the query is empty: type a question"):
        normalize_query(raw)


@pytest.mark.parametrize("raw", ["?", "??? !!!", "...", "-- ** --", "🙂🙂", "(*_*)", "→ ← ↑"])
def test_symbol_only_queries_are_refused_clearly(raw):
    with pytest.raises(QueryError, match="no words in it, only symbols"):
        normalize_query(raw)


@pytest.mark.parametrize("raw", ["x", "3", "é", "注意力", "C++?"])
def test_one_word_character_is_enough(raw):
    assert normalize_query(raw).text == raw


def test_non_text_is_refused():
    with pytest.raises(QueryError, match="must be text"):
        normalize_query(None)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="must be text"):
        normalize_query(b"what is dropout")  # type: ignore[arg-type]
