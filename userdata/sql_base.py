"""The UserStore in SQL that SQLite and PostgreSQL both speak; each backend supplies connections,
column types, time conversion and the errors of its driver.

Every write is one transaction of upserts (`INSERT … ON CONFLICT`), so replicas writing at once
never lose or duplicate a row: the last rating of an answer wins, a review is logged once however
often it is imported, and a card state only moves forward in time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from userdata.errors import UserDataError
from userdata.store import (
    DEFAULT_USER,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    Bookmark,
    CardState,
    FeedbackRow,
    ImportCounts,
    Review,
    check_rating,
    utc,
)

log = logging.getLogger(__name__)
MAX_COMMENT = 2000  # characters of a thumbs-down comment that are kept

# {ts}: the backend's timestamp column type, {serial}: its auto-increment key, {real}: a float column.
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS feedback (
        session TEXT NOT NULL,
        message INTEGER NOT NULL,
        created_at {ts} NOT NULL,
        rating INTEGER NOT NULL,
        query TEXT NOT NULL,
        standalone_query TEXT NOT NULL,
        entry_ids TEXT NOT NULL,
        composer TEXT NOT NULL,
        status TEXT NOT NULL,
        user_key TEXT NOT NULL DEFAULT 'local',
        comment TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (session, message))""",
    """CREATE TABLE IF NOT EXISTS practice_cards (
        user_key TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        card TEXT NOT NULL,
        due {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        PRIMARY KEY (user_key, entry_id))""",
    "CREATE INDEX IF NOT EXISTS practice_cards_due ON practice_cards (user_key, due)",
    """CREATE TABLE IF NOT EXISTS practice_reviews (
        id {serial},
        user_key TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        reviewed_at {ts} NOT NULL,
        grade_score {real},
        UNIQUE (user_key, entry_id, reviewed_at))""",
    """CREATE TABLE IF NOT EXISTS bookmarks (
        user_key TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        created_at {ts} NOT NULL,
        PRIMARY KEY (user_key, entry_id))""",
)

_FEEDBACK_COLUMNS = (
    "session, message, created_at, rating, query, standalone_query, entry_ids, composer, status, user_key, comment"
)
_CARD_COLUMNS = "user_key, entry_id, card, due, updated_at"
_REVIEW_COLUMNS = "user_key, entry_id, rating, reviewed_at, grade_score"


