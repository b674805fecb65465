"""Topics of the banks, computed at index time: entries clustered by meaning, each cluster named by
its most distinctive words, and a 2-D position per entry for the topic map.

- clusters: k-means on the L2-normalised question vectors (so Euclidean distance ranks like cosine);
  k is the one with the best silhouette over a range of candidates, not a hand-picked number. The
  range starts at MIN_CLUSTERS because a map needs enough regions to be read as a map.
- names: class-based TF-IDF (c-TF-IDF) over the questions of each cluster — a term's frequency in
  its cluster times log(1 + average cluster size in words / its frequency over all clusters) — so
  a name holds the words that set the cluster apart, not words every question uses.
- positions: t-SNE of the vectors (after PCA to 30 dimensions), which keeps neighbours together and
  pulls topics apart, so the map reads as regions; seeded, so the same vectors give the same map.
  Very small corpora (where t-SNE has too few neighbours to work with) get the PCA plane instead.

Everything is written as JSON beside the index (topics.json); no pickle.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from textkit.words import content_words, stem

TOPICS_FILE = "topics.json"
TOPICS_VERSION = 1
# Bumped whenever clustering, naming or placing changes: a rebuild reuses the previous index's topics
# only when they were made by this method from the same questions by the same embedder.
TOPICS_METHOD = 2
MIN_CLUSTERS = 8
MAX_CLUSTERS = 24
K_STEP = 2  # candidates 8, 10, … 24: neighbouring k differ little, and each fit costs a second
MIN_CLUSTER_SIZE = 12  # k never exceeds n / this, so that small corpora get few, readable clusters
NAME_TERMS = 3
SEED = 7  # k-means starts from a fixed seed: the same vectors always give the same topics
SILHOUETTE_SAMPLE = 2000  # the silhouette of a larger corpus is estimated on a fixed sample
# Above this many entries, k-means and t-SNE run on a fixed, seeded sample of this size and every
# other entry joins the cluster of its nearest centroid and is placed among its nearest sampled
# neighbours. Both grow faster than the corpus (t-SNE's 32k-entry map alone took minutes), and
# a map of 32k points has no more readable regions than one of 5k. Corpora up to this size
# (the shipped banks: 1,217 entries) are computed exactly as before.
FIT_SAMPLE = 5000
PLACE_NEIGHBOURS = 5
PLACE_BLOCK = 4096  # entries placed at once: a 4096 × FIT_SAMPLE similarity block, never n × n


@dataclass(frozen=True)
class Topic:
    id: int
    name: str  # "attention · transformer · heads"
    terms: tuple[str, ...]  # the most distinctive terms, best first
    size: int


@dataclass(frozen=True)
class Topics:
    topics: tuple[Topic, ...]
    labels: np.ndarray  # (n,) int: entry ordinal → topic id
    xy: np.ndarray  # (n, 2) float32: entry ordinal → map position
    silhouette: float  # of the chosen k (0 when there was nothing to choose)
    fingerprint: str = ""  # topics_fingerprint of what they were computed from ("" when unknown)

    def name(self, topic_id: int) -> str:
        return self.topics[topic_id].name

    def to_json(self, entry_ids: Sequence[str]) -> str:
        return json.dumps(
            {
                "version": TOPICS_VERSION,
                "silhouette": round(self.silhouette, 4),
                "fingerprint": self.fingerprint,
                "topics": [{"id": t.id, "name": t.name, "terms": list(t.terms), "size": t.size} for t in self.topics],
                "entries": [
                    {"id": entry_id, "topic": int(label), "x": round(float(x), 5), "y": round(float(y), 5)}
                    for entry_id, label, (x, y) in zip(entry_ids, self.labels, self.xy)
                ],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str, entry_ids: Sequence[str]) -> Topics:
        """Read topics.json for the entries of the index, in their order; ValueError when it does not fit."""
        try:
            data = json.loads(text)
            if data.get("version") != TOPICS_VERSION:
                raise ValueError(f"version {data.get('version')!r}, this qbank reads {TOPICS_VERSION}")
            topics = tuple(
                Topic(int(t["id"]), str(t["name"]), tuple(map(str, t["terms"])), int(t["size"])) for t in data["topics"]
            )
            rows = data["entries"]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable: {exc}") from None
        if [t.id for t in topics] != list(range(len(topics))):
            raise ValueError("topic ids are not 0..k-1")
        if [r.get("id") for r in rows] != list(entry_ids):
            raise ValueError("its entries are not the index's entries")
        labels = np.array([int(r["topic"]) for r in rows], dtype=np.int64)
        if len(labels) and (labels.min() < 0 or labels.max() >= len(topics)):
            raise ValueError("an entry names a topic that does not exist")
        xy = np.array([[float(r["x"]), float(r["y"])] for r in rows], dtype=np.float32).reshape(-1, 2)
        return cls(
            topics=topics,
            labels=labels,
            xy=xy,
            silhouette=float(data.get("silhouette", 0.0)),
            fingerprint=str(data.get("fingerprint", "")),
        )


def project(vectors: np.ndarray) -> np.ndarray:
    """PCA to two dimensions. The axes are the top eigenvectors of the (d × d) covariance, cheaper
    than an SVD of the (n × d) matrix when there are more entries than dimensions."""
    if len(vectors) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    centred = vectors.astype(np.float64) - vectors.mean(axis=0, keepdims=True)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1][:2]
    axes = eigenvectors[:, order].T.copy()
    if axes.shape[0] < 2:
        axes = np.vstack([axes, np.zeros((2 - axes.shape[0], vectors.shape[1]))])
    for axis in axes:
        if axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1
    return (centred @ axes.T).astype(np.float32)


TSNE_MIN_ENTRIES = 50
TSNE_PERPLEXITY = 30.0
TSNE_ITERATIONS = 500  # the picture settles well before sklearn's default 1,000 on a few thousand points


def layout(vectors: np.ndarray) -> np.ndarray:
    """(n, 2) map positions: t-SNE, or PCA below TSNE_MIN_ENTRIES entries."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    n = len(vectors)
    if n > FIT_SAMPLE:
        sample = fit_sample(n)
        return place_by_neighbours(_unit_rows(vectors), sample, layout(vectors[sample]))
    if n < TSNE_MIN_ENTRIES or len(np.unique(vectors, axis=0)) < TSNE_MIN_ENTRIES:
        return project(vectors)
    unit = _unit_rows(vectors)
    with threadpool_limits(1):  # many small products: threads only slow them on a shared machine
        reduced = PCA(n_components=min(30, unit.shape[1]), random_state=SEED).fit_transform(unit)
        xy = TSNE(
            n_components=2,
            perplexity=min(TSNE_PERPLEXITY, (n - 1) / 3),
            init="pca",
            max_iter=TSNE_ITERATIONS,
            random_state=SEED,
            n_jobs=1,
        ).fit_transform(reduced)
    return xy.astype(np.float32)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def fit_sample(n: int) -> np.ndarray:
    """The FIT_SAMPLE entry ordinals (sorted) that k-means and t-SNE see in a corpus of n > FIT_SAMPLE."""
    return np.sort(np.random.default_rng(SEED).choice(n, size=FIT_SAMPLE, replace=False))


