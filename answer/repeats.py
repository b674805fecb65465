"""Saying a point once: whether a point restates points already shown (clause by clause, by
meaning and shared words), and citing the entries that state the same point beside the one claim
instead of repeating it (each only when it supports the claim)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from answer.evidence import embed
from answer.points import Point
from answer.support import SupportChecker
from answer.terms import stem_set
from ingest.entry import Entry
from retrieval.searcher import Searcher
from textkit.words import content_words

MERGE_LIMIT = 2  # entries cited beside a claim's own one when they state it too
# A clause says a shown point again when its cosine to it reaches `explain_repeat`, or this much
# cosine with this share of its content words (MiniLM; chosen on the review dev set, where
# paraphrased repeats across banks sit at cosine 0.55–0.7).
CLAUSE_COSINE = 0.55
CLAUSE_OVERLAP = 0.4
CLAUSE_WORDS = 2
_CLAUSES = re.compile(r";\s+|(?<=[.!?])\s+")


def _clauses(text: str) -> list[str]:
    """A point's clauses: its sentences and ";"-parts, each cut at commas too when every comma part
    says something (two content words or more) — "follows a power law, guides allocation"."""
    out: list[str] = []
    for clause in _CLAUSES.split(text):
        parts = [p for p in clause.split(", ") if p.strip()]
        if len(parts) > 1 and all(len(content_words(p)) >= CLAUSE_WORDS for p in parts):
            out.extend(parts)
        else:
            out.append(clause)
    return out


def said_again(
    searcher: Searcher,
    point: Point,
    shown: Sequence[Point],
    t: Mapping[str, float],
    topic: frozenset[str] | set[str] = frozenset(),
) -> int | None:
    """The shown point that `point` restates — every clause of it said already (by any shown
    point; the index is that of the closest) — or None. Words of the `topic` (stems) are shared by
    every point about it, so they are not counted as shared content."""
    if not shown:
        return None
    before = embed(searcher, [p.plain for p in shown])
    whole = before @ embed(searcher, [point.plain])[0]
    if float(whole.max()) >= t["explain_repeat"]:
        return int(np.argmax(whole))
    mine = stem_set(point.plain) - topic
    shared = [len(mine & (stem_set(p.plain) - topic)) / len(mine) if mine else 0.0 for p in shown]
    if max(shared) >= t["explain_overlap"]:  # its words are mostly one shown point's words
        return int(np.argmax(shared))
    clauses = [c for c in _clauses(point.plain) if content_words(c)] or [point.plain]
    said = embed(searcher, clauses) @ before.T
    others = [stem_set(p.plain) - topic for p in shown]
    for c, clause in enumerate(clauses):
        mine = stem_set(clause) - topic
        if not any(
            said[c, k] >= t["explain_repeat"]
            or (said[c, k] >= CLAUSE_COSINE and bool(mine) and len(mine & others[k]) / len(mine) >= CLAUSE_OVERLAP)
            for k in range(len(shown))
        ):
            return None
    return int(np.argmax(said.max(axis=0)))


def merge_citation(checker: SupportChecker, claim: Point, entry: Entry, into: list[Entry]) -> None:
    """Cite `entry` beside `claim` when it supports the claim (not only resembles it)."""
    if entry.id == claim.entry.id or len(into) >= MERGE_LIMIT or any(e.id == entry.id for e in into):
        return
    if checker.check(claim.plain, [entry]).supported:
        into.append(entry)
