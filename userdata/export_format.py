"""Reading a user-data export (`UserStore.export_user`) back, checking every field on the way:
an import is all or nothing, and a file that is not a qbank export says what is wrong with it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from userdata.errors import UserDataError
from userdata.store import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    Bookmark,
    CardState,
    FeedbackRow,
    Review,
    check_rating,
    utc,
)


@dataclass(frozen=True)
class ParsedExport:
    cards: list[CardState]
    reviews: list[Review]
    bookmarks: list[Bookmark]
    feedback: list[FeedbackRow]


def _field(row: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(row, Mapping) or name not in row:
        raise UserDataError(f"not a qbank export: {where} has no {name!r}")
    value = row[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UserDataError(f"not a qbank export: {where}.{name} is {value!r}")
    return value


def _time(row: Any, name: str, where: str) -> datetime:
    text = _field(row, name, str, where)
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise UserDataError(f"not a qbank export: {where}.{name} is not an ISO time: {text!r}") from None


def _rows(data: Mapping, name: str, make: Callable[[Any, str], Any]) -> list:
    rows = data.get(name, [])
    if not isinstance(rows, list):
        raise UserDataError(f"not a qbank export: {name} is not a list")
    return [make(row, f"{name}[{i}]") for i, row in enumerate(rows)]


def parse_export(data: Any, user_key: str | None = None) -> ParsedExport:
    """The rows of an export, for `user_key` (default: the user it was exported from)."""
    if not isinstance(data, Mapping) or data.get("format") != EXPORT_FORMAT:
        raise UserDataError(f"not a qbank export: the file's format is not {EXPORT_FORMAT!r}")
    if data.get("version") != EXPORT_VERSION:
        raise UserDataError(f"export version {data.get('version')!r}; this qbank reads version {EXPORT_VERSION}")
    user = user_key or _field(data, "user", str, "the export")
    score_kind = (int, float, type(None))
    return ParsedExport(
        cards=_rows(
            data,
            "cards",
            lambda r, w: CardState(
                user, _field(r, "entry_id", str, w), dict(_field(r, "card", Mapping, w)), _time(r, "due", w),
                _time(r, "updated_at", w),
            ),
        ),
        reviews=_rows(
            data,
            "reviews",
            lambda r, w: Review(
                user, _field(r, "entry_id", str, w), check_rating(_field(r, "rating", int, w)),
                _time(r, "reviewed_at", w), _field(r, "grade_score", score_kind, w),
            ),
        ),
        bookmarks=_rows(
            data, "bookmarks", lambda r, w: Bookmark(user, _field(r, "entry_id", str, w), _time(r, "created_at", w))
        ),
        feedback=_rows(
            data,
            "feedback",
            lambda r, w: FeedbackRow(
                _field(r, "session", str, w), _field(r, "message", int, w), _time(r, "created_at", w),
                _field(r, "rating", int, w), _field(r, "query", str, w), _field(r, "standalone_query", str, w),
                tuple(_field(r, "entry_ids", list, w)), _field(r, "composer", str, w), _field(r, "status", str, w),
                user, _field(r, "comment", str, w) if isinstance(r, Mapping) and "comment" in r else "",
            ),
        ),
    )  # fmt: skip
