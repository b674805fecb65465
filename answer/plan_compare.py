"""Planning comparisons.

Concepts ("LoRA vs prefix tuning"): each side's points come from the entries that compare the
sides directly (a point that describes one side only belongs to that side) and from a search for
the side itself. Every point is assigned an aspect (answer/aspects.py) and the table has one row
per aspect with evidence on at least one side — so cells in a row speak to the same thing. A
point of the banks that sets the sides against each other ("unlike batch norm, layer norm …") is
the key distinction.

Bank versions ("how do the banks differ on …"): the fullest answered version once, then, per
other bank, only what it adds (points unlike anything shown before).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from answer.aspects import Aspect, classify
from answer.citations import bank_label
from answer.evidence import embed, mmr, related_hits, relevance, thresholds
from answer.plan import BankVersion, CompareConcepts, CompareVersions, Row
from answer.plan_explain import is_definitional
from answer.points import Point, points_of
from answer.query import is_comparison_question
from answer.repeats import merge_citation, said_again
from answer.sentences import SegmentKind
from answer.support import SupportChecker
from answer.terms import aliased, collides, distinct_terms, mentions, names, overlap, stem_set
from ingest.entry import Entry
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult

SIDE_ENTRIES = 2  # entries a side search contributes
SIDE_SEARCH_K = 6
SIDE_CANDIDATES = 14  # points per side considered for the table
CELL_TOKENS = 70  # a longer point is a paragraph, not a cell
CELL_POINTS = 2
SECOND_TOKENS = 35  # a cell takes a second point this short…
SECOND_SLACK = 0.2  # …and nearly as relevant as its first
DIRECT_LIMIT = 3
BASE_POINTS = 5  # points of the base version shown
ADDS_LIMIT = 3
TRADEOFFS = "Strengths and weaknesses"

# "… than batch norm", "(vs batch norm across batch)", "unlike RNNs": the side named after these is
# the one contrasted with, not the one described.
_CONTRASTED = re.compile(
    r"(?i)\b(?:than|vs\.?|versus|unlike|instead\s+of|rather\s+than|compared\s+(?:to|with)|as\s+opposed\s+to|"
    r"differ\w*\s+(?:from|with)|similar\s+to)\b[^,;:)(]*"
)
# Words that set two things against each other within one sentence.
_CONTRAST = re.compile(
    r"(?i)\b(?:while|whereas|unlike|instead|rather\s+than|in\s+contrast|on\s+the\s+other\s+hand|differ\w*|"
    r"difference|compared|than|vs\.?|versus|but|key|main|trade-?offs?|vice\s+versa|at\s+the\s+expense)\b"
)


_LABEL = re.compile(r"^\W*([^:=]{1,40}?)\W*\s*[:=]\s")
_PRONOUN_START = re.compile(r"(?i)^\W*(?:it|this|they|these|that|its|their)\b")


def describes(text: str, terms: frozenset[str]) -> bool:
    """Does the text name a side as its subject (not only as the thing it is contrasted with)?"""
    return names(_CONTRASTED.sub(" ", text), terms)


def names_all(sides: Sequence[str], text: str) -> bool:
    terms = distinct_terms(sides)
    text = aliased(text, sides)
    return all(names(text, terms[side]) for side in sides)


def direct_entries(
    searcher: Searcher, result: SearchResult, sides: Sequence[str], t: Mapping[str, float]
) -> list[Entry]:
    """Entries that compare the sides themselves: their question names every side, or (near the
    top, for a question that asks for a comparison or a survey) their answer does; with their
    versions in other banks."""
    found: dict[str, Entry] = {}
    for rank, hit in enumerate(related_hits(result, t)):
        entry = hit.entry
        by_answer = rank < 5 and entry.has_answer and is_comparison_question(entry.question)
        if names_all(sides, entry.question) or (by_answer and names_all(sides, f"{entry.question}\n{entry.answer}")):
            found.setdefault(entry.id, entry)
            for variant in searcher.variants(entry.id):
                if names_all(sides, variant.question):
                    found.setdefault(variant.id, variant)
    return list(found.values())


def side_entries(
    searcher: Searcher,
    sides: Sequence[str],
    side: str,
    exclude: set[str],
    filters: SearchFilters | None,
    t: Mapping[str, float],
) -> tuple[list[tuple[Entry, float]], list[Entry]]:
    """Answered entries about one side, with their closeness: a search for the side, keeping hits
    that name it (or are very close to it) and are about the side itself, not a longer name that
    contains it ("precision" is not "mixed precision"). Also returns the hits that compare the sides."""
    result = searcher.search(f"What is {side}?", k=SIDE_SEARCH_K, filters=filters)
    out: list[tuple[Entry, float]] = []
    direct: list[Entry] = []
    terms = distinct_terms(sides)
    for hit in result.hits:
        entry = hit.entry
        if entry.id in exclude:
            continue
        if names_all(sides, entry.question):
            direct.append(entry)
            continue
        question = aliased(entry.question, sides)
        if not names(question, terms[side]) and any(names(question, terms[o]) for o in sides if o != side):
            continue  # about another side ("What is AdamW?" in a search for Adam): not one of this side's
        if not entry.has_answer or len(out) >= SIDE_ENTRIES:
            continue
        if not (mentions(aliased(entry.question, [side]), side) or hit.dense_score >= t["side_min_similarity"]):
            continue
        if not collides(entry.question, side) or hit.dense_score >= t["side_sure_similarity"]:
            out.append((entry, hit.dense_score))
    return out, direct


def plan_concepts(
    searcher: Searcher, result: SearchResult, sides: Sequence[str], filters: SearchFilters | None = None
) -> CompareConcepts | None:
    """The aligned comparison of `sides`; None when no side has any point."""
    t = thresholds(searcher)
    direct = direct_entries(searcher, result, sides, t)
    terms = distinct_terms(sides)
    pools: dict[str, list[Point]] = {side: [] for side in sides}
    closeness: dict[str, float] = {}
    contrasts: list[Point] = []  # points that name the sides and set them against each other
    one_sided: dict[str, list[Point]] = {side: [] for side in sides}  # a side set against the others
    definitions: dict[str, Point] = {}
    labelled: dict[str, Point] = {}  # definitions from direct comparisons' labelled points
    for entry in (e for e in direct if e.has_answer):
        closeness[entry.id] = 1.0  # entries that contrast the sides explain the difference best
        _split_direct(entry, sides, terms, pools, contrasts, labelled, one_sided)
    exclude = {e.id for e in direct}
    own: dict[str, list[tuple[Entry, float]]] = {}
    for side in sides:
        own[side], more = side_entries(searcher, sides, side, exclude, filters, t)
        for entry in more:
            exclude.add(entry.id)
            direct.append(entry)
            if entry.has_answer:
                closeness[entry.id] = 1.0
                _split_direct(entry, sides, terms, pools, contrasts, labelled, one_sided)
    for side in sides:
        others = [terms[s] for s in sides if s != side]
        for rank, (entry, score) in enumerate(own[side]):
            closeness.setdefault(entry.id, score)
            # An entry whose question names another side is about that side. One about this side
            # lends any point that names no other side; one about something broader, only the
            # points that name this side in full ("batch norm", not just "batch").
            question = aliased(entry.question, sides)
            if any(names(question, o) for o in others):
                continue
            # A comparison with something else ("RAG vs fine-tuning" for a fine-tuning side) lends
            # only the points that name this side.
            about_side = mentions(question, side) and not is_comparison_question(entry.question)
            for point in points_of(entry):
                plain = aliased(point.plain, sides)
                first = rank == 0 and about_side and point.position == 0 and is_definitional(entry.question)
                if first and side not in definitions:
                    definitions[side] = point  # "What is GQA?" → "Interpolation between MHA and MQA"
                    continue
                if any(names(plain, o) for o in others):
                    if about_side and _CONTRAST.search(plain) and not _PRONOUN_START.match(plain):
                        one_sided[side].append(point)
                    continue
                if not (about_side or mentions(plain, side)):
                    continue
                pools[side].append(point)
    # Any relevant entry may state the difference in one sentence that names the sides.
    for hit in related_hits(result, t):
        if hit.entry.has_answer and hit.entry.id not in closeness:
            closeness[hit.entry.id] = hit.dense_score
            for point in points_of(hit.entry):
                plain = aliased(point.plain, sides)
                named = [s for s in sides if names(plain, terms[s])]
                if len(named) >= 2 and _CONTRAST.search(plain) and not _PRONOUN_START.match(plain):
                    contrasts.append(point)
    key = _key_distinction(searcher, sides, contrasts, one_sided, closeness, t)
    for side, point in labelled.items():
        if side in definitions:
            pools[side].append(point)
        else:
            definitions[side] = point
    said = {p.text for _, p in key}
    for side in sides:  # a contrast that is no key distinction still tells of its side ("faster than t-SNE")
        pools[side].extend(p for p in one_sided[side] if p.text not in said)
    topic = frozenset(w for side in sides for w in stem_set(side) | terms[side])
    columns = [_cells(searcher, side, pools[side], closeness, definitions.get(side), said, topic, t) for side in sides]
    if not any(columns):
        return None
    rows = _paired_tradeoffs(
        [Row(a, cells) for a in Aspect if any(cells := tuple(tuple(c.get(a, ())) for c in columns))]
    )
    shown = {e.id for row in rows for cell in row.cells for p in cell for e in p.sources}
    missing = tuple(side for side, column in zip(sides, columns) if not column)
    direct_rest = tuple(e for e in direct if e.id not in shown and names_all(sides, e.question))[:DIRECT_LIMIT]
    return CompareConcepts(tuple(sides), tuple(rows), key, direct_rest, missing)


def _paired_tradeoffs(rows: list[Row]) -> list[Row]:
    """Strengths and weaknesses as one row of trade-offs when that leaves fewer empty cells (one
    side's banks name an advantage where the other's name a drawback): rows line up."""
    by = {row.aspect: row for row in rows}
    good, bad = by.get(Aspect.STRENGTHS), by.get(Aspect.WEAKNESSES)
    if good is None or bad is None:
        return rows
    cells = tuple(g + b for g, b in zip(good.cells, bad.cells))
    empty_before = sum(not c for c in (*good.cells, *bad.cells))
    if sum(not c for c in cells) * 2 >= empty_before or not all(cells):
        return rows
    paired = Row(Aspect.STRENGTHS, cells, TRADEOFFS)
    return [paired if row is good else row for row in rows if row is not bad]


def _split_direct(
    entry: Entry,
    sides: Sequence[str],
    terms: Mapping[str, frozenset[str]],
    pools: dict[str, list[Point]],
    contrasts: list[Point],
    labelled: dict[str, Point],
    one_sided: dict[str, list[Point]],
) -> None:
    """A direct comparison's points: one that describes one side goes to that side; one that names
    several sides and sets them against each other is a candidate key distinction. The first point
    labelled with a side's name ("**Recall**: TP/(TP+FN), …") is that side's definition. When the
    question is about one side ("What is GRU and how does it differ from LSTM?"), a point that
    does not open with another side's name is about that side."""
    asked = [s for s in sides if describes(aliased(entry.question, sides), terms[s])]
    lead = asked[0] if len(asked) == 1 else None
    for point in points_of(entry):
        label = _LABEL.match(point.plain)
        if label:
            named = [s for s in sides if names(aliased(label.group(1), sides), terms[s])]
            if len(named) == 1 and named[0] not in labelled:
                labelled[named[0]] = point
                continue
        plain = aliased(point.plain, sides)
        subjects = [s for s in sides if describes(plain, terms[s])]
        named = [s for s in sides if names(plain, terms[s])]
        if len(named) >= 2:
            halves = _parallel_halves(point, sides, terms)
            if halves:  # "Bagging: sample with replacement; Boosting: reweight samples" — one row
                for side, half in halves:
                    pools[side].append(half)
            elif _CONTRAST.search(plain) and not _PRONOUN_START.match(plain):
                contrasts.append(point)  # a sentence that sets the sides against each other
        elif lead is not None and not any(_opens_with(plain, terms[s]) for s in named if s != lead):
            pools[lead].append(point)
            if named and named != [lead] and _CONTRAST.search(plain) and not _PRONOUN_START.match(plain):
                one_sided[lead].append(point)  # "Two gates (vs three in LSTM)"
        elif len(subjects) == 1:
            pools[subjects[0]].append(point)


