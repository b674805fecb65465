"""Loading refuses a mismatched or damaged index with a typed error that names the rebuild command."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from index.build import VECTORS_FILE, build_index
from index.embedder import HashingEmbedder
from index.errors import IndexCorruptError, IndexError_, IndexMismatchError, IndexMissingError
from index.load import load_index
from index.manifest import MANIFEST_FILE
from index.store import STORE_FILE
from ui.cli import main

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "retrieval" / "mini_genai.txt"
REBUILD = "qbank index --rebuild"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("errors") / "index"
    build_index(index_dir, [FIXTURE], HashingEmbedder(), multilingual=False)
    return index_dir


@pytest.fixture
def index_dir(built, tmp_path) -> Path:
    """A fresh copy of the built index for one test to damage."""
    copy = tmp_path / "index"
    shutil.copytree(built, copy)
    return copy


def edit_manifest(index_dir: Path, **changes) -> None:
    path = index_dir / MANIFEST_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(json.dumps(data), encoding="utf-8")


class NarrowHashing(HashingEmbedder):
    """Same name as the index's embedder, different vector size."""

    dimension = 128


def refused(index_dir: Path, error: type[IndexError_], embedder=None) -> str:
    with pytest.raises(error) as caught:
        load_index(embedder or HashingEmbedder(), index_dir)
    message = str(caught.value)
    assert REBUILD in message
    assert str(index_dir) in message
    return message


def test_the_intact_copy_loads(index_dir):
    index = load_index(HashingEmbedder(), index_dir)
    assert len(index.entries) == 8
    index.close()


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"format_version": 999}, "format version 999"),
        ({"embedder": "some-other-model"}, "some-other-model"),
        ({"dimension": 512}, "dimension 512"),
    ],
    ids=["format-version", "embedder-name", "dimension"],
)
def test_manifest_mismatch_is_refused(index_dir, changes, detail):
    edit_manifest(index_dir, **changes)
    assert detail in refused(index_dir, IndexMismatchError)


def test_an_embedder_of_another_name_is_refused(index_dir):
    class Renamed(HashingEmbedder):
        name = "minilm-onnx-int8"

    message = refused(index_dir, IndexMismatchError, Renamed())
    assert "'hashing-test'" in message and "'minilm-onnx-int8'" in message


def test_an_embedder_of_another_dimension_is_refused(index_dir):
    assert "dimension 256, embedder 128" in refused(index_dir, IndexMismatchError, NarrowHashing())


def _truncate(path: Path, keep) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: keep(len(data))])


CORRUPTIONS = {
    "vectors-truncated-half": (lambda d: _truncate(d / VECTORS_FILE, lambda n: n // 2), VECTORS_FILE),
    "vectors-truncated-header": (lambda d: _truncate(d / VECTORS_FILE, lambda n: 10), VECTORS_FILE),
    "vectors-empty": (lambda d: (d / VECTORS_FILE).write_bytes(b""), VECTORS_FILE),
    "vectors-garbage": (lambda d: (d / VECTORS_FILE).write_bytes(os.urandom(4096)), VECTORS_FILE),
    "vectors-missing": (lambda d: (d / VECTORS_FILE).unlink(), VECTORS_FILE),
    "store-garbage": (lambda d: (d / STORE_FILE).write_bytes(b"definitely not sqlite" * 500), STORE_FILE),
    "store-truncated": (lambda d: _truncate(d / STORE_FILE, lambda n: 4096), STORE_FILE),
    "store-empty": (lambda d: (d / STORE_FILE).write_bytes(b""), STORE_FILE),
    "store-missing": (lambda d: (d / STORE_FILE).unlink(), STORE_FILE),
    "manifest-missing": (lambda d: (d / MANIFEST_FILE).unlink(), MANIFEST_FILE),
    "manifest-not-json": (
        lambda d: (d / MANIFEST_FILE).write_text("{format_version: 1", encoding="utf-8"),
        MANIFEST_FILE,
    ),
    "manifest-not-utf8": (lambda d: (d / MANIFEST_FILE).write_bytes(b"\xff\xfe\x00{"), MANIFEST_FILE),
    "manifest-a-list": (lambda d: (d / MANIFEST_FILE).write_text("[1, 2]", encoding="utf-8"), MANIFEST_FILE),
    "manifest-field-missing": (
        lambda d: (d / MANIFEST_FILE).write_text(
            json.dumps({k: v for k, v in json.loads((d / MANIFEST_FILE).read_text()).items() if k != "dimension"}),
            encoding="utf-8",
        ),
        MANIFEST_FILE,
    ),
    "manifest-counts-wrong-type": (lambda d: edit_manifest(d, counts="many"), MANIFEST_FILE),
    "manifest-dimension-wrong-type": (lambda d: edit_manifest(d, dimension="256"), MANIFEST_FILE),
    "counts-more-units": (lambda d: edit_manifest(d, counts={"units": 10_000}), "counts disagree"),
    "counts-fewer-entries": (lambda d: edit_manifest(d, counts={"entries": 1}), "counts disagree"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corrupt_index_is_refused_with_the_rebuild_command(index_dir, name):
    damage, named = CORRUPTIONS[name]
    damage(index_dir)
    assert named in refused(index_dir, IndexCorruptError)


def test_vectors_from_another_index_disagree_with_the_counts(index_dir, tmp_path):
    other = tmp_path / "other"
    build_index(
        other,
        [Path(__file__).resolve().parent / "fixtures" / "retrieval" / "mini_deep_dive.txt"],
        HashingEmbedder(),
        multilingual=False,
    )
    shutil.copy(other / VECTORS_FILE, index_dir / VECTORS_FILE)
    assert "counts disagree" in refused(index_dir, IndexCorruptError)


def test_a_missing_index_names_the_rebuild_command(tmp_path):
    refused(tmp_path / "nowhere", IndexMissingError)


def test_the_cli_reports_a_damaged_index_and_exits_2(index_dir, monkeypatch, capsys):
    (index_dir / VECTORS_FILE).write_bytes(b"junk")
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    assert main(["search", "what is generative ai"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qbank: the index at") and REBUILD in err
