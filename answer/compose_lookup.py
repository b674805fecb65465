"""Lookup: the best entry's answer (trimmed at a boundary, code kept whole), then the other
relevant entries as "also in the bank" pointers."""

from __future__ import annotations

from collections.abc import Sequence

from answer.citations import where
from answer.compose_base import LOOKUP_BUDGET, Draft, render_answer
from answer.points import points_of
from answer.sentences import SegmentKind, cite_line
from ingest.entry import Entry

ALSO_LIMIT = 4
GIST_TOKENS = 45  # an "also" pointer shows its answer's first point when it is this short


def compose_lookup(draft: Draft, primary: Entry, also: Sequence[Entry], budget: int = LOOKUP_BUDGET) -> None:
    n = draft.cite(primary)
    draft.title(primary)
    body, trimmed = render_answer(primary, n, budget)
    draft.add(body)
    if trimmed:
        draft.notices.append(
            f"The answer of {where(primary)} was shortened to about {budget} tokens; the full text is in source [{n}]."
        )
    also_in_bank(draft, [e for e in also if e.id != primary.id])


def also_in_bank(draft: Draft, entries: Sequence[Entry], title: str = "Also in the bank") -> None:
    lines: list[str] = []
    for entry in entries[:ALSO_LIMIT]:
        lines.append(draft.pointer(entry))
        gist = next(iter(points_of(entry)), None)
        if gist is not None and gist.kind is not SegmentKind.CODE and gist.tokens <= GIST_TOKENS and not gist.children:
            text = gist.text.strip()
            text = text[:-1].rstrip() + "." if text.endswith(":") else text
            lines.append(f"  - {cite_line(text, draft.cite(entry))}")
    if lines:
        draft.heading(title)
        draft.add("\n".join(lines))
