"""Bank text as cited markdown: an entry's answer trimmed at a boundary, and single points as
bullets — the pieces answer/render.py lays out."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from answer.points import Point, points_of
from answer.sentences import (
    Cite,
    Segment,
    SegmentKind,
    cite_code,
    cite_line,
    cite_sentence,
    escape_text,
    segments,
)
from ingest.entry import Entry

LOOKUP_BUDGET = 350  # tokens of the best entry's answer shown by a lookup
UNANSWERED_NOTE = " *(asked without an answer)*"


def point_bullet(point: Point, n: Cite, indent: str = "") -> str:
    """A point as a bullet (its nested bullets under it); prose sentences become bullets too."""
    if point.kind is SegmentKind.CODE:
        return cite_code(point.text, n)
    text = point.text.strip()
    if point.kind is SegmentKind.SENTENCE and text.endswith(":") and not point.children:
        text = text[:-1].rstrip() + "."
    lines = [f"{indent}- {cite_line(text, n)}"]
    lines.extend(f"{indent}  - {cite_line(child, n)}" for child in point.children)
    return "\n".join(lines)


def render_answer(
    entry: Entry,
    n: int,
    budget: int = LOOKUP_BUDGET,
    more: Mapping[int, tuple[int, ...]] | None = None,
    skip: Collection[int] = (),
    first: Collection[int] = (),
) -> tuple[str, bool]:
    """An entry's answer as the bank wrote it, cut to `budget` tokens at a sentence, bullet or code
    block boundary (a code block is never cut; a first piece is shown even when over budget).
    `more` adds citation numbers to segments (by index into `segments(entry.answer)`): other
    entries that state the same point; `skip` leaves segments out (a point the answer repeats);
    the top-level bullets in `first` lead their list (what it is and how it works before its
    benefits), each with the bullets nested under it.
    Returns the markdown and whether anything was left out."""
    more = more or {}
    every = segments(entry.answer)
    kept = [k for k, s in enumerate(every) if s.kind is not SegmentKind.HEADING and k not in skip]
    segs = [every[k] for k in kept]
    cites: list[Cite] = [(n, *more[k]) if more.get(k) else n for k in kept]
    parents = {k: j for j, k in enumerate(kept)}
    segs = [s if s.parent is None else replace(s, parent=parents.get(s.parent)) for s in segs]
    shown: list[int] = []
    used = 0
    for k, seg in enumerate(segs):
        cost = seg.tokens
        if shown and used + cost > budget:
            break
        shown.append(k)
        used += cost
    if first:
        shown = _leading(shown, segs, {j for j, k in enumerate(kept) if k in first})
    blocks: list[str] = []
    current: list[str] = []
    kind_of_current = ""
    last_group = -1
    indents: dict[int, str] = {}

    def close() -> None:
        nonlocal current, kind_of_current
        if current:
            blocks.append((" " if kind_of_current == "prose" else "\n").join(current))
        current, kind_of_current = [], ""

    for k in shown:
        seg = segs[k]
        if seg.kind is SegmentKind.CODE:
            close()
            blocks.append(cite_code(seg.text, cites[k]))
        elif seg.kind is SegmentKind.BULLET:
            if kind_of_current != "list":
                close()
                kind_of_current = "list"
            parent = seg.parent
            indent = indents.get(parent, "") + " " * (len(segs[parent].mark) + 1) if parent is not None else ""
            indents[k] = indent
            current.append(f"{indent}{seg.mark} {cite_line(seg.text, cites[k])}")
        else:
            if kind_of_current != "prose" or seg.line != last_group:
                close()
                kind_of_current = "prose"
            current.append(cite_sentence(escape_text(seg.text), cites[k]))
        last_group = seg.line
    close()
    return "\n\n".join(blocks), len(shown) < len(segs)


def _leading(shown: list[int], segs: list[Segment], lead: set[int]) -> list[int]:
    """`shown` with, in each run of bullets, the items in `lead` (and their nested bullets) first."""
    out: list[int] = []
    k = 0
    while k < len(shown):
        if segs[shown[k]].kind is not SegmentKind.BULLET:
            out.append(shown[k])
            k += 1
            continue
        items: list[list[int]] = []
        while k < len(shown) and segs[shown[k]].kind is SegmentKind.BULLET:
            if segs[shown[k]].parent is None or not items:
                items.append([])
            items[-1].append(shown[k])
            k += 1
        items.sort(key=lambda item: item[0] not in lead)  # stable: the bank's order otherwise
        out.extend(j for item in items for j in item)
    return out


def shown_points(entry: Entry, budget: int) -> list[Point]:
    """The points of an entry's answer that `render_answer` shows within `budget` tokens."""
    out: list[Point] = []
    used = 0
    for point in points_of(entry):
        if out and used + point.tokens > budget:
            break
        out.append(point)
        used += point.tokens
    return out
