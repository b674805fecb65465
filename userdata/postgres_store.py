"""The shared backend: PostgreSQL at QBANK_DATABASE_URL, through psycopg 3.

One connection per operation (replicas hold none open between requests). The schema is created
under a transaction-level advisory lock, so replicas starting together do not race on
CREATE TABLE IF NOT EXISTS (which is not safe to run concurrently in PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from psycopg.conninfo import conninfo_to_dict

from userdata.sql_base import SqlUserStore
from userdata.store import utc

SCHEMA_LOCK = 7_151_302_212  # any constant shared by every qbank replica
CONNECT_TIMEOUT = 10


class PostgresStore(SqlUserStore):
    timestamp_type = "TIMESTAMPTZ"
    serial_type = "BIGSERIAL PRIMARY KEY"
    real_type = "DOUBLE PRECISION"
    placeholder = "%s"
    driver_errors = (psycopg.Error, OSError)
    fix_hint = "check that the server is up and QBANK_DATABASE_URL is right"

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> str:
        try:
            info = conninfo_to_dict(self.url)
        except psycopg.Error:
            return "PostgreSQL at an unreadable QBANK_DATABASE_URL"
        where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        return f"PostgreSQL at {where}"  # never the password

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT) as conn:
            yield conn

    def _prepare(self, conn: psycopg.Connection) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        # Databases from before thumbs-down comments gain the column (a no-op on new ones).
        conn.execute("ALTER TABLE IF EXISTS feedback ADD COLUMN IF NOT EXISTS comment TEXT NOT NULL DEFAULT ''")

    def _to_db(self, moment: datetime) -> datetime:
        return utc(moment)
