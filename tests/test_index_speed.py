"""Issue 12, build speed: the faster paths give the same index as the slow ones.

- embedding on every core (one-thread replicas side by side) gives bit-identical vectors and
  commits the cache in the same batch order as one worker;
- the e5 text cut, found with few tokenizer calls, is the bisection's cut on the real banks;
- topics of a big corpus are fitted on a sample, every entry still labelled and placed, and
  corpora up to the sample size are computed exactly as before;
- an unchanged rebuild reuses the previous topics and never loads e5; a changed question
  recomputes the topics.

Real banks, real SQLite and FAISS; the real models where their output is the point (marked slow).
No timings are asserted: eval/bench_indexing.py and eval/benchmark.py measure speed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.embedder as embedder_module
from index import clusters
from index.build import build_index
from index.clusters import TOPICS_FILE, build_topics, choose_clusters, fit_sample, layout
from index.embed_pipeline import embed_texts
from index.embedder import HashingEmbedder, LazyMultilingual, OnnxMiniLM, load_multilingual
from index.embedding_cache import EmbeddingCache
from index.load import load_index
from index.paths import cache_path
from index.units import MultilingualCut, build_units, multilingual_text_by_bisection
from ingest.corpus import ingest_paths

REPO = Path(__file__).resolve().parent.parent
BANKS = REPO / "data" / "banks"
SMALL_BANK = BANKS / "002_2452c354e5d17cd9.txt"


class ReplicableHashing(HashingEmbedder):
    """A HashingEmbedder that hands out replicas and records which one embedded each batch."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self._copies: list[ReplicableHashing] = []

    def replicas(self, count: int) -> list[ReplicableHashing]:
        while len(self._copies) < count:
            copy = ReplicableHashing()
            copy.calls = self.calls  # one shared log: which replica ran, in the order they ran
            self._copies.append(copy)
        return self._copies[:count]

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(id(self))
        return super().embed(texts)


def _texts() -> list[str]:
    return [u.text for u in build_units(ingest_paths([BANKS]).entries)]


# -- embedding on every core -----------------------------------------------------------------------


def test_replicas_give_the_same_vectors_and_cache_rows_in_the_same_order(tmp_path):
    texts = _texts()
    one, two = EmbeddingCache(tmp_path / "one.sqlite3"), EmbeddingCache(tmp_path / "two.sqlite3")
    try:
        alone = embed_texts(texts, ReplicableHashing(), one, checkpoint_batches=2, workers=1)
        embedder = ReplicableHashing()
        side_by_side = embed_texts(texts, embedder, two, checkpoint_batches=2, workers=2)
        assert np.array_equal(alone.vectors, side_by_side.vectors)
        assert len(set(embedder.calls)) == 2, "both replicas embedded batches"
        rows = [
            list(c._conn.execute("SELECT key FROM vectors ORDER BY rowid"))
            for c in (one, two)  # commit order
        ]
        assert rows[0] == rows[1] and len(rows[0]) == alone.computed
    finally:
        one.close()
        two.close()


@pytest.mark.slow
def test_one_thread_minilm_replicas_are_bit_identical_to_the_two_thread_session():
    texts = _texts()[:600]
    model = OnnxMiniLM()
    assert np.array_equal(embed_texts(texts, model, workers=1).vectors, embed_texts(texts, model, workers=2).vectors)


@pytest.mark.slow
def test_serial_e5_replicas_are_bit_identical_to_the_openmp_model():
    entries = ingest_paths([SMALL_BANK]).entries
    model = load_multilingual()
    cut = MultilingualCut(model)
    texts = [cut(e) for e in entries[:80]]
    alone = embed_texts(texts, model, workers=1).vectors
    assert np.array_equal(alone, embed_texts(texts, model, workers=2).vectors)
    assert np.array_equal(alone, model.embed(texts)), "batch composition does not change e5's vectors"


# -- the e5 cut ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_e5_cut_is_the_bisections_cut_on_the_real_banks_and_a_synthetic_one(tmp_path):
    from eval.synthetic_bank import write_bank

    synthetic = write_bank(tmp_path / "synthetic.md", 400, 0.2)
    model = load_multilingual()
    for source in (BANKS, synthetic):
        entries = ingest_paths([source]).entries
        cut = MultilingualCut(model)
        assert [cut(e) for e in entries] == [multilingual_text_by_bisection(e, model) for e in entries], source


# -- topics of big corpora -------------------------------------------------------------------------


