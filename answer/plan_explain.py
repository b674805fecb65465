"""Planning an explanation.

The core is one entry's answer, shown as its bank wrote it: the best *answered* entry that
defines the topic (its question asks what the topic is, how it works, or to explain it), so the
answer opens with a definition and keeps the bank's own order. Then the next entries on the topic
contribute the points the core lacks: maximal marginal relevance over sentence embeddings picks
relevant points unlike the core and unlike each other, and they are shown mechanism first, then
strengths, weaknesses and usage. Questions asked without an answer never lead: they are listed
in one compact line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from answer.aspects import Aspect, classify
from answer.compose_base import shown_points
from answer.evidence import distinctive, embed, entry_closeness, mmr, relevance, thresholds
from answer.plan import Explain
from answer.points import Point, points_of
from answer.query import Depth
from answer.terms import overlap
from ingest.entry import Entry
from retrieval.searcher import Searcher
from textkit.words import content_words

# depth → (core tokens, extra points, extra tokens)
SHAPES = {Depth.SIMPLE: (150, 3, 110), Depth.NORMAL: (280, 5, 240), Depth.DEEP: (480, 8, 450)}
FURTHER = 3
CORE_RANKS = 3  # a definitional entry among the first answered ones may replace the first as the core
ALSO_ASKED = 4

# "What is X?", "Explain X", "How does X work?", "Define X": questions a definition answers.
_DEFINITIONAL = re.compile(
    r"(?ix)^\s*(?:\d+[.)]\s*)?(?:what\s+(?:is|are|'s)|what's|define|definition|explain|describe|"
    r"how\s+(?:does|do|is|are)\b.*\bwork|can\s+you\s+explain|tell\s+me\s+about|give\s+an\s+overview)"
)


def is_definitional(question: str) -> bool:
    return bool(_DEFINITIONAL.search(question))


@dataclass(frozen=True, slots=True)
class Candidates:
    entries: list[Entry]  # answered, closest first
    closeness: dict[str, float]  # retrieval's closeness of each entry to the query
    topic: dict[str, float]  # how close each entry's *question* is to the query: what it is about


def candidates(searcher: Searcher, query: str, entries: Sequence[Entry], scores: Mapping[str, float]) -> Candidates:
    asked = [query, " ".join(content_words(query)) or query]
    closeness = entry_closeness(searcher, entries, asked, scores)
    topic = entry_closeness(searcher, entries, asked, None)
    answered = sorted((e for e in entries if e.has_answer), key=lambda e: -closeness[e.id])
    return Candidates(answered, closeness, topic)


def choose_core(entries: Sequence[Entry], found: Candidates, t: Mapping[str, float]) -> Entry | None:
    """The answered entry to build on: the best-ranked answered one (retrieval's order), unless it
    does not ask for a definition or explanation and one of the next that does is about as much
    about the topic ("What is X?" over "Why does X help?")."""
    answered = [e for e in entries if e.has_answer]
    if not answered:
        return None
    first = answered[0]
    if is_definitional(first.question):
        return first
    options = [
        e
        for e in answered[1:CORE_RANKS]
        if is_definitional(e.question) and found.topic[e.id] >= found.topic[first.id] - t["core_definitional"]
    ]
    return max(options, key=lambda e: found.topic[e.id], default=first)


def plan_explain(
    searcher: Searcher,
    query: str,
    entries: Sequence[Entry],
    scores: Mapping[str, float],
    depth: Depth = Depth.NORMAL,
    unanswered: Sequence[Entry] = (),
) -> Explain | None:
    """The explanation from `entries` (related hits, best first); None when none is answered."""
    t = thresholds(searcher)
    found = candidates(searcher, query, entries, scores)
    core = choose_core(entries, found, t)
    if core is None:
        return None
    core_tokens, extra_count, extra_tokens = SHAPES[depth]
    top = max(found.closeness[e.id] for e in found.entries)
    top_topic = max(found.topic[e.id] for e in found.entries)
    # Contributors are close to the query and share one of its (or the core's) distinctive words.
    words = distinctive(searcher, query) | distinctive(searcher, core.question)
    floor = min(top - t["explain_entry_spread"], t["explain_entry_floor"])
    contributors = [
        e
        for e in found.entries
        if e.id != core.id
        and found.closeness[e.id] >= floor
        and found.topic[e.id] >= min(top_topic - t["explain_topic_spread"], t["explain_topic_floor"])
        and words & distinctive(searcher, e.question)
    ]
    shown = shown_points(core, core_tokens)
    extra = _complementary(searcher, query, shown, contributors, found.closeness, extra_count, extra_tokens)
    used = {core.id, *(p.entry.id for p in extra)}
    # Pointers only to entries on the very topic (other banks' versions, close rephrasings).
    further = [
        e for e in contributors if e.id not in used and found.topic[e.id] >= top_topic - t["explain_further_spread"]
    ][:FURTHER]
    also = _also_asked(searcher, core, [*entries, *unanswered], found.closeness, top)
    return Explain(core, core_tokens, tuple(extra), tuple(further), tuple(also))


def _complementary(
    searcher: Searcher,
    query: str,
    shown: Sequence[Point],
    contributors: Sequence[Entry],
    closeness: Mapping[str, float],
    count: int,
    budget: int,
) -> list[Point]:
    """Points of the other entries that add to the core: relevant, unlike what is shown and unlike
    each other (MMR), within the budget, in reading order."""
    t = thresholds(searcher)
    pool = [p for e in contributors for p in points_of(e)]
    if not pool or count <= 0:
        return []
    asked = [query, " ".join(content_words(query)) or query]
    scores, vectors = relevance(searcher, pool, asked, closeness)
    if shown:
        core_vectors = embed(searcher, [p.plain for p in shown])
        repeat = (vectors @ core_vectors.T).max(axis=1)
    else:
        repeat = np.zeros(len(pool), dtype=np.float32)
    keep = [
        i
        for i in range(len(pool))
        if repeat[i] < t["explain_repeat"]
        and not any(overlap(pool[i].plain, p.plain) >= t["explain_overlap"] for p in shown)
    ]
    if not keep:
        return []
    # The core counts as already chosen: MMR penalises what resembles it.
    adjusted = scores[keep] - t["explain_core_penalty"] * np.maximum(repeat[keep] - t["explain_related"], 0)
    floor = max(t["explain_floor"], float(adjusted.max()) - t["explain_point_spread"])  # near the best addition
    order = mmr(adjusted, vectors[keep], count, duplicate=t["explain_repeat"], floor=floor)
    chosen: list[Point] = []
    used = 0
    for j in order:
        point = pool[keep[j]]
        if chosen and used + point.tokens > budget:
            continue
        chosen.append(point)
        used += point.tokens
    aspects = classify(searcher, chosen)
    rank = {e.id: r for r, e in enumerate(contributors)}
    # The core defines the topic: another definition would say it twice.
    ordered = [i for i in range(len(chosen)) if aspects[i] is not Aspect.WHAT or not shown]
    ordered.sort(key=lambda i: (aspects[i], rank[chosen[i].entry.id], chosen[i].position))
    return [chosen[i] for i in ordered]


def _also_asked(
    searcher: Searcher, core: Entry, entries: Sequence[Entry], closeness: Mapping[str, float], top: float
) -> list[Entry]:
    """Questions on the topic that their banks leave unanswered: the core's own unanswered
    variants, and unanswered hits nearly as close as the closest answered entry."""
    t = thresholds(searcher)
    out: dict[str, Entry] = {}
    for variant in searcher.variants(core.id):
        if not variant.has_answer:
            out.setdefault(variant.id, variant)
    missing = [e for e in entries if not e.has_answer and e.id not in closeness]
    near = dict(closeness)
    if missing:
        near.update(entry_closeness(searcher, missing, [core.question], None))
    for entry in entries:
        if not entry.has_answer and near.get(entry.id, 0.0) >= top - t["explain_entry_spread"]:
            out.setdefault(entry.id, entry)
    return list(out.values())[:ALSO_ASKED]
