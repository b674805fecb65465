"""User banks as CSV or JSON Lines: one question per row, with question and answer fields."""

from __future__ import annotations

import csv
import io
import json
import re

from ingest.entry import EntryKind
from ingest.markdown_parser import DraftEntry, ParsedBank, UnparsedLine

QUESTION_FIELDS = ("question", "q", "prompt")
ANSWER_FIELDS = ("answer", "a", "response")


def _pick(row: dict[str, object], names: tuple[str, ...]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for name in names:
        value = lowered.get(name)
        if value is not None:
            return str(value).strip()
    return ""


def _follow_ups(row: dict[str, object]) -> tuple[str, ...]:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    value = lowered.get("follow_ups") or lowered.get("followups") or ""
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


def _draft(row: dict[str, object], line: int, ordinal: int) -> DraftEntry | None:
    question = _pick(row, QUESTION_FIELDS)
    if not question:
        return None
    answer = _pick(row, ANSWER_FIELDS)
    section = _pick(row, ("section", "topic", "category"))
    return DraftEntry(
        number=_pick(row, ("number", "id", "no")) or str(ordinal),
        question=question,
        kind=EntryKind.QA if answer else EntryKind.QUESTION_ONLY,
        section_path=(section,) if section else (),
        line_start=line,
        line_end=line,
        answer=answer,
        follow_ups=_follow_ups(row),
    )


def parse_csv(text: str) -> ParsedBank:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not any(name in header for name in QUESTION_FIELDS):
        return ParsedBank(title=None, entries=[], unparsed=[UnparsedLine(1, "header has no 'question' column")])
    lines = text.split("\n")
    entries: list[DraftEntry] = []
    unparsed: list[UnparsedLine] = []
    previous_end = reader.line_num
    for row in reader:
        # line_num is where the row ends; a quoted field may span lines, and blank lines are skipped.
        end = reader.line_num
        start = previous_end + 1
        while start < end and not lines[start - 1].strip():
            start += 1
        previous_end = end
        draft = _draft(row, start, len(entries) + 1)
        if draft is None:
            unparsed.append(UnparsedLine(start, "row has an empty question"))
        else:
            draft.line_end = end
            entries.append(draft)
    return ParsedBank(title=None, entries=entries, unparsed=unparsed)


LONE_SURROGATE = (
    "holds a lone surrogate escape such as \\ud800, which is not a character; "
    "write the character itself or its full surrogate pair"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(draft: DraftEntry) -> bool:
    # JSON lets "\ud800" through, but no encoder downstream (hashing, tokenizers, SQLite) can take it.
    texts = (draft.number, draft.question, draft.answer, *draft.follow_ups, *draft.section_path)
    return any(_SURROGATE.search(t) for t in texts)


def parse_jsonl(text: str) -> ParsedBank:
    entries: list[DraftEntry] = []
    unparsed: list[UnparsedLine] = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            unparsed.append(UnparsedLine(line_no, "not valid JSON"))
            continue
        except RecursionError:
            unparsed.append(UnparsedLine(line_no, "brackets nested too deeply; flatten the line's structure"))
            continue
        draft = _draft(row, line_no, len(entries) + 1) if isinstance(row, dict) else None
        if draft is None:
            unparsed.append(UnparsedLine(line_no, "no 'question' field"))
        elif _has_lone_surrogate(draft):
            unparsed.append(UnparsedLine(line_no, LONE_SURROGATE))
        else:
            entries.append(draft)
    return ParsedBank(title=None, entries=entries, unparsed=unparsed)
