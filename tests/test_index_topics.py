"""Topics computed at index time (index/clusters.py): k chosen by silhouette, c-TF-IDF names,
topics.json beside the index and in its manifest; and the readable name of a bank without an H1."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.clusters import TOPICS_FILE, Topics, build_topics, candidate_ks, name_clusters
from index.errors import IndexCorruptError
from index.load import load_index
from ingest.corpus import ingest_paths


def test_k_is_chosen_by_silhouette_and_recovers_separated_groups():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(10, 32)) * 5
    vectors = np.vstack([c + rng.normal(size=(30, 32)) for c in centres]).astype(np.float32)
    questions = [f"question about subject{i // 30} item{i}" for i in range(len(vectors))]
    topics = build_topics(questions, vectors)
    assert len(topics.topics) == 10, "ten well-separated groups: the best silhouette is at k = 10"
    for group in range(10):
        assert len(set(topics.labels[group * 30 : (group + 1) * 30].tolist())) == 1
    assert topics.xy.shape == (300, 2) and topics.silhouette > 0.3
    assert sorted(t.size for t in topics.topics) == [30] * 10


def test_candidate_ks_shrink_with_the_corpus():
    ks = candidate_ks(1217)
    assert ks.start == 8 and ks[-1] <= 24
    assert list(candidate_ks(40)) == [3]
    assert list(candidate_ks(3)) == [1]


def test_names_are_the_distinctive_terms_of_each_cluster():
    questions = [
        "What is gradient boosting?",
        "How does gradient boosting handle overfitting?",
        "Explain gradient boosting trees",
        "What is the attention mechanism?",
        "How is self-attention computed in attention layers?",
        "Why does attention scale quadratically?",
    ]
    labels = np.array([0, 0, 0, 1, 1, 1])
    topics = name_clusters(questions, labels)
    assert topics[0].terms[0] == "gradient boosting", "a pair of words beats its parts"
    assert "gradient" not in topics[0].terms and "boosting" not in topics[0].terms
    assert topics[1].terms[0] == "attention"
    assert all("what" not in t.terms and "explain" not in t.terms for t in topics), "question words never name"


def test_topics_are_stored_with_the_index(hashing_index_dir, hashing_searcher):
    manifest = json.loads((hashing_index_dir / "manifest.json").read_text())
    data = json.loads((hashing_index_dir / TOPICS_FILE).read_text())
    assert manifest["counts"]["topics"] == len(data["topics"]) >= 8
    topics = hashing_searcher.index.topics
    assert topics is not None and len(topics.labels) == len(hashing_searcher.entries)
    assert all(t.name for t in topics.topics)
    assert sum(t.size for t in topics.topics) == len(hashing_searcher.entries)


def test_a_damaged_topics_file_is_refused(hashing_index_copy):
    from index.embedder import HashingEmbedder

    path = hashing_index_copy / TOPICS_FILE
    data = json.loads(path.read_text())
    data["entries"] = data["entries"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match=r"topics\.json"):
        load_index(HashingEmbedder(), hashing_index_copy)
    path.unlink()
    with pytest.raises(IndexCorruptError, match=r"topics\.json is missing"):
        load_index(HashingEmbedder(), hashing_index_copy)


def test_topics_json_round_trips():
    rng = np.random.default_rng(0)
    topics = build_topics([f"q{i} alpha beta" for i in range(50)], rng.normal(size=(50, 8)).astype(np.float32))
    ids = [f"b#{i}" for i in range(50)]
    again = Topics.from_json(topics.to_json(ids), ids)
    assert [t.name for t in again.topics] == [t.name for t in topics.topics]
    assert (again.labels == topics.labels).all() and np.allclose(again.xy, topics.xy, atol=1e-4)
    with pytest.raises(ValueError, match="not the index's entries"):
        Topics.from_json(topics.to_json(ids), ids[::-1])


def test_a_bank_without_an_h1_gets_a_readable_name(tmp_path):
    bank = tmp_path / "007_abc123def456.md"
    bank.write_text("### 🔍 **Deep Learning Basics**\n\n1. **What is dropout?**\nA regulariser.\n", encoding="utf-8")
    titled = tmp_path / "008_def.md"
    titled.write_text("# My Bank\n\n## Basics\n\n### 1. What is dropout?\n\nA regulariser.\n", encoding="utf-8")
    result = ingest_paths([bank, titled])
    titles = {e.bank_file: e.bank_title for e in result.entries}
    assert titles == {"007_abc123def456.md": "Bank 007 — Deep Learning Basics", "008_def.md": "My Bank"}
    named = tmp_path / "user_bank.md"
    named.write_text("### Basics\n\n1. **What is dropout?**\nA regulariser.\n", encoding="utf-8")
    assert {e.bank_title for e in ingest_paths([named]).entries} == {"user_bank"}, "a name a person chose stays"


def test_the_real_bank_002_is_named_from_its_first_heading():
    from conftest import BANK_DIR

    result = ingest_paths([BANK_DIR / "002_2452c354e5d17cd9.txt"])
    assert {e.bank_title for e in result.entries} == {"Bank 002 — Deep Learning / ML Fundamentals"}
