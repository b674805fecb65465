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
from dataclasses import dataclass, replace

import numpy as np

from answer.aspects import Aspect, classify
from answer.compose_base import shown_points
from answer.evidence import distinctive, embed, entry_closeness, mmr, relevance, thresholds
from answer.plan import Explain
from answer.points import Point, points_of
from answer.query import Depth
from answer.repeats import merge_citation, said_again
from answer.sentences import SegmentKind
from answer.support import SupportChecker
from answer.terms import overlap
from ingest.entry import Entry
from retrieval.searcher import Searcher
from textkit.words import content_words, stem

# depth → (core tokens, extra points, extra tokens)
SHAPES = {Depth.SIMPLE: (150, 3, 110), Depth.NORMAL: (280, 5, 240), Depth.DEEP: (480, 8, 450)}
FURTHER = 3
CORE_RANKS = 3  # a definitional entry among the first answered ones may replace the first as the core
ALSO_ASKED = 4
# A point of another entry that starts from a pronoun or a bare label leans on the text around it.
_LEANS = re.compile(r"(?i)^\W*(?:it|this|these|those|they|that|its|their|such|here|the\s+(?:latter|former))\b")

# "What is X?", "Explain X", "How does X work?", "Define X": questions a definition answers.
_DEFINITIONAL = re.compile(
    r"(?ix)^\s*(?:\d+[.)]\s*)?(?:what\s+(?:is|are|'s)|what's|define|definition|explain|describe|"
    r"how\s+(?:does|do|is|are)\b.*\bwork|can\s+you\s+explain|tell\s+me\s+about|give\s+an\s+overview)"
)


# "What is X?", "Define X", "Explain X": questions whose answer opens with what X is (a "How does X
# work?" answer may open with the mechanism instead).
_DEFINES = re.compile(r"(?ix)^\s*(?:\d+[.)]\s*)?(?:what\s+(?:is|are|'s)|what's|define|definition|explain)\b")


def is_definitional(question: str) -> bool:
    return bool(_DEFINITIONAL.search(question))


def defines(question: str) -> bool:
    return bool(_DEFINES.search(question))


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
    does not ask for a definition and one of the next that does is about as much about the topic
    ("What is X?" over "How does X work?" or "Why does X help?"); then one that asks for an
    explanation of how it works."""
    answered = [e for e in entries if e.has_answer]
    if not answered:
        return None
    first = answered[0]
    for kind in (defines, is_definitional):  # "What is X?" first, then "How does X work?"
        if kind(first.question):
            return first
        options = [
            e
            for e in answered[1:CORE_RANKS]
            if kind(e.question) and found.topic[e.id] >= found.topic[first.id] - t["core_definitional"]
        ]
        if options:
            return max(options, key=lambda e: found.topic[e.id])
    return first


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
    # An entry about something narrower than the topic ("How does paged attention enable KV cache
    # sharing?" for the KV cache), or broader ("fine-tuning approaches" for LoRA), lends only the
    # points that name the topic themselves.
    defines = distinctive(searcher, core.question)
    on_topic = {
        e.id
        for e in contributors
        if distinctive(searcher, e.question) & defines and not _names_more(e.question, words, searcher)
    }
    # An entry on a narrower case of the topic ("What is causal (masked) self-attention?") is shown
    # with its question, so its points are read as being about that case.
    context = tuple(e.id for e in contributors if e.id in on_topic and distinctive(searcher, e.question) - words)
    shown, skip = _own_repeats(searcher, shown_points(core, core_tokens))
    extra, merged = _complementary(
        searcher, query, shown, contributors, found.closeness, extra_count, extra_tokens, words, on_topic
    )
    used = {core.id, *(e.id for p in extra for e in p.sources), *(e.id for _, es in merged for e in es)}
    # Pointers only to entries on the very topic (other banks' versions, close rephrasings).
    further = [
        e for e in contributors if e.id not in used and found.topic[e.id] >= top_topic - t["explain_further_spread"]
    ][:FURTHER]
    also = _also_asked(searcher, core, [*entries, *unanswered], found.closeness, top)
    shown_context = tuple(i for i in context if any(p.entry.id == i for p in extra))
    lead = _lead_bullets(searcher, shown)
    return Explain(core, core_tokens, tuple(extra), tuple(further), tuple(also), merged, skip, lead, shown_context)


def _lead_bullets(searcher: Searcher, shown: Sequence[Point]) -> tuple[int, ...]:
    """The core's bullets on what the topic is and how it works, when a bullet on its benefits,
    limits or uses comes before them in the bank's list: they are moved ahead (mechanism before
    details). Prose keeps the bank's order."""
    bullets = [p for p in shown if p.kind is SegmentKind.BULLET]
    if len(bullets) < 2:
        return ()
    aspects = classify(searcher, bullets)
    basic = [i for i, a in enumerate(aspects) if a <= Aspect.HOW]
    if not basic or not any(aspects[i] > Aspect.HOW for i in range(basic[-1])):
        return ()
    return tuple(bullets[i].position for i in basic)


