"""Queries as people type them: pasted, padded, with invisible characters and far too long."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.tokens import truncate_to_tokens
from retrieval.errors import QueryError

_SURROGATE = re.compile("[\ud800-\udfff]")
QUERY_TOKEN_BUDGET = 128  # the embedder reads 256 word pieces; a question needs far fewer


@dataclass(frozen=True, slots=True)
class NormalizedQuery:
    text: str
    notices: tuple[str, ...] = ()


def normalize_query(raw: str, token_budget: int = QUERY_TOKEN_BUDGET) -> NormalizedQuery:
    if not isinstance(raw, str):
        raise QueryError("the query must be text")
    if _SURROGATE.search(raw):
        # Lone surrogates come from a JSON escape like \ud800 or from bytes that are not UTF-8
        # (decoded with surrogateescape); no model or encoder downstream can take them.
        raise QueryError("the query is not valid text (it holds bytes that are not UTF-8 or a lone \\ud8xx escape)")
    text = unicodedata.normalize("NFKC", raw)
    # Control and format characters (zero-width spaces, BOMs, bidi marks, NULs) carry no meaning
    # here; only the whitespace ones (tabs, newlines, line separators) still separate words.
    text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in {"Cc", "Cf"})
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QueryError("the query is empty: type a question or a concept to look up")
    if not any(ch.isalnum() for ch in text):
        raise QueryError("the query has no words in it, only symbols: type a question or a concept")
    notices: tuple[str, ...] = ()
    text, cut = truncate_to_tokens(text, token_budget)
    if cut:
        # A cut inside a multi-token character leaves a U+FFFD half-character at the end.
        text = text.rstrip("\ufffd")
        notices = (f"your query was long, so only its first {token_budget} tokens were searched",)
    return NormalizedQuery(text=text.strip(), notices=notices)