def _opens_with(text: str, terms: frozenset[str]) -> bool:
    """Does the text name a side first — as its label or in its first words ("LSTM: …", "LSTMs have …")?"""
    label = _LABEL.match(text)
    head = label.group(1) if label else " ".join(text.split()[:3])
    return names(head, terms)


def _parallel_halves(
    point: Point, sides: Sequence[str], terms: Mapping[str, frozenset[str]]
) -> list[tuple[str, Point]]:
    """A point written as one statement per side ("A: x; B: y"), split into its statements (each
    still the bank's own words, cited to the same entry); [] when it is not written so."""
    if point.children or point.kind is not SegmentKind.BULLET:
        return []
    parts = [p.strip() for p in re.split(r";\s+|\s+\|\s+", point.text) if p.strip()]
    if len(parts) < 2:
        return []
    out: list[tuple[str, Point]] = []
    for part in parts:
        named = [s for s in sides if names(aliased(part, sides), terms[s])]
        balanced = part.count("(") == part.count(")") and part.count("[") == part.count("]")
        if len(named) != 1 or not _LABEL.match(part) or not balanced:
            return []
        out.append((named[0], replace(point, text=part)))
    return out if len({side for side, _ in out}) == len(out) else []


def _cells(
    searcher: Searcher,
    side: str,
    pool: Sequence[Point],
    closeness: Mapping[str, float],
    definition: Point | None,
    said: set[str],
    topic: frozenset[str],
    t: Mapping[str, float],
) -> dict[Aspect, list[Point]]:
    """A side's points by aspect: the most relevant of each aspect (a second one when short),
    never a repeat of a point already in the column — the entry that states it again is cited
    beside it instead."""
    pool = list({p.text: p for p in pool if p.tokens <= CELL_TOKENS and p.text not in said}.values())
    if definition is not None and definition.tokens <= CELL_TOKENS and definition not in pool:
        pool.append(definition)
    if not pool:
        return {}
    scores, vectors = relevance(searcher, pool, [side, f"What is {side}?"], closeness)
    order = mmr(scores, vectors, SIDE_CANDIDATES, floor=t["side_floor"])
    aspects = dict(zip(order, classify(searcher, [pool[i] for i in order])))
    out: dict[Aspect, list[Point]] = {}
    taken: list[int] = []
    also: dict[int, list[Entry]] = {}
    checker = SupportChecker(searcher.embed)
    if definition is not None and definition in pool:
        out[Aspect.WHAT] = [definition]
        taken.append(pool.index(definition))
    for i in order:
        aspect = aspects[i]
        cell = out.setdefault(aspect, [])
        room = not cell or (
            aspect is not Aspect.WHAT
            and len(cell) < CELL_POINTS
            and pool[i].tokens <= SECOND_TOKENS
            and float(scores[i]) >= float(scores[pool.index(cell[0])]) - SECOND_SLACK
        )
        if i in taken:
            continue
        earlier = said_again(searcher, pool[i], [pool[k] for k in taken], t, topic) if taken else None
        if earlier is None and taken and float((vectors[taken] @ vectors[i]).max()) >= t["cell_repeat"]:
            earlier = int(np.argmax(vectors[taken] @ vectors[i]))
        if earlier is not None:
            merge_citation(checker, pool[taken[earlier]], pool[i].entry, also.setdefault(taken[earlier], []))
            continue
        if not room:
            continue
        cell.append(pool[i])
        taken.append(i)
    merged = {id(pool[k]): replace(pool[k], also=tuple(es)) for k, es in also.items() if es}
    return {aspect: [merged.get(id(p), p) for p in cell] for aspect, cell in out.items() if cell}


