"""Embeddings keyed by (embedder, text) hash, kept beside the index so rebuilds re-embed only what changed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from index.embedder import Embedder


def _key(embedder: str, text: str) -> str:
    return hashlib.sha256(f"{embedder}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path)
        try:
            self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        except sqlite3.DatabaseError:
            # A damaged cache is only a lost speed-up: start a fresh one.
            self._conn.close()
            path.unlink(missing_ok=True)
            self._conn = sqlite3.connect(path)
            self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def close(self) -> None:
        self._conn.close()

    def embed(self, embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, int]:
        """Vectors for texts, computing only those not cached; also returns how many were computed."""
        keys = [_key(embedder.name, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (embedder.dimension,):
                    found[key] = vector
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
        if missing:
            vectors = embedder.embed([t for _, t in missing])
            rows = [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(missing, vectors)]
            self._conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            self._conn.commit()
            found.update({k: v for (k, _), v in zip(missing, vectors)})
        matrix = np.stack([found[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
        return matrix.astype(np.float32), len(missing)
