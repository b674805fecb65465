"""Rendering a plan: pure functions from a plan to markdown whose every claim is cited.

Framing words live only in headings and labels; everything else is bank text (an answer's
sentences and bullets, or a question) followed by the marker of the entry it came from. Citation
numbers follow the order in which the page first cites an entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from answer.aspects import ASPECT_LABELS
from answer.citations import CitationRegistry, where
from answer.compose_base import point_bullet, render_answer
from answer.plan import CompareConcepts, CompareVersions, Explain, Lookup, NotCovered, Plan, Unanswered
from answer.points import Point, points_of
from answer.sentences import Cite, SegmentKind, cite_line, escape_cell, escape_text, marker
from answer.types import Citation, CompareSide
from ingest.entry import Entry

ALSO_LIMIT = 4
GIST_TOKENS = 45  # an "also" pointer shows its answer's first point when it is this short
NOT_COVERED = (
    "The interview banks do not cover this question, so there is no answer to compose from them "
    "(qbank does not stitch answers together from loosely related entries)."
)
UNANSWERED_NOTE = " *(asked without an answer)*"


@dataclass(frozen=True, slots=True)
class Rendered:
    markdown: str
    citations: tuple[Citation, ...]
    compare: tuple[CompareSide, ...] = ()
    notices: tuple[str, ...] = ()
    suggestions: tuple[Entry, ...] = ()


@dataclass
class _Page:
    """The page being written by one `render` call (local to it: rendering stays pure)."""

    registry: CitationRegistry = field(default_factory=CitationRegistry)
    blocks: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    compare: list[CompareSide] = field(default_factory=list)

    def cite(self, entry: Entry) -> int:
        return self.registry.cite(entry)

    def cites(self, point: Point) -> Cite:
        """The point's citation: its entry's number, and those of the entries merged into it."""
        numbers = tuple(self.cite(e) for e in point.sources)
        return numbers[0] if len(numbers) == 1 else numbers

    def heading(self, text: str, level: int = 4) -> None:
        self.blocks.append(f"{'#' * level} {' '.join(text.split())}")

    def add(self, markdown: str) -> None:
        if markdown.strip():
            self.blocks.append(markdown.rstrip())

    def question(self, entry: Entry, suffix: str = "") -> str:
        return f"- {escape_text(entry.question.strip())}{suffix} {marker(self.cite(entry))}"

    def pointer(self, entry: Entry) -> str:
        return self.question(entry, "" if entry.has_answer else UNANSWERED_NOTE)


def render(plan: Plan) -> Rendered:
    page = _Page()
    suggestions: tuple[Entry, ...] = ()
    if isinstance(plan, NotCovered):
        _not_covered(page, plan)
        suggestions = plan.suggestions
    elif isinstance(plan, Unanswered):
        _unanswered(page, plan)
    else:
        _body(page, plan)
    return Rendered(
        markdown="\n\n".join(page.blocks).strip(),
        citations=page.registry.citations(),
        compare=tuple(page.compare),
        notices=tuple(page.notices),
        suggestions=suggestions,
    )


def _body(page: _Page, plan: Lookup | Explain | CompareConcepts | CompareVersions) -> None:
    if isinstance(plan, Lookup):
        _lookup(page, plan)
    elif isinstance(plan, Explain):
        _explain(page, plan)
    elif isinstance(plan, CompareConcepts):
        _concepts(page, plan)
    else:
        _versions(page, plan)


def _not_covered(page: _Page, plan: NotCovered) -> None:
    page.heading("Not covered by the banks")
    page.add(NOT_COVERED)
    if plan.suggestions:
        page.heading("Nearest questions in the banks")
        page.add("\n".join(f"- {escape_text(e.question.strip())} *({where(e)})*" for e in plan.suggestions))


def _unanswered(page: _Page, plan: Unanswered) -> None:
    if plan.body is not None:
        _body(page, plan.body)
        if page.registry.number(plan.asked) is None:
            page.add(_also_asked_line(page, (plan.asked,)))
        return
    page.heading("Asked in the bank without an answer")
    page.add(page.question(plan.asked, f" *({where(plan.asked)})*"))
    if plan.related:
        page.heading("Related questions in the banks")
        page.add("\n".join(page.pointer(e) for e in plan.related))


def _title(page: _Page, entry: Entry) -> None:
    """The question an answer answers, as a heading carrying its marker."""
    page.heading(f"{escape_text(entry.question.strip())} {marker(page.cite(entry))}")


def _lookup(page: _Page, plan: Lookup) -> None:
    if plan.heading:
        page.heading(plan.heading)
    n = page.cite(plan.primary)
    _title(page, plan.primary)
    body, trimmed = render_answer(plan.primary, n, plan.budget)
    page.add(body)
    if trimmed:
        page.notices.append(
            f"The answer of {where(plan.primary)} was shortened to about {plan.budget} tokens; "
            f"the full text is in source [{n}]."
        )
    lines: list[str] = []
    for entry in plan.also[:ALSO_LIMIT]:
        lines.append(page.pointer(entry))
        gist = next(iter(points_of(entry)), None)
        if gist is not None and gist.kind is not SegmentKind.CODE and gist.tokens <= GIST_TOKENS and not gist.children:
            text = gist.text.strip()
            text = text[:-1].rstrip() + "." if text.endswith(":") else text
            lines.append(f"  - {cite_line(text, page.cite(entry))}")
    if lines:
        page.heading("Also in the bank")
        page.add("\n".join(lines))


def _explain(page: _Page, plan: Explain) -> None:
    n = page.cite(plan.core)
    _title(page, plan.core)
    more = {k: tuple(page.cite(e) for e in entries) for k, entries in plan.core_also}
    body, _ = render_answer(plan.core, n, plan.core_budget, more, plan.core_skip, plan.core_first)
    page.add(body)
    if plan.extra:
        page.heading("More from the banks")
        lines = [point_bullet(p, page.cites(p)) for p in plan.extra if p.entry.id not in plan.context]
        for entry_id in plan.context:  # a narrower case: its question, then what it says
            points = [p for p in plan.extra if p.entry.id == entry_id]
            lines.append(page.question(points[0].entry))
            lines.extend(point_bullet(p, page.cites(p), indent="  ") for p in points)
        page.add("\n".join(lines))
    if plan.further:
        page.heading("Go deeper")
        page.add("\n".join(page.pointer(e) for e in plan.further))
    if plan.also_asked:
        page.add(_also_asked_line(page, plan.also_asked))


def _also_asked_line(page: _Page, entries: tuple[Entry, ...]) -> str:
    """One compact line for questions asked without an answer: where, each cited."""
    places = ", ".join(f"{where(e)} {marker(page.cite(e))}" for e in entries)
    return f"*Also asked without an answer in:* {places}"


def _cell(page: _Page, points: tuple[Point, ...]) -> str:
    if not points:
        return "—"
    return "; ".join(f"{escape_cell(p.flat)} {marker(page.cites(p))}" for p in points)


def _label(side: str) -> str:
    return side[:1].upper() + side[1:]


def _concepts(page: _Page, plan: CompareConcepts) -> None:
    labels = [_label(s) for s in plan.sides]
    page.heading(" vs ".join(labels))
    header = "| Aspect | " + " | ".join(escape_cell(label) for label in labels) + " |"
    rule = "| --- | " + " | ".join("---" for _ in labels) + " |"
    rows = [
        f"| **{row.label or ASPECT_LABELS[row.aspect]}** | " + " | ".join(_cell(page, c) for c in row.cells) + " |"
        for row in plan.rows
    ]
    page.add("\n".join([header, rule, *rows]))
    if len(plan.key) == 1 and plan.key[0][0] is None:
        point = plan.key[0][1]
        page.add(f"**Key distinction:** {escape_text(point.flat)} {marker(page.cites(point))}")
    elif plan.key:
        page.heading("Key distinction", level=5)
        page.add(
            "\n".join(
                f"- **{escape_text(_label(side or ''))}:** {escape_text(p.flat)} {marker(page.cites(p))}"
                for side, p in plan.key
            )
        )
    for s, label in enumerate(labels):
        cited = tuple((p.flat, page.cite(p.entry)) for row in plan.rows for p in row.cells[s])
        page.compare.append(CompareSide(label=label, points=cited))
    if plan.missing:
        page.notices.append(f"The banks have no answered entry about {', '.join(_label(s) for s in plan.missing)}.")
    if plan.direct:
        page.heading("Compared directly in the bank")
        page.add("\n".join(page.pointer(e) for e in plan.direct))


def _versions(page: _Page, plan: CompareVersions) -> None:
    page.heading(f"How the banks answer: {escape_text(plan.question)}")
    base = plan.base
    page.heading(f"{base.label}: {', '.join(where(e) for e in base.entries)}", level=5)
    page.add("\n".join(point_bullet(p, page.cites(p)) for p in base.points))
    page.compare.append(CompareSide(base.label, tuple((p.flat, page.cite(p.entry)) for p in base.points)))
    for version in plan.others:
        page.heading(f"{version.label} adds", level=5)
        if version.points:
            page.add("\n".join(point_bullet(p, page.cites(p)) for p in version.points))
        else:
            first = version.entries[0]
            page.add(f"*Nothing beyond the above:* {where(first)} {marker(page.cite(first))}")
        cited = tuple((p.flat, page.cite(p.entry)) for p in version.points)
        page.compare.append(CompareSide(version.label, cited, unique_points=cited))
    if plan.unanswered:
        page.add(_also_asked_line(page, plan.unanswered))
