"""The topic map of a loaded index: every entry's 2-D position and its topic (cluster and name).

Both are computed at index time (index/clusters.py, topics.json). An index from before topics
gets the same projection computed on first use, with every entry in one unnamed topic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from index.clusters import Topic, project
from index.units import UnitKind


@dataclass(frozen=True)
class TopicMap:
    ids: tuple[str, ...]  # entry ids, in index order
    xy: np.ndarray  # (n, 2) float32, one row per entry
    labels: np.ndarray  # (n,) topic id per entry
    topics: tuple[Topic, ...]
    label_xy: np.ndarray  # (k, 2) where each topic's name is drawn: a free spot near its centre

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


LABEL_CLEARANCE = 0.025  # of the map's width/height: no point this close to a topic's marker
LABEL_SPACING = (0.22, 0.045)  # (x, y) share of the map two names keep apart, so their text does not collide
LABEL_GRID = 80
MAX_LABEL_SHIFT = 0.25  # of the map: how far a name may move from its topic's centre


def label_positions(xy: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """A spot per topic for its clickable name: the free grid point nearest the topic's median.

    "Free" means no entry point within LABEL_CLEARANCE (a click there picks the topic, not a
    question: the map's hover takes the nearest point) and no other name within LABEL_SPACING.
    Bigger topics choose first; a topic with no free spot left keeps its median.
    """
    if len(xy) == 0 or k == 0:
        return np.zeros((k, 2), dtype=np.float32)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    unit = (xy - low) / span
    gx, gy = np.meshgrid(np.linspace(0, 1, LABEL_GRID), np.linspace(0, 1, LABEL_GRID))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    nearest, _ = cKDTree(unit).query(grid)  # each grid point's distance to the nearest entry
    free = nearest >= LABEL_CLEARANCE
    spacing = np.array(LABEL_SPACING)
    placed: dict[int, np.ndarray] = {}
    sizes = np.bincount(labels, minlength=k)
    for topic in np.argsort(-sizes, kind="stable").tolist():
        members = unit[labels == topic]
        centre = np.median(members, axis=0) if len(members) else np.full(2, 0.5)
        distance = np.sqrt(((grid - centre) ** 2).sum(-1))
        spot = centre
        for row in np.argsort(distance):
            if distance[row] > MAX_LABEL_SHIFT:
                break  # any farther and the name no longer reads as this topic's
            if not free[row]:
                continue
            if any((np.abs(grid[row] - other) < spacing).all() for other in placed.values()):
                continue
            spot = grid[row]
            break
        placed[topic] = spot
    return (np.array([placed[t] for t in range(k)]) * span + low).astype(np.float32)


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
        xy, labels, topics = index.topics.xy, index.topics.labels, index.topics.topics
        result = TopicMap(ids, xy, labels, topics, label_positions(xy, labels, len(topics)))
    else:
        labels = np.zeros(len(ids), dtype=np.int64)
        whole = Topic(0, "all questions", (), len(ids))
        xy = project(question_vectors(index))
        result = TopicMap(ids, xy, labels, (whole,), label_positions(xy, labels, 1))
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = result
    return result
