"""The topic map of a loaded index: every entry's 2-D position and its topic (cluster and name).

Both are computed at index time (index/clusters.py, topics.json). An index from before topics
gets the same projection computed on first use, with every entry in one unnamed topic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.clusters import Topic, project
from index.units import UnitKind


@dataclass(frozen=True)
class TopicMap:
    ids: tuple[str, ...]  # entry ids, in index order
    xy: np.ndarray  # (n, 2) float32, one row per entry
    labels: np.ndarray  # (n,) topic id per entry
    topics: tuple[Topic, ...]

    def position(self, entry_id: str) -> tuple[float, float]:
        row = self.ids.index(entry_id)
        return float(self.xy[row, 0]), float(self.xy[row, 1])

    def topic_of(self, entry_id: str) -> Topic:
        return self.topics[int(self.labels[self.ids.index(entry_id)])]

    def members(self, topic_ids) -> frozenset[str]:
        """The ids of the entries in any of the topics."""
        wanted = {int(t) for t in topic_ids}
        return frozenset(entry_id for entry_id, label in zip(self.ids, self.labels.tolist()) if label in wanted)

    def centre(self, topic_id: int) -> tuple[float, float]:
        """Where a topic's name is drawn: the median of its points (robust to a few strays)."""
        rows = self.xy[self.labels == topic_id]
        return float(np.median(rows[:, 0])), float(np.median(rows[:, 1]))


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


_CACHE: dict[tuple[str, str, int], TopicMap] = {}
_CACHE_SIZE = 4


def topic_map(searcher) -> TopicMap:
    """The map of the searcher's index (read from the index, or computed once for an old one)."""
    index = searcher.index
    key = (str(index.path), index.manifest.corpus_fingerprint, int(index.vectors.ntotal))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    ids = tuple(e.id for e in index.entries)
    if index.topics is not None:
        result = TopicMap(ids=ids, xy=index.topics.xy, labels=index.topics.labels, topics=index.topics.topics)
    else:
        labels = np.zeros(len(ids), dtype=np.int64)
        whole = Topic(0, "all questions", (), len(ids))
        result = TopicMap(ids=ids, xy=project(question_vectors(index)), labels=labels, topics=(whole,))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = result
    return result
