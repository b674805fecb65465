"""The vector index: flat below the size threshold, IVF (trained quantizer, 8-bit codes, tuned
nprobe) above it, recorded in manifest.json; loading accepts flat, IVF and HNSW and refuses a
FAISS file that is not what the manifest says.

Real FAISS on the five real banks' units (HashingEmbedder vectors); the threshold is lowered so a
small corpus crosses it.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

import index.vector_index as vector_index
from index.build import VECTORS_FILE, build_index
from index.embedder import HashingEmbedder
from index.errors import IndexCorruptError
from index.load import load_index
from index.manifest import Manifest
from index.vector_index import VectorIndexSpec, build_vector_index, choose_spec, default_nlist, recall_at
from retrieval.searcher import Searcher

BANKS = Path(__file__).resolve().parent.parent / "data" / "banks"


def test_small_corpora_stay_exact_and_large_ones_go_approximate():
    assert choose_spec(10_000).kind == "flat"
    assert choose_spec(vector_index.FLAT_MAX_VECTORS).kind == "flat"
    big = choose_spec(vector_index.FLAT_MAX_VECTORS + 1)
    assert big.kind == "ivf-sq8" and big.params["nlist"] == default_nlist(vector_index.FLAT_MAX_VECTORS + 1)
    assert default_nlist(2_000_000) == 4096 and default_nlist(200_000) == 2048


@pytest.fixture(scope="module")
def ivf_index_dir(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("ivf") / "index"
    original = vector_index.FLAT_MAX_VECTORS
    vector_index.FLAT_MAX_VECTORS = 1000  # the five banks have ~2,650 units
    try:
        build_index(index_dir, [BANKS], HashingEmbedder(), multilingual=False)
    finally:
        vector_index.FLAT_MAX_VECTORS = original
    return index_dir


def test_a_build_above_the_threshold_records_the_approximate_index(ivf_index_dir):
    manifest = Manifest.read(ivf_index_dir)
    assert manifest.faiss_index_type == "IndexIVFScalarQuantizer"
    params = manifest.faiss_index_params
    assert params["kind"] == "ivf-sq8" and params["quantizer"] == "SQ8"
    assert params["nlist"] >= 16 and 1 <= params["nprobe"] <= params["nlist"]
    assert params["nprobe"] < params["nlist"], "tuning stops before scanning every list"
    assert params["tuned_recall_at_10"] >= vector_index.TUNE_RECALL - vector_index.CEILING_MARGIN


def test_the_approximate_index_loads_searches_and_reconstructs(ivf_index_dir, hashing_searcher):
    embedder = HashingEmbedder()
    index = load_index(embedder, ivf_index_dir)
    try:
        assert type(index.vectors).__name__ == "IndexIVFScalarQuantizer"
        assert index.vectors.nprobe == Manifest.read(ivf_index_dir).faiss_index_params["nprobe"]
        searcher = Searcher(index, embedder)
        approximate = searcher.search("what is the KV cache in transformer inference", k=5)
        exact = hashing_searcher.search("what is the KV cache in transformer inference", k=5)
        assert approximate.hits and approximate.hits[0].entry.id == exact.hits[0].entry.id
        some = index.entries[10].id
        assert searcher.similar(some, k=3)  # needs reconstruct(): the IVF keeps its direct map
    finally:
        index.close()


def test_recall_of_the_tuned_ivf_against_exact_search():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(400, 64)).astype(np.float32)
    vectors = centres[rng.integers(0, 400, 20_000)] + rng.normal(scale=0.35, size=(20_000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index, spec = build_vector_index(vectors, VectorIndexSpec("ivf-sq8"))
    queries = vector_index.probe_queries(vectors, 300, np.random.default_rng(1))
    exact = vector_index.exact_neighbours(vectors, queries)
    assert recall_at(index.search(queries, 10)[1], exact) >= 0.95
    assert spec.params["nprobe"] < spec.params["nlist"], "tuning stops well before scanning every list"


def test_hnsw_round_trips_with_its_search_parameter(tmp_path):
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index, spec = build_vector_index(vectors, VectorIndexSpec("hnsw", {"M": 16, "efSearch": 64}))
    faiss.write_index(index, str(tmp_path / "v.faiss"))
    loaded = faiss.read_index(str(tmp_path / "v.faiss"))
    loaded.hnsw.efSearch = 16
    vector_index.configure_loaded(loaded, spec.to_manifest())
    assert loaded.hnsw.efSearch == 64


def test_a_faiss_file_that_is_not_what_the_manifest_says_is_refused(ivf_index_dir, tmp_path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(ivf_index_dir, copy)
    flat = faiss.IndexFlatIP(HashingEmbedder.dimension)
    stored = faiss.read_index(str(copy / VECTORS_FILE))
    flat.add(stored.reconstruct_n(0, stored.ntotal))
    faiss.write_index(flat, str(copy / VECTORS_FILE))
    with pytest.raises(IndexCorruptError, match="IndexFlatIP, the manifest says IndexIVFScalarQuantizer"):
        load_index(HashingEmbedder(), copy)


def test_an_index_from_before_the_params_field_still_loads(hashing_index_dir, tmp_path):
    import json
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(hashing_index_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["faiss_index_params"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    load_index(HashingEmbedder(), copy).close()
