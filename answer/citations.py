"""Citation numbers for composed answers, the sources list, and the checks that keep them honest."""

from __future__ import annotations

from dataclasses import dataclass, field

from answer.sentences import claim_units
from answer.types import Citation
from ingest.entry import Entry


@dataclass
class CitationRegistry:
    """Numbers entries in the order the answer first cites them: [1] is the first source shown."""

    _numbers: dict[str, int] = field(default_factory=dict)
    _entries: list[Entry] = field(default_factory=list)

    def cite(self, entry: Entry) -> int:
        if entry.id not in self._numbers:
            self._entries.append(entry)
            self._numbers[entry.id] = len(self._entries)
        return self._numbers[entry.id]

    def number(self, entry: Entry) -> int | None:
        return self._numbers.get(entry.id)

    def citations(self) -> tuple[Citation, ...]:
        return tuple(Citation(n, e) for n, e in enumerate(self._entries, start=1))


def bank_short(entry: Entry) -> str:
    """The bank's number as its file names it ("000", "004"), or the file stem."""
    stem = entry.bank_file.rsplit(".", 1)[0]
    head = stem.split("_", 1)[0]
    return head if head.isdigit() else stem


def bank_label(entry: Entry, width: int = 40) -> str:
    """A short human name for a bank: its title (shortened) and its number."""
    title = entry.bank_title.strip()
    stem = entry.bank_file.rsplit(".", 1)[0]
    short = bank_short(entry)
    if not title or title == stem:
        return f"bank {short}"
    if len(title) > width:
        title = title[: width - 1].rsplit(" ", 1)[0].rstrip(" ,:;-(") + "…"
    return f"{title} ({short})"


def where(entry: Entry) -> str:
    """ "004 #105" — enough to find an entry by eye."""
    return f"{bank_short(entry)} #{entry.number}"


def source_fields(citation: Citation) -> dict[str, object]:
    """One row of the sources list, for any renderer."""
    entry = citation.entry
    return {
        "n": citation.n,
        "id": entry.id,
        "bank_title": entry.bank_title,
        "file": entry.bank_file,
        "section": entry.section,
        "number": entry.number,
        "question": entry.question,
        "line_start": entry.line_start,
        "line_end": entry.line_end,
        "answered": entry.has_answer,
    }


def source_line(citation: Citation) -> str:
    """`[1] Bank title (file) › section · #12 · lines 40–52 — Question?`"""
    entry = citation.entry
    parts = [f"{entry.bank_title} ({entry.bank_file})"]
    if entry.section:
        parts.append(entry.section)
    start, end = entry.line_start, entry.line_end
    lines = f"line {start}" if start == end else f"lines {start}–{end}"
    unanswered = " (no answer in this bank)" if not entry.has_answer else ""
    return f"[{citation.n}] {' › '.join(parts)} · #{entry.number} · {lines} — {entry.question}{unanswered}"


@dataclass(frozen=True, slots=True)
class CitationReport:
    dangling: tuple[int, ...]  # markers that point at no listed source
    unused: tuple[int, ...]  # listed sources no marker points at
    uncited: tuple[str, ...]  # claims (sentences, bullets, cells, code) that carry no marker

    @property
    def ok(self) -> bool:
        return not (self.dangling or self.unused or self.uncited)


def check_citations(markdown: str, citations: tuple[Citation, ...]) -> CitationReport:
    listed = {c.n for c in citations}
    claims = claim_units(markdown)
    used = {n for claim in claims for n in claim.markers}  # code contents are not scanned: x[0] is no marker
    return CitationReport(
        dangling=tuple(sorted(used - listed)),
        unused=tuple(sorted(listed - used)),
        uncited=tuple(c.text for c in claims if not c.markers),
    )
