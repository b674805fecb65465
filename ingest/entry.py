"""The one record type that flows from ingest to the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EntryKind(StrEnum):
    QA = "qa"  # a question with its answer
    QUESTION_ONLY = "question_only"  # a question the bank leaves unanswered (may carry follow-ups)
    SCENARIO = "scenario"  # a scenario Q/A nested inside a parent entry


@dataclass(frozen=True, slots=True)
class Location:
    """Where an entry stands in a bank file (1-based, inclusive line numbers)."""

    file: str
    line_start: int
    line_end: int
    section_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    bank_file: str
    bank_title: str
    section_path: tuple[str, ...]
    number: str
    question: str
    answer: str
    follow_ups: tuple[str, ...]
    kind: EntryKind
    parent_id: str | None
    line_start: int
    line_end: int
    token_count: int
    # Every place this exact entry appears; the first is the primary one above.
    locations: tuple[Location, ...] = field(default=())

    @property
    def has_answer(self) -> bool:
        return bool(self.answer.strip())

    @property
    def section(self) -> str:
        return " › ".join(self.section_path)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "file": self.bank_file,
            "bank_title": self.bank_title,
            "section_path": list(self.section_path),
            "number": self.number,
            "question": self.question,
            "answer": self.answer,
            "follow_ups": list(self.follow_ups),
            "kind": self.kind.value,
            "parent_id": self.parent_id,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "token_count": self.token_count,
            "locations": [
                {
                    "file": loc.file,
                    "line_start": loc.line_start,
                    "line_end": loc.line_end,
                    "section_path": list(loc.section_path),
                }
                for loc in self.locations
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        return cls(
            id=data["id"],
            bank_file=data["file"],
            bank_title=data["bank_title"],
            section_path=tuple(data["section_path"]),
            number=data["number"],
            question=data["question"],
            answer=data["answer"],
            follow_ups=tuple(data["follow_ups"]),
            kind=EntryKind(data["kind"]),
            parent_id=data["parent_id"],
            line_start=data["line_start"],
            line_end=data["line_end"],
            token_count=data["token_count"],
            locations=tuple(
                Location(
                    file=loc["file"],
                    line_start=loc["line_start"],
                    line_end=loc["line_end"],
                    section_path=tuple(loc["section_path"]),
                )
                for loc in data["locations"]
            ),
        )
