"""Embeddings keyed by (embedder, text) hash, kept beside the index so rebuilds re-embed only what changed.

The cache is only a speed-up: every failure to open, read or write it is logged and the build
goes on without it (index/embed_pipeline.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
# Texts derived from an entry by a model's tokenizer (the e5 cut): with them cached, an unchanged
# rebuild needs neither the tokenizer nor the model.
_TEXTS_SCHEMA = "CREATE TABLE IF NOT EXISTS texts (key TEXT PRIMARY KEY, text TEXT NOT NULL)"
_LOOKUP_CHUNK = 500  # keys per SELECT … IN (…): well under SQLite's limit on bound parameters


def cache_key(embedder: str, text: str) -> str:
    return hashlib.sha256(f"{embedder}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30)
        try:
            self._conn.execute(_SCHEMA)
        except sqlite3.DatabaseError:
            # A damaged cache is only a lost speed-up: start a fresh one.
            self._conn.close()
            path.unlink(missing_ok=True)
            self._conn = sqlite3.connect(path, timeout=30)
            self._conn.execute(_SCHEMA)
        try:
            self._conn.execute(_TEXTS_SCHEMA)
            self._texts = True
        except sqlite3.OperationalError:  # an older cache in a read-only folder: vectors only
            self._texts = False

    def close(self) -> None:
        self._conn.close()

    def lookup(self, keys: Sequence[str], dimension: int) -> Iterator[tuple[str, np.ndarray]]:
        """(key, vector) for the cached ones among `keys`, streamed (rows of another dimension are skipped)."""
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (dimension,):
                    yield key, vector

    def store(self, rows: Iterable[tuple[str, np.ndarray]]) -> None:
        """Write rows in one transaction: a build killed mid-way keeps every committed batch."""
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                ((key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in rows),
            )

    def lookup_texts(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        if not self._texts:
            return found
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(self._conn.execute(f"SELECT key, text FROM texts WHERE key IN ({marks})", chunk))
        return found

    def store_texts(self, rows: Iterable[tuple[str, str]]) -> None:
        if not self._texts:
            return
        with self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO texts VALUES (?, ?)", rows)

    def count(self) -> int:
        return self._conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
