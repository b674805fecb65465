"""The user-data store: what the app and the CLI may ask of it, and which backend serves it.

Keys: a user key (DEFAULT_USER until the app knows its users) and a bank entry id. Practice
progress is shaped for spaced repetition with the `fsrs` package: a card's state is the JSON of
`fsrs.Card.to_dict()` with its due time beside it (so "what is due" is a query), each grading is a
review row (rating 1–4 as fsrs's Again/Hard/Good/Easy, the time, the grader's score), and
bookmarks are entry ids. Times are timezone-aware and stored as UTC.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from userdata.errors import UserDataError

DEFAULT_USER = "local"
EXPORT_FORMAT = "qbank-userdata"
EXPORT_VERSION = 1
RATINGS = (1, 2, 3, 4)  # fsrs.Rating: Again, Hard, Good, Easy


@dataclass(frozen=True)
class FeedbackRow:
    session: str
    message: int
    created_at: datetime
    rating: int  # 1 thumbs up, 0 thumbs down
    query: str
    standalone_query: str
    entry_ids: tuple[str, ...]
    composer: str
    status: str
    user_key: str = DEFAULT_USER
    comment: str = ""  # what a thumbs-down says was wrong, when the user wrote it


@dataclass(frozen=True)
class CardState:
    user_key: str
    entry_id: str
    card: dict  # fsrs.Card.to_dict()
    due: datetime
    updated_at: datetime  # the review that produced this state


@dataclass(frozen=True)
class Review:
    user_key: str
    entry_id: str
    rating: int
    reviewed_at: datetime
    grade_score: float | None  # the practice grader's score in [0, 1], when there was one


@dataclass(frozen=True)
class Bookmark:
    user_key: str
    entry_id: str
    created_at: datetime


@dataclass(frozen=True)
class ImportCounts:
    cards: int
    reviews: int
    bookmarks: int
    feedback: int


class UserStore(Protocol):
    def describe(self) -> str:
        """Where the data lives, for messages (never a password)."""
        ...

    # -- feedback on answers
    def record_feedback(
        self,
        *,
        session: str,
        message: int,
        rating: int | None,
        query: str,
        standalone_query: str = "",
        entry_ids: Sequence[str] = (),
        composer: str = "offline",
        status: str = "",
        user_key: str = DEFAULT_USER,
        comment: str = "",
    ) -> None:
        """Store (or replace) the rating of one answer (and its comment); `rating=None` removes it."""
        ...

    def feedback(self, user_key: str | None = None) -> list[FeedbackRow]: ...

    # -- practice progress
    def record_review(
        self,
        user_key: str,
        entry_id: str,
        *,
        rating: int,
        reviewed_at: datetime,
        grade_score: float | None = None,
        card: Mapping | None = None,
        due: datetime | None = None,
    ) -> None:
        """Log one grading and, with `card`/`due`, make that the entry's card state — in one
        transaction. A card state older than the stored one never overwrites it."""
        ...

    def card(self, user_key: str, entry_id: str) -> CardState | None: ...

    def cards(self, user_key: str) -> list[CardState]: ...

    def due_cards(self, user_key: str, now: datetime, limit: int = 50) -> list[CardState]: ...

    def reviews(self, user_key: str, entry_id: str | None = None) -> list[Review]: ...

    def set_bookmark(self, user_key: str, entry_id: str, on: bool = True) -> None: ...

    def bookmarks(self, user_key: str) -> list[Bookmark]: ...

    # -- moving a user's data between stores
    def export_user(self, user_key: str) -> dict: ...

    def import_user(self, data: Mapping, user_key: str | None = None) -> ImportCounts: ...


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise UserDataError(f"time {moment.isoformat()} has no time zone; give an aware datetime")
    return moment.astimezone(UTC)


def check_rating(rating: int) -> int:
    if rating not in RATINGS:
        raise UserDataError(f"a review rating is 1 (again) to 4 (easy), not {rating!r}")
    return int(rating)


def default_sqlite_path() -> Path:
    """QBANK_USER_DB, or the older QBANK_FEEDBACK_DB, or data/userdata.sqlite3 of the checkout."""
    for name in ("QBANK_USER_DB", "QBANK_FEEDBACK_DB"):
        if os.environ.get(name):
            return Path(os.environ[name])
    return Path(__file__).resolve().parent.parent / "data" / "userdata.sqlite3"


def open_store() -> UserStore:
    """PostgreSQL when QBANK_DATABASE_URL says so (shared by app replicas), else SQLite."""
    url = os.environ.get("QBANK_DATABASE_URL", "").strip()
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise UserDataError("QBANK_DATABASE_URL must be a postgresql:// URL (or unset, for the SQLite file)")
        from userdata.postgres_store import PostgresStore

        return PostgresStore(url)
    from userdata.sqlite_store import SQLiteStore

    return SQLiteStore(default_sqlite_path())