def _own_repeats(searcher: Searcher, shown: list[Point]) -> tuple[list[Point], tuple[int, ...]]:
    """The core's points without those that say an earlier one again (a long answer that restates
    itself), and the segments left out."""
    if len(shown) < 2:
        return shown, ()
    t = thresholds(searcher)
    vectors = embed(searcher, [p.plain for p in shown])
    kept: list[int] = [0]
    skip: list[int] = []
    for j in range(1, len(shown)):
        said = float((vectors[kept] @ vectors[j]).max()) >= t["explain_repeat"]
        if said and shown[j].kind is not SegmentKind.CODE:
            skip.extend(shown[j].span or (shown[j].position,))
        else:
            kept.append(j)
    return [shown[i] for i in kept], tuple(skip)


_NAME = re.compile(r"(?<=\s)[A-Z][\w-]*")


def _names_more(question: str, words: set[str], searcher: Searcher) -> bool:
    """Does the question name a concept besides the topic — a capitalised name or acronym after its
    first word ("How does Paged Attention enable KV cache sharing?")? Then it is about that."""
    extra = distinctive(searcher, question) - words
    return any(stem(m.group(0).lower()) in extra for m in _NAME.finditer(question))


def _self_contained(point: Point, words: set[str], on_topic: set[str], searcher: Searcher) -> bool:
    """Can a point of another entry stand alone here? Not when it leans on the text around it (a
    pronoun or a bare label first), and, from an entry that is not on the very topic, only when it
    names the topic itself."""
    if _LEANS.match(point.plain):
        return False
    return point.entry.id in on_topic or bool(words & distinctive(searcher, point.plain))


def _complementary(
    searcher: Searcher,
    query: str,
    shown: Sequence[Point],
    contributors: Sequence[Entry],
    closeness: Mapping[str, float],
    count: int,
    budget: int,
    words: set[str] | None = None,
    on_topic: set[str] | None = None,
) -> tuple[list[Point], tuple[tuple[int, tuple[Entry, ...]], ...]]:
    """Points of the other entries that add to the core: relevant, unlike what is shown and unlike
    each other (MMR), within the budget, in reading order. A point that states one already shown
    (or chosen) is not said again: its entry is cited beside that claim when it supports it.
    Returns the points (each with the entries merged into it) and, per core segment, the entries
    merged into it."""
    t = thresholds(searcher)
    pool = [p for e in contributors for p in points_of(e)]
    if not pool or count <= 0:
        return [], ()
    asked = [query, " ".join(content_words(query)) or query]
    scores, vectors = relevance(searcher, pool, asked, closeness)
    core_vectors = embed(searcher, [p.plain for p in shown]) if shown else np.zeros((0, vectors.shape[1]))
    repeat = (vectors @ core_vectors.T).max(axis=1) if shown else np.zeros(len(pool), dtype=np.float32)
    checker = SupportChecker(searcher.embed)
    core_also: dict[int, list[Entry]] = {}
    keep: list[int] = []
    for i, point in enumerate(pool):
        same = [k for k, p in enumerate(shown) if overlap(point.plain, p.plain) >= t["explain_overlap"]]
        if repeat[i] >= t["explain_repeat"]:
            same.insert(0, int(np.argmax(vectors[i] @ core_vectors.T)))
        restated = None if same else said_again(searcher, point, shown, t, words or set())
        if restated is not None:
            same.append(restated)
        if same:
            merge_citation(checker, shown[same[0]], point.entry, core_also.setdefault(shown[same[0]].position, []))
        elif words is None or on_topic is None or _self_contained(point, words, on_topic, searcher):
            keep.append(i)
    merged = tuple((k, tuple(es)) for k, es in core_also.items() if es)
    if not keep:
        return [], merged
    # The core counts as already chosen: MMR penalises what resembles it.
    adjusted = scores[keep] - t["explain_core_penalty"] * np.maximum(repeat[keep] - t["explain_related"], 0)
    floor = max(t["explain_floor"], float(adjusted.max()) - t["explain_point_spread"])  # near the best addition
    order = mmr(adjusted, vectors[keep], count, duplicate=t["explain_repeat"], floor=floor)
    chosen: list[Point] = []
    picked: list[int] = []
    used = 0
    merged_into: dict[int, list[Entry]] = {}
    for j in order:
        point = pool[keep[j]]
        if chosen and used + point.tokens > budget:
            continue
        earlier = said_again(searcher, point, chosen, t, words or set())
        if earlier is not None:
            merge_citation(checker, chosen[earlier], point.entry, merged_into.setdefault(earlier, []))
            continue
        chosen.append(point)
        picked.append(keep[j])
        used += point.tokens
    # What the other entries say again of a chosen point is merged into it: one claim, more citations.
    if picked:
        also: list[list[Entry]] = [merged_into.get(k, []) for k in range(len(chosen))]
        for i in keep:
            if i in picked:
                continue
            similarity = vectors[picked] @ vectors[i]
            best = int(np.argmax(similarity))
            if float(similarity[best]) >= t["explain_repeat"] and pool[i].entry.id != chosen[best].entry.id:
                merge_citation(checker, chosen[best], pool[i].entry, also[best])
        chosen = [replace(p, also=tuple(a)) if a else p for p, a in zip(chosen, also)]
    aspects = classify(searcher, chosen)
    rank = {e.id: r for r, e in enumerate(contributors)}
    # The core defines the topic: another definition would say it twice.
    ordered = [i for i in range(len(chosen)) if aspects[i] is not Aspect.WHAT or not shown]
    ordered.sort(key=lambda i: (aspects[i], rank[chosen[i].entry.id], chosen[i].position))
    return [chosen[i] for i in ordered], merged


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