def place_by_neighbours(unit: np.ndarray, sample: np.ndarray, sample_xy: np.ndarray) -> np.ndarray:
    """Map positions for every row: sampled rows keep theirs; the others sit at the similarity-
    weighted mean of their PLACE_NEIGHBOURS nearest sampled rows (cosine on unit vectors)."""
    xy = np.zeros((len(unit), 2), dtype=np.float32)
    xy[sample] = sample_xy
    rest = np.setdiff1d(np.arange(len(unit)), sample)
    reference = unit[sample]
    k = min(PLACE_NEIGHBOURS, len(sample))
    for start in range(0, len(rest), PLACE_BLOCK):
        rows = rest[start : start + PLACE_BLOCK]
        similarity = unit[rows] @ reference.T
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 1e-6)
        xy[rows] = (weights[..., None] * sample_xy[nearest]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
    return xy


def candidate_ks(n: int) -> range:
    high = min(MAX_CLUSTERS, n // MIN_CLUSTER_SIZE)
    low = min(MIN_CLUSTERS, high)
    return range(max(low, 2), max(high, 2) + 1, K_STEP) if n >= 2 * 2 else range(1, 2)


def _best_of(unit: np.ndarray, ks: range, fit_rows: np.ndarray | None = None) -> tuple[float, np.ndarray] | None:
    """The best-silhouette k-means labels of `unit`. With `fit_rows`, k-means and the silhouette
    see only those rows, and every row is then labelled by its nearest centroid."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    fit = unit if fit_rows is None else unit[fit_rows]
    best: tuple[float, np.ndarray] | None = None
    for k in ks:
        model = KMeans(n_clusters=k, n_init=3, random_state=SEED)
        labels = model.fit_predict(fit)
        if len(set(labels.tolist())) < 2:
            continue
        sample = min(len(fit), SILHOUETTE_SAMPLE)
        score = float(silhouette_score(fit, labels, sample_size=sample, random_state=SEED))
        if best is None or score > best[0]:
            best = (score, labels if fit_rows is None else model.predict(unit))
    return best


def choose_clusters(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """Labels of the k-means clustering with the best silhouette over candidate_ks(n)."""
    from threadpoolctl import threadpool_limits

    n = len(vectors)
    ks = candidate_ks(n)
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    if ks == range(1, 2) or len(np.unique(vectors, axis=0)) < 2:
        return np.zeros(n, dtype=np.int64), 0.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    # One BLAS thread: k-means on a few thousand rows is many small products, which threads only slow.
    with threadpool_limits(1):
        best = _best_of(unit, ks, fit_sample(n) if n > FIT_SAMPLE else None)
    if best is None:
        return np.zeros(n, dtype=np.int64), 0.0
    score, labels = best
    # Number the clusters by size, largest first, so ids (and colours) are stable for the same data.
    order = [label for label, _ in Counter(labels.tolist()).most_common()]
    renumber = {old: new for new, old in enumerate(order)}
    return np.array([renumber[label] for label in labels.tolist()], dtype=np.int64), score


def _terms(text: str) -> list[tuple[str, str]]:
    """A question's terms as (stemmed key, surface form): its content words and the pairs of them
    that stand side by side. Keys are stemmed so that "model" and "models" are one term."""
    words = [w for w in content_words(text) if not w.isdigit()]
    terms = [(stem(w), w) for w in words]
    terms += [(f"{stem(a)} {stem(b)}", f"{a} {b}") for a, b in pairwise(words)]
    return list(dict(terms).items())


def name_clusters(questions: Sequence[str], labels: np.ndarray) -> tuple[Topic, ...]:
    """c-TF-IDF names: each cluster's NAME_TERMS most distinctive terms."""
    k = int(labels.max()) + 1 if len(labels) else 0
    per_cluster = [Counter() for _ in range(k)]
    surfaces: dict[str, Counter] = {}
    for question, label in zip(questions, labels.tolist()):
        for key, surface in _terms(question):
            per_cluster[label][key] += 1
            surfaces.setdefault(key, Counter())[surface] += 1
    overall = Counter()
    for counts in per_cluster:
        overall.update(counts)
    average = sum(sum(c.values()) for c in per_cluster) / max(k, 1)
    topics = []
    for topic_id, counts in enumerate(per_cluster):
        total = sum(counts.values()) or 1
        scored = sorted(
            ((count / total) * math.log(1 + average / overall[key]), key)
            for key, count in counts.items()
            if count >= 2 or len(counts) < 20  # a term one question uses is not the cluster's topic
        )
        chosen: list[str] = []
        for _score, key in reversed(scored):
            words = set(key.split())
            # A word already inside a chosen pair (or a pair made of chosen words) says nothing new.
            if any(words <= set(c.split()) for c in chosen):
                continue
            chosen = [c for c in chosen if not set(c.split()) <= words] + [key]
            if len(chosen) == NAME_TERMS:
                break
        terms = tuple(surfaces[key].most_common(1)[0][0] for key in chosen)
        size = int((labels == topic_id).sum())
        topics.append(Topic(topic_id, " · ".join(terms) or f"topic {topic_id + 1}", terms, size))
    return tuple(topics)


def build_topics(questions: Sequence[str], vectors: np.ndarray, fingerprint: str = "") -> Topics:
    """Cluster, name and place the entries whose questions (and question vectors) are given, in order."""
    labels, silhouette = choose_clusters(np.asarray(vectors, dtype=np.float32))
    return Topics(
        topics=name_clusters(questions, labels),
        labels=labels,
        xy=layout(vectors),
        silhouette=silhouette,
        fingerprint=fingerprint,
    )


def topics_fingerprint(embedder: str, questions: Sequence[str]) -> str:
    """What topics are a function of: the method, the embedder and the questions in order (the
    question vectors follow from the last two)."""
    digest = hashlib.sha256(f"topics {TOPICS_METHOD}\0{embedder}\0".encode())
    for question in questions:
        digest.update(question.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def reusable_topics(path: Path, entry_ids: Sequence[str], fingerprint: str) -> Topics | None:
    """The topics stored at `path` (an earlier index's) when they were computed from exactly what
    `fingerprint` describes for the same entries; None otherwise (missing, unreadable, or stale)."""
    try:
        topics = Topics.from_json(path.read_text(encoding="utf-8"), entry_ids)
    except (OSError, ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
        return None
    return topics if fingerprint and topics.fingerprint == fingerprint else None


def write_topics(path: Path, topics: Topics, entry_ids: Sequence[str]) -> None:
    path.write_text(topics.to_json(entry_ids), encoding="utf-8")
