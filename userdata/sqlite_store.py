"""The embedded backend: one SQLite file (QBANK_USER_DB), nothing to install or run.

WAL mode lets a reader and a writer work at once; a busy file is waited for (30 s) rather than
failing. Files written by the older ui/feedback_store.py (a feedback table without user_key)
gain the column in place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from userdata.sql_base import SqlUserStore


class SQLiteStore(SqlUserStore):
    driver_errors = (sqlite3.Error, OSError)
    fix_hint = "set QBANK_USER_DB to a writable file (or QBANK_DATABASE_URL to a PostgreSQL server)"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"the SQLite user database {self.path}"

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
        if columns and "user_key" not in columns:
            conn.execute("ALTER TABLE feedback ADD COLUMN user_key TEXT NOT NULL DEFAULT 'local'")
        if columns and "comment" not in columns:  # files from before thumbs-down comments
            conn.execute("ALTER TABLE feedback ADD COLUMN comment TEXT NOT NULL DEFAULT ''")