def _key_distinction(
    searcher: Searcher,
    sides: Sequence[str],
    contrasts: Sequence[Point],
    one_sided: Mapping[str, Sequence[Point]],
    closeness: Mapping[str, float],
    t: Mapping[str, float],
) -> tuple[tuple[str | None, Point], ...]:
    """The banks' own statement of the difference, two-sided: one sentence that names the sides
    and sets them against each other (closest to "the difference between A and B"), else one
    contrastive sentence per side; else nothing (a one-sided remark is no distinction)."""
    asked = [f"The difference between {' and '.join(sides)}", " vs ".join(sides)]

    def best(points: Sequence[Point]) -> Point | None:
        pool = list({p.text: p for p in points if p.tokens <= CELL_TOKENS}.values())
        if not pool:
            return None
        scores, _ = relevance(searcher, pool, asked, closeness)
        k = int(np.argmax(scores))
        return pool[k] if float(scores[k]) >= t["side_floor"] else None

    both = best(contrasts)
    if both is not None:
        return ((None, both),)
    each = [(side, best(one_sided.get(side, ()))) for side in sides]
    if all(point is not None for _, point in each):
        return tuple((side, point) for side, point in each if point is not None)
    return ()


# -- bank versions -----------------------------------------------------------------------------------


def plan_versions(searcher: Searcher, best: Entry) -> CompareVersions | None:
    """Each bank's version of `best`'s question, said once; None when no other bank asks it."""
    t = thresholds(searcher)
    group = [best, *searcher.variants(best.id)]
    if len(group) < 2:
        return None
    banks: dict[str, list[Entry]] = {}
    for entry in sorted(group, key=lambda e: (e.bank_file, _number_key(e.number))):
        banks.setdefault(entry.bank_file, []).append(entry)
    answered = {bank: [e for e in entries if e.has_answer] for bank, entries in banks.items()}
    answered = {bank: entries for bank, entries in answered.items() if entries}
    unanswered = tuple(e for e in group if not e.has_answer)
    if not answered:
        return None
    per_bank = {bank: [p for e in entries for p in points_of(e)] for bank, entries in answered.items()}
    # The fullest version is the base; the others follow in bank order.
    order = sorted(answered, key=lambda b: (-len(per_bank[b]), b))
    base_bank, rest = order[0], sorted(order[1:])
    asked = embed(searcher, [best.question])[0]
    base_points = per_bank[base_bank]
    if base_points:
        vectors = embed(searcher, [p.plain for p in base_points])
        picked = sorted(mmr(vectors @ asked, vectors, BASE_POINTS, duplicate=0.9))
        base_points = [base_points[i] for i in picked]
    shown = list(base_points)
    others: list[BankVersion] = []
    for bank in rest:
        points = per_bank[bank]
        adds: list[Point] = []
        if points:
            vectors = embed(searcher, [p.plain for p in points])
            shown_vectors = embed(searcher, [p.plain for p in shown]) if shown else None
            for i in mmr(vectors @ asked, vectors, len(points), duplicate=0.9):
                point = points[i]
                said = shown_vectors is not None and float((shown_vectors @ vectors[i]).max()) >= t["versions_repeat"]
                if said or any(overlap(point.plain, s.plain) >= t["versions_overlap"] for s in shown):
                    continue
                adds.append(point)
                if len(adds) >= ADDS_LIMIT:
                    break
        adds.sort(key=lambda p: p.position)
        shown.extend(adds)
        others.append(BankVersion(bank_label(answered[bank][0]), tuple(answered[bank]), tuple(adds)))
    base = BankVersion(bank_label(answered[base_bank][0]), tuple(answered[base_bank]), tuple(base_points))
    return CompareVersions(best.question.strip(), base, tuple(others), unanswered)


def _number_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in number.split("."))
