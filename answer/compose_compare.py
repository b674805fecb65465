"""Compare: concepts side by side ("LoRA vs prefix tuning"), or one question as each bank answers it.

Concepts: each side's key points come from entries that compare the sides directly (a point that
names one side only belongs to that side) and from a search for the side itself; a table sets them
side by side, each cell cited, and what the direct comparisons add is listed below it.

Bank versions: the best-matching question and its variants in the other banks; each bank's answer
is a column, and what each bank says that no other does is listed per bank.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from answer.citations import bank_label, where
from answer.compose_base import Draft, point_bullet, render_answer
from answer.evidence import embed, mmr, related_hits, relevance
from answer.points import Point, points_of
from answer.sentences import SegmentKind, escape_cell, escape_text, marker
from answer.terms import distinct_terms, mentions, names, overlap
from answer.types import CompareSide
from ingest.entry import Entry
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult

SIDE_POINTS = 4  # rows of the concept table
SIDE_ENTRIES = 2  # entries a side search contributes
SIDE_SEARCH_K = 6
SIDE_MIN_SIMILARITY = 0.55  # a side-search hit that does not name the side must be this close
DIRECT_CLOSENESS = 1.0  # entries that contrast the sides explain the difference best
DIRECT_LIMIT = 3
BANK_POINTS = 4  # rows of the bank-versions table
UNIQUE_SIMILARITY = 0.72  # a point this close to another bank's point is said by both
UNIQUE_OVERLAP = 0.6  # …as is one whose content words mostly appear in another bank's point
UNIQUE_LIMIT = 3


# -- concepts ------------------------------------------------------------------------------------


_COMPARE_CUE = re.compile(
    r"(?i)\b(?:differ\w*|vs\.?|versus|compar\w*|better|worse|prefer\w*|than|approaches|types|kinds|methods|"
    r"techniques|trade-?offs?|pros|cons|choose|choosing|choice|similar\w*|contrast\w*)\b"
)
# "… than batch norm", "(vs batch norm across batch)", "unlike RNNs": the side named after these is
# the one contrasted with, not the one described.
_CONTRASTED = re.compile(
    r"(?i)\b(?:than|vs\.?|versus|unlike|instead\s+of|rather\s+than|compared\s+(?:to|with)|as\s+opposed\s+to)\b[^,;:)(]*"
)


def describes(text: str, terms: frozenset[str]) -> bool:
    """Does the text name a side as its subject (not only as the thing it is contrasted with)?"""
    return names(_CONTRASTED.sub(" ", text), terms)


def names_all(sides: Sequence[str], text: str) -> bool:
    terms = distinct_terms(sides)
    return all(names(text, terms[side]) for side in sides)


def direct_entries(searcher: Searcher, result: SearchResult, sides: Sequence[str]) -> list[Entry]:
    """Entries that compare the sides themselves: their question names every side, or (near the
    top, for a question that asks for a comparison or a survey) their answer does; with their
    versions in other banks."""
    found: dict[str, Entry] = {}
    for rank, hit in enumerate(related_hits(result)):
        entry = hit.entry
        by_answer = rank < 5 and entry.has_answer and bool(_COMPARE_CUE.search(entry.question))
        if names_all(sides, entry.question) or (by_answer and names_all(sides, f"{entry.question}\n{entry.answer}")):
            found.setdefault(entry.id, entry)
            for variant in searcher.variants(entry.id):
                if names_all(sides, variant.question):
                    found.setdefault(variant.id, variant)
    return list(found.values())


def side_entries(
    searcher: Searcher, side: str, exclude: set[str], filters: SearchFilters | None
) -> list[tuple[Entry, float]]:
    """Answered entries about one side, with their closeness: a search for the side, keeping hits
    that name it (or are very close to it)."""
    result = searcher.search(f"What is {side}?", k=SIDE_SEARCH_K, filters=filters)
    out: list[tuple[Entry, float]] = []
    for hit in result.hits:
        entry = hit.entry
        if entry.id in exclude or not entry.has_answer:
            continue
        if mentions(entry.question, side) or hit.dense_score >= SIDE_MIN_SIMILARITY:
            out.append((entry, hit.dense_score))
        if len(out) >= SIDE_ENTRIES:
            break
    return out


def _side_points(
    searcher: Searcher,
    side: str,
    others: Sequence[str],
    direct: Sequence[Entry],
    own: Sequence[tuple[Entry, float]],
    taken: set[str],
) -> list[Point]:
    """Up to SIDE_POINTS points about `side`: from the direct comparisons, the points that name this
    side and no other; from the side's own entries, the points that name no other side. Never a
    point another column already shows."""
    terms = distinct_terms([side, *others])
    mine, theirs = terms[side], [terms[o] for o in others]
    candidates: list[Point] = []
    closeness: dict[str, float] = {}
    for entry in direct:
        closeness[entry.id] = DIRECT_CLOSENESS
        for point in points_of(entry):
            if describes(point.plain, mine) and not any(describes(point.plain, t) for t in theirs):
                candidates.append(point)
    if len(candidates) >= SIDE_POINTS:
        own = ()  # the direct comparisons say enough about this side
    for entry, score in own:
        closeness.setdefault(entry.id, score)
        # An entry whose question names another side is about that side. One about this side lends
        # any point that names no other side; one about something broader, only the points that
        # name this side in full ("batch norm", not just "batch").
        if any(names(entry.question, t) for t in theirs):
            continue
        about_side = mentions(entry.question, side)
        for point in points_of(entry):
            if any(names(point.plain, t) for t in theirs) or not (about_side or mentions(point.plain, side)):
                continue
            candidates.append(point)
    candidates = [p for p in candidates if p.text not in taken]
    if not candidates:
        return []
    scores, vectors = relevance(searcher, candidates, [side, f"What is {side}?"], closeness)
    chosen = mmr(scores, vectors, SIDE_POINTS, floor=0.15)
    return [candidates[i] for i in chosen]


def compose_concepts(
    draft: Draft,
    searcher: Searcher,
    result: SearchResult,
    sides: Sequence[str],
    filters: SearchFilters | None = None,
    shown: Sequence[Entry] = (),
) -> bool:
    """The side-by-side table of concepts; False when no side has any point to show. Entries in
    `shown` are already on the page and are not listed again as direct comparisons."""
    direct = direct_entries(searcher, result, sides)
    direct_answered = [e for e in direct if e.has_answer]
    exclude = {e.id for e in direct}
    columns: list[list[Point]] = []
    taken: set[str] = set()
    for side in sides:
        others = [s for s in sides if s != side]
        own = side_entries(searcher, side, exclude, filters)
        column = _side_points(searcher, side, others, direct_answered, own, taken)
        taken.update(p.text for p in column)
        columns.append(column)
    if not any(columns):
        return False

    header = "| " + " | ".join(escape_cell(_label(s)) for s in sides) + " |"
    rule = "| " + " | ".join("---" for _ in sides) + " |"
    rows: list[str] = []
    cited: list[list[tuple[str, int]]] = [[] for _ in sides]
    for r in range(max(len(c) for c in columns)):
        cells = []
        for s, column in enumerate(columns):
            if r < len(column):
                point = column[r]
                n = draft.cite(point.entry)
                cells.append(f"{escape_cell(point.flat)} {marker(n)}")
                cited[s].append((point.flat, n))
            else:
                cells.append("—")
        rows.append("| " + " | ".join(cells) + " |")
    draft.heading(" vs ".join(_label(s) for s in sides))
    draft.add("\n".join([header, rule, *rows]))
    draft.compare.extend(CompareSide(label=_label(s), points=tuple(cited[i])) for i, s in enumerate(sides))
    missing = [_label(s) for s, column in zip(sides, columns) if not column]
    if missing:
        draft.notices.append(f"The banks have no answered entry about {', '.join(missing)}.")

    used = {p.text for column in columns for p in column}
    already = {e.id for e in shown}
    _direct_section(draft, [e for e in direct if e.id not in already], used, sides)
    return True


def _direct_section(draft: Draft, direct: Sequence[Entry], used: set[str], sides: Sequence[str]) -> None:
    """Entries that compare the sides, each with what it says beyond the table: points that name a
    side (or, for an answer that is only code, the code)."""
    lines: list[str] = []
    for entry in direct[:DIRECT_LIMIT]:
        if not entry.has_answer:
            lines.append(draft.pointer(entry))
            continue
        lines.append(draft.question(entry))
        n = draft.cite(entry)
        points = points_of(entry, code=True)
        only_code = all(p.kind is SegmentKind.CODE for p in points)
        extra = [
            p for p in points if p.text not in used and (only_code or any(mentions(p.plain, side) for side in sides))
        ][:3]
        for point in extra:
            if point.kind is SegmentKind.CODE:
                lines.append("")
                lines.append(point_bullet(point, n))
                lines.append("")
            else:
                lines.append(point_bullet(point, n, indent="  "))
    if lines:
        draft.heading("Compared directly in the bank")
        draft.add("\n".join(lines).strip())


def _label(side: str) -> str:
    return side[:1].upper() + side[1:]


# -- bank versions -----------------------------------------------------------------------------------


def compose_bank_versions(draft: Draft, searcher: Searcher, best: Entry) -> bool:
    """Each bank's version of `best`'s question side by side and what each adds; False when only
    one version exists."""
    group = [best, *searcher.variants(best.id)]
    if len(group) < 2:
        return False
    banks: dict[str, list[Entry]] = {}
    for entry in sorted(group, key=lambda e: (e.bank_file, _number_key(e.number))):
        banks.setdefault(entry.bank_file, []).append(entry)
    answered = {bank: [e for e in entries if e.has_answer] for bank, entries in banks.items()}
    answered = {bank: entries for bank, entries in answered.items() if entries}
    unanswered = [e for e in group if not e.has_answer]

    per_bank: dict[str, list[Point]] = {}
    for bank, entries in answered.items():
        per_bank[bank] = [p for e in entries for p in points_of(e)]
    all_points = [p for points in per_bank.values() for p in points]
    if all_points:
        vectors = embed(searcher, [p.plain for p in all_points])
        asked = embed(searcher, [best.question])[0]
    offsets: dict[str, tuple[int, int]] = {}
    start = 0
    for bank, points in per_bank.items():
        offsets[bank] = (start, start + len(points))
        start += len(points)

    columns: dict[str, list[int]] = {}
    for bank, (lo, hi) in offsets.items():
        if hi == lo:
            continue
        local = mmr(vectors[lo:hi] @ asked, vectors[lo:hi], BANK_POINTS + UNIQUE_LIMIT, duplicate=0.9)
        columns[bank] = [lo + i for i in local]

    unique: dict[str, list[int]] = {}
    for bank, chosen in columns.items():
        lo, hi = offsets[bank]
        others = [i for i in range(len(all_points)) if not lo <= i < hi]
        keep = []
        for i in chosen:
            if not others:
                break
            similarity = vectors[others] @ vectors[i]
            nearest = all_points[others[int(np.argmax(similarity))]]
            said_elsewhere = float(similarity.max()) >= UNIQUE_SIMILARITY
            if not said_elsewhere and overlap(all_points[i].plain, nearest.plain) < UNIQUE_OVERLAP:
                keep.append(i)
        unique[bank] = keep[:UNIQUE_LIMIT]

    labels = {bank: bank_label(entries[0]) for bank, entries in banks.items()}
    draft.heading(f"How the banks answer: {best.question.strip()}")
    if columns:
        order = list(columns)
        shown = {bank: columns[bank][:BANK_POINTS] for bank in order}
        header = "| " + " | ".join(escape_cell(labels[b]) for b in order) + " |"
        rule = "| " + " | ".join("---" for _ in order) + " |"
        rows = []
        for r in range(max(len(v) for v in shown.values())):
            cells = []
            for bank in order:
                if r < len(shown[bank]):
                    point = all_points[shown[bank][r]]
                    cells.append(f"{escape_cell(point.flat)} {marker(draft.cite(point.entry))}")
                else:
                    cells.append("—")
            rows.append("| " + " | ".join(cells) + " |")
        draft.add("\n".join([header, rule, *rows]))
        adds: list[str] = []
        for bank in order:
            if unique.get(bank):
                adds.append(f"##### {labels[bank]}")
                points = [all_points[i] for i in unique[bank]]
                adds.append("\n".join(point_bullet(p, draft.cite(p.entry)) for p in points))
        if adds:
            draft.heading("What each bank adds")
            draft.add("\n\n".join(adds))
        for bank in order:
            draft.compare.append(
                CompareSide(
                    label=labels[bank],
                    points=tuple((all_points[i].flat, draft.cite(all_points[i].entry)) for i in shown[bank]),
                    unique_points=tuple((all_points[i].flat, draft.cite(all_points[i].entry)) for i in unique[bank]),
                )
            )
    if unanswered:
        draft.heading("Asked without an answer in")
        draft.add(
            "\n".join(f"- {escape_text(e.question.strip())} *({where(e)})* {marker(draft.cite(e))}" for e in unanswered)
        )
    return True


def compose_single_version(draft: Draft, entry: Entry) -> None:
    n = draft.cite(entry)
    draft.heading(f"Only {bank_label(entry)} has this question")
    draft.title(entry)
    body, _ = render_answer(entry, n)
    draft.add(body)


def _number_key(number: str) -> tuple[int, ...]:
    parts = []
    for part in number.split("."):
        parts.append(int(part) if part.isdigit() else 0)
    return tuple(parts)
