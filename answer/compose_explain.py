"""Explain: an explanation drawn from several entries — the points most relevant to the query,
chosen without repetition (maximal marginal relevance over sentence embeddings), a definition
first, each cited — then where to go deeper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from answer.compose_base import Draft, point_bullet, point_paragraph
from answer.evidence import entry_closeness, mmr, relevance
from answer.points import Point, is_definition, points_of
from answer.sentences import SegmentKind
from ingest.entry import Entry
from retrieval.searcher import Searcher
from textkit.words import content_words

# depth → (points, token budget)
SHAPES = {"simple": (4, 160), "normal": (7, 320), "deep": (10, 520)}
SIMPLE_POINT_TOKENS = 45  # "explain simply" leaves long points out when short ones will do
MIN_RELEVANCE = 0.2  # cosine to the query below which a point is off topic
DEFINITION_SLACK = 0.15  # a definition leads when it is nearly as relevant as the best point
DEFINITION_OWN = 0.25  # …and, among those, the one from the closest entry (its own score breaks ties)
ENTRY_PRIOR = 0.03  # points of better-ranked entries get a small head start
ENTRY_SPREAD = 0.15  # entries this much less close to the query than the closest one are not drawn from
CANDIDATES = 40  # points embedded at most (embedding is the slow part)
GO_DEEPER = 5


def explain_points(
    searcher: Searcher,
    query: str,
    entries: Sequence[Entry],
    depth: str = "normal",
    entry_scores: Mapping[str, float] | None = None,
) -> list[Point]:
    """The chosen points, definition first, the rest in entry order."""
    count, budget = SHAPES.get(depth, SHAPES["normal"])
    asked = [query, " ".join(content_words(query)) or query]  # the question, and its topic words alone
    closeness = entry_closeness(searcher, entries, asked, entry_scores)
    top = max(closeness.values(), default=0.0)
    # Explain from the entries about the topic; the rest are only pointers to go deeper.
    entries = [e for e in entries if closeness[e.id] >= top - ENTRY_SPREAD]
    entries.sort(key=lambda e: -closeness[e.id])
    candidates: list[Point] = []
    rank: list[int] = []
    for r, entry in enumerate(entries):
        for point in points_of(entry):
            candidates.append(point)
            rank.append(r)
    if depth == "simple" and any(p.tokens <= SIMPLE_POINT_TOKENS for p in candidates):
        keep = [i for i, p in enumerate(candidates) if p.tokens <= SIMPLE_POINT_TOKENS]
        candidates, rank = [candidates[i] for i in keep], [rank[i] for i in keep]
    candidates, rank = candidates[:CANDIDATES], rank[:CANDIDATES]
    if not candidates:
        return []
    scores, vectors = relevance(searcher, candidates, asked, closeness)
    prior = np.array([ENTRY_PRIOR * (1 - r / max(len(entries), 1)) for r in rank], dtype=np.float32)
    scored = scores + prior

    chosen = mmr(scored, vectors, count, floor=MIN_RELEVANCE)
    if not chosen:
        chosen = [int(np.argmax(scored))]
    # Within the token budget, in the order MMR chose them.
    kept: list[int] = []
    used = 0
    for i in chosen:
        if kept and used + candidates[i].tokens > budget:
            continue
        kept.append(i)
        used += candidates[i].tokens
    lead = _definition(candidates, scored, vectors, kept, closeness)
    rest = [i for i in kept if i != lead]
    entry_order = {e.id: r for r, e in enumerate(entries)}  # closest entry first
    rest.sort(key=lambda i: (entry_order[candidates[i].entry.id], candidates[i].position))
    return [candidates[i] for i in ([lead] if lead is not None else []) + rest]


def _definition(
    candidates: list[Point], scored: np.ndarray, vectors: np.ndarray, kept: list[int], closeness: Mapping[str, float]
) -> int | None:
    """The point to lead with: a definition-like point nearly as relevant as the best, from the
    entry closest to the query (its own cosine is a weak signal for short fragments)."""
    if not kept:
        return None
    best = float(max(scored[i] for i in kept))
    options = [i for i, point in enumerate(candidates) if is_definition(point) and scored[i] >= best - DEFINITION_SLACK]
    if not options:
        return kept[0]
    lead = max(options, key=lambda i: closeness[candidates[i].entry.id] + DEFINITION_OWN * float(scored[i]))
    if lead not in kept:
        # The definition replaces the kept point it repeats, or else the weakest one.
        similar = [i for i in kept if float(vectors[i] @ vectors[lead]) >= 0.8]
        drop = similar[0] if similar else (kept[-1] if len(kept) > 1 else None)
        if drop is not None:
            kept.remove(drop)
        kept.insert(0, lead)
    return lead


def compose_explain(
    draft: Draft,
    searcher: Searcher,
    query: str,
    entries: Sequence[Entry],
    more: Sequence[Entry] = (),
    depth: str = "normal",
    entry_scores: Mapping[str, float] | None = None,
) -> None:
    points = explain_points(searcher, query, entries, depth, entry_scores)
    if points:
        lead, rest = points[0], points[1:]
        if lead.kind is SegmentKind.SENTENCE:
            draft.add(point_paragraph(lead, draft.cite(lead.entry)))
        else:
            rest = points
        draft.add("\n".join(point_bullet(p, draft.cite(p.entry)) for p in rest))
    used = list(dict.fromkeys(p.entry.id for p in points))
    pointers: list[Entry] = []
    for entry in [*entries, *more]:
        if entry.id not in (e.id for e in pointers):
            pointers.append(entry)
    pointers.sort(key=lambda e: (e.id not in used, used.index(e.id) if e.id in used else 0))
    lines = [draft.question(e, "" if e.has_answer else " *(asked without an answer)*") for e in pointers[:GO_DEEPER]]
    if lines:
        draft.heading("Go deeper")
        draft.add("\n".join(lines))
