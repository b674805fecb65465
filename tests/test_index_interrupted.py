"""A build killed part-way leaves the previous index working.

Index A is built in-process; then a build of another corpus runs in a subprocess that is held at
a chosen stage (while embedding, after writing the new files into the staging directory, or
between the two renames of the swap) and killed there with SIGKILL, which no cleanup code sees.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from killed_process import kill_when_marked

from index.build import build_index, entries_fingerprint_matches
from index.embedder import HashingEmbedder
from index.errors import IndexMissingError
from index.load import load_index
from index.paths import previous_dir
from ingest.corpus import ingest_paths

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "retrieval"
CORPUS_A = [FIXTURES / "mini_deep_dive.txt"]
CORPUS_B = [FIXTURES / "mini_genai.txt", FIXTURES / "mini_followups.txt"]

# Runs build_index(index_dir, corpus B) and parks at `stage`, after touching `marker`.
BUILD_SCRIPT = r"""
import os, sys, time
from pathlib import Path

import index.build as build
from index.embedder import HashingEmbedder

index_dir, marker, stage, *banks = sys.argv[1:]


def park():
    Path(marker).write_text(stage)
    time.sleep(600)


class SlowEmbedder(HashingEmbedder):
    def embed(self, texts):
        if stage == "embedding":
            park()
        return super().embed(texts)


if stage == "writing":
    real_write_store = build.write_store

    def write_store(*args, **kwargs):
        real_write_store(*args, **kwargs)
        park()

    build.write_store = write_store
elif stage == "swapping":
    real_replace = os.replace

    def replace(source, target):
        real_replace(source, target)
        if Path(target).name.endswith("-previous"):  # the old index moved aside, the new one not yet in
            park()

    build.os.replace = replace

build.build_index(Path(index_dir), [Path(b) for b in banks], SlowEmbedder(), multilingual=False)
print("finished", flush=True)
"""


def kill_build_at(stage: str, index_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / f"{stage}.marker"
    command = [sys.executable, "-c", BUILD_SCRIPT, str(index_dir), str(marker), stage, *map(str, CORPUS_B)]
    kill_when_marked(command, marker, f"stage {stage!r}", REPO)


@pytest.fixture
def index_a(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    monkeypatch.setenv("QBANK_MULTILINGUAL", "off")  # built without e5
    index_dir = tmp_path / "work" / "index"
    build_index(index_dir, CORPUS_A, HashingEmbedder(), multilingual=False)
    return index_dir


def assert_serves_corpus_a(index_dir: Path) -> None:
    index = load_index(HashingEmbedder(), index_dir)
    try:
        assert index.entries == ingest_paths(CORPUS_A).entries
    finally:
        index.close()


@pytest.mark.parametrize("stage", ["embedding", "writing", "swapping"])
def test_a_killed_build_leaves_the_previous_index_working(index_a, tmp_path, stage):
    kill_build_at(stage, index_a, tmp_path)
    leftovers = sorted(p.name for p in index_a.parent.iterdir())
    if stage == "writing":
        assert any(name.startswith(".index-build-") for name in leftovers), leftovers
    if stage == "swapping":
        assert not index_a.exists() and previous_dir(index_a).exists(), leftovers

    assert_serves_corpus_a(index_a)  # recovers the swap when needed
    assert entries_fingerprint_matches(index_a, CORPUS_A)
    assert not previous_dir(index_a).exists()

    # Whatever the killed build left behind does not get in the way of the next build.
    report = build_index(index_a, CORPUS_B, HashingEmbedder(), multilingual=False)
    index = load_index(HashingEmbedder(), index_a)
    try:
        assert index.entries == ingest_paths(CORPUS_B).entries
        assert report.entries == len(index.entries)
    finally:
        index.close()
    assert not previous_dir(index_a).exists()


def test_loading_restores_an_index_left_aside_by_an_interrupted_swap(index_a):
    os.replace(index_a, previous_dir(index_a))  # the state between the two renames of a swap
    assert not index_a.exists()
    assert_serves_corpus_a(index_a)
    assert index_a.exists() and not previous_dir(index_a).exists()


def test_an_unfinished_previous_directory_is_not_restored(tmp_path):
    """Only a complete index (one with a manifest) is moved back into place."""
    index_dir = tmp_path / "index"
    previous = previous_dir(index_dir)
    previous.mkdir()
    (previous / "vectors.faiss").write_bytes(b"half a build")
    with pytest.raises(IndexMissingError, match="qbank index --rebuild"):
        load_index(HashingEmbedder(), index_dir)
    assert previous.exists() and not index_dir.exists()


def test_a_build_after_an_interrupted_swap_replaces_the_set_aside_index(index_a):
    os.replace(index_a, previous_dir(index_a))
    build_index(index_a, CORPUS_B, HashingEmbedder(), multilingual=False)
    assert not previous_dir(index_a).exists()
    index = load_index(HashingEmbedder(), index_a)
    try:
        assert index.entries == ingest_paths(CORPUS_B).entries
    finally:
        index.close()
