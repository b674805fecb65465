"""A 2-D picture of every entry: its question vector projected onto the two principal axes.

PCA (numpy eigen-decomposition of the covariance of the centred question vectors), computed once per loaded index and
kept on the index object (the projection depends only on the vectors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.units import UnitKind


@dataclass(frozen=True)
class TopicMap:
    ids: tuple[str, ...]  # entry ids, in index order
    xy: np.ndarray  # (n, 2) float32, one row per entry
    explained: tuple[float, float]  # share of variance on each axis

    def position(self, entry_id: str) -> tuple[float, float]:
        row = self.ids.index(entry_id)
        return float(self.xy[row, 0]), float(self.xy[row, 1])


def question_vectors(index) -> np.ndarray:
    """One vector per entry (its question unit), in entry order."""
    rows = np.flatnonzero(index.unit_kind == UnitKind.QUESTION.value)
    by_entry = {int(index.unit_entry[row]): int(row) for row in rows}
    every = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    vectors = np.zeros((len(index.entries), every.shape[1]), dtype=np.float32)
    for ordinal in range(len(index.entries)):
        row = by_entry.get(ordinal)
        if row is not None:
            vectors[ordinal] = every[row]
    return vectors


def project(vectors: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """PCA to two dimensions; the sign of each axis is fixed so that the picture is stable.

    The axes are the top eigenvectors of the (d × d) covariance, which is much cheaper than an
    SVD of the (n × d) matrix when there are more entries than dimensions.
    """
    if len(vectors) == 0:
        return np.zeros((0, 2), dtype=np.float32), (0.0, 0.0)
    centred = vectors.astype(np.float64) - vectors.mean(axis=0, keepdims=True)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1][:2]
    axes = eigenvectors[:, order].T.copy()
    if axes.shape[0] < 2:
        axes = np.vstack([axes, np.zeros((2 - axes.shape[0], vectors.shape[1]))])
    for axis in axes:
        if axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1
    xy = centred @ axes.T
    total = float(np.clip(eigenvalues, 0, None).sum()) or 1.0
    top = [float(max(eigenvalues[i], 0.0) / total) for i in order] + [0.0, 0.0]
    return xy.astype(np.float32), (top[0], top[1])


_CACHE: dict[tuple[str, str, int], TopicMap] = {}
_CACHE_SIZE = 4


def topic_map(searcher) -> TopicMap:
    """The map of the searcher's index, computed on first use and then reused."""
    index = searcher.index
    key = (str(index.path), index.manifest.corpus_fingerprint, int(index.vectors.ntotal))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    xy, explained = project(question_vectors(index))
    result = TopicMap(ids=tuple(e.id for e in index.entries), xy=xy, explained=explained)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = result
    return result
