"""Thumbs up/down on answers, kept in SQLite with the query and the entries the answer cited.

The file is `QBANK_FEEDBACK_DB` if set, else `data/feedback.sqlite3` of the checkout. One row per
(session, message): changing a rating replaces it, clearing it deletes it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    session TEXT NOT NULL,
    message INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL,          -- 1 thumbs up, 0 thumbs down
    query TEXT NOT NULL,
    standalone_query TEXT NOT NULL,
    entry_ids TEXT NOT NULL,          -- JSON list of the cited entry ids, in citation order
    composer TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (session, message)
)
"""


@dataclass(frozen=True)
class FeedbackRow:
    session: str
    message: int
    created_at: str
    rating: int
    query: str
    standalone_query: str
    entry_ids: tuple[str, ...]
    composer: str
    status: str


def default_feedback_path() -> Path:
    override = os.environ.get("QBANK_FEEDBACK_DB")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data" / "feedback.sqlite3"


class FeedbackStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or default_feedback_path())

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(SCHEMA)
        return conn

    def record(
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
    ) -> None:
        """Store (or replace) the rating of one answer; `rating=None` removes it."""
        conn = self._connect()
        try:
            with conn:
                if rating is None:
                    conn.execute("DELETE FROM feedback WHERE session = ? AND message = ?", (session, message))
                    return
                conn.execute(
                    "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session,
                        message,
                        datetime.now(UTC).isoformat(timespec="seconds"),
                        int(rating),
                        query,
                        standalone_query or query,
                        json.dumps(list(entry_ids)),
                        composer,
                        status,
                    ),
                )
        finally:
            conn.close()

    def rows(self) -> list[FeedbackRow]:
        if not self.path.exists():
            return []
        conn = self._connect()
        try:
            found = conn.execute("SELECT * FROM feedback ORDER BY created_at, session, message").fetchall()
        finally:
            conn.close()
        return [
            FeedbackRow(
                session=r[0],
                message=r[1],
                created_at=r[2],
                rating=r[3],
                query=r[4],
                standalone_query=r[5],
                entry_ids=tuple(json.loads(r[6])),
                composer=r[7],
                status=r[8],
            )
            for r in found
        ]
