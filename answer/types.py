"""What answering hands to its callers: an answer that carries its citations."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ingest.entry import Entry
from retrieval.types import SearchResult


class Intent(StrEnum):
    LOOKUP = "lookup"
    EXPLAIN = "explain"
    COMPARE = "compare"


class AnswerStatus(StrEnum):
    ANSWERED = "answered"  # composed from bank entries, every claim cited
    NOT_COVERED = "not_covered"  # retrieval found nothing that answers it; suggestions only
    UNANSWERED_IN_BANK = "unanswered_in_bank"  # best match has no answer; answered from related entries
    REJECTED = "rejected"  # empty, payload-only or hostile query: a clear message, no bank dump


@dataclass(frozen=True, slots=True)
class Citation:
    n: int  # the number used in the answer text as [n]
    entry: Entry


@dataclass(frozen=True, slots=True)
class CompareSide:
    """One column of a comparison: a concept or one bank's version of a question."""

    label: str
    points: tuple[tuple[str, int], ...]  # (key point, citation number)
    unique_points: tuple[tuple[str, int], ...] = ()  # what this side adds that the others lack


@dataclass(frozen=True)
class Answer:
    query: str
    intent: Intent
    status: AnswerStatus
    markdown: str  # the answer with inline [n] markers
    citations: tuple[Citation, ...]
    suggestions: tuple[Entry, ...] = ()  # nearest entries when the bank does not cover the query
    compare: tuple[CompareSide, ...] = ()  # filled for compare answers, for side-by-side views
    notices: tuple[str, ...] = field(default=())  # e.g. "the LLM backend failed; offline answer shown"
    composer: str = "offline"  # "offline" or the LLM backend's name
    search: SearchResult | None = None

    @property
    def found(self) -> bool:
        return self.status in (AnswerStatus.ANSWERED, AnswerStatus.UNANSWERED_IN_BANK)