class SqlUserStore:
    timestamp_type = "TEXT"
    serial_type = "INTEGER PRIMARY KEY AUTOINCREMENT"
    real_type = "REAL"
    placeholder = "?"
    driver_errors: tuple[type[BaseException], ...] = (OSError,)
    fix_hint = ""
    _ready: ClassVar[set[str]] = set()  # stores whose schema this process has already made sure of

    # -- what a backend provides ------------------------------------------------------------------

    def describe(self) -> str:
        raise NotImplementedError

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """An open connection inside one transaction: committed on success, rolled back on error."""
        raise NotImplementedError
        yield

    def _prepare(self, conn: Any) -> None:
        """Backend steps before the shared schema (locks, pragmas, migrations of old files)."""

    def _to_db(self, moment: datetime) -> Any:
        return utc(moment).isoformat(timespec="microseconds")

    def _from_db(self, value: Any) -> datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    # -- plumbing ---------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            with self._connection() as conn:
                if self.describe() not in self._ready:
                    self._prepare(conn)
                    for statement in SCHEMA:
                        self._run(
                            conn, statement.format(ts=self.timestamp_type, serial=self.serial_type, real=self.real_type)
                        )
                yield conn
            self._ready.add(self.describe())
        except self.driver_errors as exc:
            log.warning("user data store %s failed", self.describe(), exc_info=True)
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserDataError(f"{self.describe()}: {detail}; {self.fix_hint}") from None

    def _run(self, conn: Any, sql: str, params: Sequence = ()) -> Any:
        return conn.execute(sql.replace("?", self.placeholder) if self.placeholder != "?" else sql, tuple(params))

    def _now(self) -> datetime:
        return datetime.now(UTC)

    # -- feedback ---------------------------------------------------------------------------------

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
        with self._transaction() as conn:
            if rating is None:
                self._run(conn, "DELETE FROM feedback WHERE session = ? AND message = ?", (session, message))
                return
            row = FeedbackRow(
                session, message, self._now(), int(rating), query, standalone_query or query, tuple(entry_ids),
                composer, status, user_key, " ".join(comment.split())[:MAX_COMMENT],
            )  # fmt: skip
            self._upsert_feedback(conn, row)

    def _upsert_feedback(self, conn: Any, row: FeedbackRow) -> None:
        self._run(
            conn,
            f"INSERT INTO feedback ({_FEEDBACK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (session, message) DO UPDATE SET created_at = excluded.created_at, "
            "rating = excluded.rating, query = excluded.query, standalone_query = excluded.standalone_query, "
            "entry_ids = excluded.entry_ids, composer = excluded.composer, status = excluded.status, "
            "user_key = excluded.user_key, comment = excluded.comment",
            (
                row.session, row.message, self._to_db(row.created_at), row.rating, row.query, row.standalone_query,
                json.dumps(list(row.entry_ids)), row.composer, row.status, row.user_key, row.comment,
            ),
        )  # fmt: skip

    def feedback(self, user_key: str | None = None) -> list[FeedbackRow]:
        where, params = ("WHERE user_key = ?", (user_key,)) if user_key is not None else ("", ())
        with self._transaction() as conn:
            rows = self._run(
                conn, f"SELECT {_FEEDBACK_COLUMNS} FROM feedback {where} ORDER BY created_at, session, message", params
            ).fetchall()
        return [
            FeedbackRow(r[0], int(r[1]), self._from_db(r[2]), int(r[3]), r[4], r[5], tuple(json.loads(r[6])), *r[7:])
            for r in rows
        ]

    # -- practice ---------------------------------------------------------------------------------

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
        review = Review(user_key, entry_id, check_rating(rating), utc(reviewed_at), grade_score)
        state = None
        if card is not None:
            if due is None:
                raise UserDataError("a card state needs its due time")
            state = CardState(user_key, entry_id, dict(card), utc(due), review.reviewed_at)
        with self._transaction() as conn:
            self._insert_review(conn, review)
            if state is not None:
                self._upsert_card(conn, state)

    def _insert_review(self, conn: Any, review: Review) -> int:
        cursor = self._run(
            conn,
            f"INSERT INTO practice_reviews ({_REVIEW_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_key, entry_id, reviewed_at) DO NOTHING",
            (review.user_key, review.entry_id, review.rating, self._to_db(review.reviewed_at), review.grade_score),
        )
        return max(cursor.rowcount, 0)

    def _upsert_card(self, conn: Any, state: CardState) -> int:
        cursor = self._run(
            conn,
            f"INSERT INTO practice_cards ({_CARD_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (user_key, entry_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
            "updated_at = excluded.updated_at WHERE practice_cards.updated_at <= excluded.updated_at",
            (
                state.user_key, state.entry_id, json.dumps(state.card, sort_keys=True), self._to_db(state.due),
                self._to_db(state.updated_at),
            ),
        )  # fmt: skip
        return max(cursor.rowcount, 0)

    def _cards(self, where: str, params: Sequence, tail: str = "") -> list[CardState]:
        with self._transaction() as conn:
            rows = self._run(
                conn, f"SELECT {_CARD_COLUMNS} FROM practice_cards WHERE {where} {tail}", params
            ).fetchall()
        return [CardState(r[0], r[1], json.loads(r[2]), self._from_db(r[3]), self._from_db(r[4])) for r in rows]

    def card(self, user_key: str, entry_id: str) -> CardState | None:
        found = self._cards("user_key = ? AND entry_id = ?", (user_key, entry_id))
        return found[0] if found else None

    def cards(self, user_key: str) -> list[CardState]:
        return self._cards("user_key = ?", (user_key,), "ORDER BY due, entry_id")

    def due_cards(self, user_key: str, now: datetime, limit: int = 50) -> list[CardState]:
        return self._cards(
            "user_key = ? AND due <= ?", (user_key, self._to_db(now), int(limit)), "ORDER BY due LIMIT ?"
        )

    def reviews(self, user_key: str, entry_id: str | None = None) -> list[Review]:
        where, params = "user_key = ?", [user_key]
        if entry_id is not None:
            where, params = where + " AND entry_id = ?", [*params, entry_id]
        with self._transaction() as conn:
            rows = self._run(
                conn, f"SELECT {_REVIEW_COLUMNS} FROM practice_reviews WHERE {where} ORDER BY reviewed_at, id", params
            ).fetchall()
        return [Review(r[0], r[1], int(r[2]), self._from_db(r[3]), r[4]) for r in rows]

    # -- bookmarks --------------------------------------------------------------------------------

    def set_bookmark(self, user_key: str, entry_id: str, on: bool = True) -> None:
        with self._transaction() as conn:
            if on:
                self._insert_bookmark(conn, Bookmark(user_key, entry_id, self._now()))
            else:
                self._run(conn, "DELETE FROM bookmarks WHERE user_key = ? AND entry_id = ?", (user_key, entry_id))

    def _insert_bookmark(self, conn: Any, bookmark: Bookmark) -> int:
        cursor = self._run(
            conn,
            "INSERT INTO bookmarks (user_key, entry_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_key, entry_id) DO NOTHING",
            (bookmark.user_key, bookmark.entry_id, self._to_db(bookmark.created_at)),
        )
        return max(cursor.rowcount, 0)

    def bookmarks(self, user_key: str) -> list[Bookmark]:
        with self._transaction() as conn:
            rows = self._run(
                conn,
                "SELECT user_key, entry_id, created_at FROM bookmarks WHERE user_key = ? ORDER BY created_at, entry_id",
                (user_key,),
            ).fetchall()
        return [Bookmark(r[0], r[1], self._from_db(r[2])) for r in rows]

    # -- export / import --------------------------------------------------------------------------

    def export_user(self, user_key: str) -> dict:
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "user": user_key,
            "exported_at": self._now().isoformat(),
            "cards": [
                {
                    "entry_id": c.entry_id,
                    "card": c.card,
                    "due": c.due.isoformat(),
                    "updated_at": c.updated_at.isoformat(),
                }
                for c in self.cards(user_key)
            ],
            "reviews": [
                {
                    "entry_id": r.entry_id,
                    "rating": r.rating,
                    "reviewed_at": r.reviewed_at.isoformat(),
                    "grade_score": r.grade_score,
                }
                for r in self.reviews(user_key)
            ],
            "bookmarks": [
                {"entry_id": b.entry_id, "created_at": b.created_at.isoformat()} for b in self.bookmarks(user_key)
            ],
            "feedback": [
                {
                    "session": f.session,
                    "message": f.message,
                    "created_at": f.created_at.isoformat(),
                    "rating": f.rating,
                    "query": f.query,
                    "standalone_query": f.standalone_query,
                    "entry_ids": list(f.entry_ids),
                    "composer": f.composer,
                    "status": f.status,
                    "comment": f.comment,
                }
                for f in self.feedback(user_key)
            ],
        }

    def import_user(self, data: Mapping, user_key: str | None = None) -> ImportCounts:
        from userdata.export_format import parse_export

        parsed = parse_export(data, user_key)
        with self._transaction() as conn:
            counts = ImportCounts(
                cards=sum(self._upsert_card(conn, c) for c in parsed.cards),
                reviews=sum(self._insert_review(conn, r) for r in parsed.reviews),
                bookmarks=sum(self._insert_bookmark(conn, b) for b in parsed.bookmarks),
                feedback=len(parsed.feedback),
            )
            for row in parsed.feedback:
                self._upsert_feedback(conn, row)
        return counts
