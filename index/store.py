"""The SQLite side of the index: entries, units, a BM25 keyword index (FTS5) and variants."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from index.units import Unit, plain_text
from ingest.entry import Entry

STORE_FILE = "entries.sqlite3"

_SCHEMA = """
CREATE TABLE entries (ordinal INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, record TEXT NOT NULL);
CREATE TABLE units (row INTEGER PRIMARY KEY, ordinal INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE variants (ordinal INTEGER NOT NULL, variant INTEGER NOT NULL, similarity REAL NOT NULL,
                       PRIMARY KEY (ordinal, variant));
CREATE TABLE vocabulary (word TEXT PRIMARY KEY, frequency INTEGER NOT NULL);
CREATE VIRTUAL TABLE entries_fts USING fts5(question, answer, follow_ups, section, tokenize='porter unicode61');
"""

# BM25 column weights: a word in the question says more about the entry than one in its answer.
FTS_WEIGHTS = (4.0, 1.0, 2.0, 0.5)

# Loading checks the keyword index: in full (a copy in memory) up to this size, by probes above it.
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024
PROBE_WORDS = 8

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def write_store(
    path: Path,
    entries: Sequence[Entry],
    units: Sequence[Unit],
    variants: Sequence[tuple[int, int, float]],
) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_SCHEMA)
        conn.executemany(
            "INSERT INTO entries VALUES (?, ?, ?)",
            ((i, e.id, json.dumps(e.to_dict(), ensure_ascii=False)) for i, e in enumerate(entries)),
        )
        conn.executemany(
            "INSERT INTO units VALUES (?, ?, ?, ?)",
            ((row, u.entry_index, u.kind.value, u.text) for row, u in enumerate(units)),
        )
        conn.executemany("INSERT INTO variants VALUES (?, ?, ?)", variants)
        conn.executemany(
            "INSERT INTO entries_fts(rowid, question, answer, follow_ups, section) VALUES (?, ?, ?, ?, ?)",
            (
                (i, e.question, plain_text(e.answer), " ".join(e.follow_ups), " ".join(e.section_path))
                for i, e in enumerate(entries)
            ),
        )
        frequency: dict[str, int] = {}
        for entry in entries:
            for word in words(f"{entry.question} {entry.answer} {' '.join(entry.follow_ups)}"):
                frequency[word] = frequency.get(word, 0) + 1
        conn.executemany("INSERT INTO vocabulary VALUES (?, ?)", frequency.items())
        conn.commit()
    finally:
        conn.close()


class Store:
    """Read side. Opened read-only so a running app can never damage the index it serves."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def close(self) -> None:
        self._conn.close()

    def entries(self) -> list[Entry]:
        rows = self._conn.execute("SELECT record FROM entries ORDER BY ordinal").fetchall()
        return [Entry.from_dict(json.loads(record)) for (record,) in rows]

    def units(self) -> list[tuple[int, str, str]]:
        return self._conn.execute("SELECT ordinal, kind, text FROM units ORDER BY row").fetchall()

    def variants(self) -> list[tuple[int, int, float]]:
        return self._conn.execute("SELECT ordinal, variant, similarity FROM variants").fetchall()

    def vocabulary(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT word, frequency FROM vocabulary").fetchall())

    def check_keyword_index(self) -> None:
        """Raise sqlite3.DatabaseError when the FTS5 keyword index is damaged, so that loading
        refuses the index instead of queries failing (or silently finding nothing) later.

        FTS5's own 'integrity-check' is a write statement, refused on this read-only connection:
        a store small enough is copied into memory and checked there; every store is probed with
        its most frequent words, each of which must find an entry."""
        path = self._conn.execute("PRAGMA database_list").fetchone()[2]
        if path and Path(path).stat().st_size <= FULL_CHECK_MAX_BYTES:
            memory = sqlite3.connect(":memory:")
            try:
                self._conn.backup(memory)
                memory.execute("INSERT INTO entries_fts(entries_fts) VALUES('integrity-check')")
            finally:
                memory.close()
        probes = self._conn.execute(
            "SELECT word FROM vocabulary WHERE word GLOB '[a-z]*' AND word NOT GLOB '*[^a-z]*' "
            "ORDER BY frequency DESC LIMIT ?",
            (PROBE_WORDS,),
        ).fetchall()
        for (word,) in probes:
            found = self._conn.execute(
                "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? LIMIT 1", ('"' + word + '"',)
            ).fetchone()
            if found is None:
                raise sqlite3.DatabaseError(f"the keyword index finds no entry for {word!r}, a word many entries hold")

    def keyword_search(self, terms: Sequence[str], limit: int) -> list[tuple[int, float]]:
        """(entry ordinal, BM25 score — higher is better) for entries matching any of the terms."""
        if not terms:
            return []
        # Each term is quoted, so nothing a user types can become FTS5 query syntax.
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        weights = ", ".join(str(w) for w in FTS_WEIGHTS)
        rows = self._conn.execute(
            f"SELECT rowid, bm25(entries_fts, {weights}) AS rank FROM entries_fts "
            "WHERE entries_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(rowid, -rank) for rowid, rank in rows]