def _groups(n: int, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, 32))
    points = centres[np.arange(n) % 10] + 0.15 * rng.normal(size=(n, 32))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_a_corpus_above_the_sample_size_is_fitted_on_a_sample_and_every_entry_labelled_and_placed(monkeypatch):
    monkeypatch.setattr(clusters, "FIT_SAMPLE", 300)
    vectors = _groups(1200)
    labels, silhouette = choose_clusters(vectors)
    assert labels.shape == (1200,) and silhouette > 0.3
    truth = np.arange(1200) % 10
    for group in range(10):  # the well-separated groups come back whole, sampled or not
        assert len(set(labels[truth == group].tolist())) == 1
    xy = layout(vectors)
    sample = fit_sample(1200)
    assert xy.shape == (1200, 2) and np.isfinite(xy).all()
    assert np.array_equal(xy[sample], layout(vectors[sample])), "sampled entries keep their t-SNE positions"
    assert np.array_equal(xy, layout(vectors)), "the same vectors give the same map"
    spread = [np.linalg.norm(xy[truth == g] - xy[truth == g].mean(axis=0), axis=1).mean() for g in range(10)]
    assert max(spread) < 0.5 * np.linalg.norm(xy - xy.mean(axis=0), axis=1).mean(), "placed among their group"


def test_corpora_up_to_the_sample_size_are_computed_on_every_entry(monkeypatch):
    vectors = _groups(400)
    exact = build_topics([f"question {i}" for i in range(400)], vectors)
    monkeypatch.setattr(clusters, "fit_sample", lambda n: pytest.fail("sampled a corpus below FIT_SAMPLE"))
    again = build_topics([f"question {i}" for i in range(400)], vectors)
    assert np.array_equal(exact.labels, again.labels) and np.array_equal(exact.xy, again.xy)


# -- unchanged rebuilds ----------------------------------------------------------------------------


def test_an_unchanged_rebuild_reuses_the_topics_and_a_changed_question_recomputes_them(tmp_path, monkeypatch):
    banks = tmp_path / "banks"
    banks.mkdir()
    bank = banks / SMALL_BANK.name
    bank.write_bytes(SMALL_BANK.read_bytes())
    index_dir = tmp_path / "index"
    build_index(index_dir, [banks], HashingEmbedder(), multilingual=False)
    written = (index_dir / TOPICS_FILE).read_text(encoding="utf-8")

    calls: list[int] = []
    real_build_topics = build_topics

    def counting(*args, **kwargs):
        calls.append(1)
        return real_build_topics(*args, **kwargs)

    monkeypatch.setattr("index.build.build_topics", counting)
    build_index(index_dir, [banks], HashingEmbedder(), multilingual=False)
    assert calls == [] and (index_dir / TOPICS_FILE).read_text(encoding="utf-8") == written

    text = bank.read_text(encoding="utf-8")
    first = ingest_paths([banks]).entries[0].question
    bank.write_text(text.replace(first, first.rstrip("?") + " in practice?", 1), encoding="utf-8")
    build_index(index_dir, [banks], HashingEmbedder(), multilingual=False)
    assert calls == [1]
    index = load_index(HashingEmbedder(), index_dir)
    try:
        assert index.topics is not None and len(index.topics.labels) == len(index.entries)
    finally:
        index.close()


def test_stale_or_foreign_topics_are_not_reused(tmp_path):
    index_dir = tmp_path / "index"
    build_index(index_dir, [SMALL_BANK], HashingEmbedder(), multilingual=False)
    entry_ids = [e.id for e in ingest_paths([SMALL_BANK]).entries]
    path = index_dir / TOPICS_FILE
    stored = clusters.Topics.from_json(path.read_text(encoding="utf-8"), entry_ids)
    assert clusters.reusable_topics(path, entry_ids, stored.fingerprint) is not None
    assert clusters.reusable_topics(path, entry_ids, "another fingerprint") is None
    assert clusters.reusable_topics(path, entry_ids[:-1], stored.fingerprint) is None
    path.write_text("{not json", encoding="utf-8")
    assert clusters.reusable_topics(path, entry_ids, stored.fingerprint) is None


@pytest.mark.slow
def test_an_unchanged_rebuild_never_loads_e5(tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    first = build_index(index_dir, [SMALL_BANK], HashingEmbedder(), multilingual=True)
    assert first.embedded > 0
    cache = EmbeddingCache(cache_path(index_dir))
    try:
        assert len(cache.lookup_texts([])) == 0
        assert cache._conn.execute("SELECT count(*) FROM texts").fetchone()[0] == first.entries
    finally:
        cache.close()

    def refuse():
        raise AssertionError("e5 was loaded by an unchanged rebuild")

    monkeypatch.setattr(embedder_module, "load_multilingual", refuse)
    again = build_index(index_dir, [SMALL_BANK], HashingEmbedder(), multilingual=True)
    assert again.embedded == 0
    monkeypatch.undo()
    index = load_index(HashingEmbedder(), index_dir)
    try:
        assert index.multilingual_vectors is not None and index.multilingual_vectors.ntotal == len(index.entries)
    finally:
        index.close()


def test_the_lazy_e5_loads_nothing_until_used():
    lazy = LazyMultilingual()
    assert not lazy.loaded and lazy.name == "multilingual-e5-small-q4" and lazy.dimension == 384
