"""Issue 10 item 8: loading refuses a damaged FTS5 keyword index, and a FAISS file whose header
declares more vectors than the file holds, before FAISS allocates anything."""

from __future__ import annotations

import json
import sqlite3
import struct
import time

import pytest

from index.embedder import HashingEmbedder
from index.errors import IndexCorruptError
from index.load import load_index
from index.manifest import MANIFEST_FILE


def refused(index_dir) -> str:
    with pytest.raises(IndexCorruptError) as caught:
        load_index(HashingEmbedder(), index_dir).close()
    return str(caught.value)


def test_zeroed_fts5_blocks_are_refused_at_load(hashing_index_copy):
    conn = sqlite3.connect(hashing_index_copy / "entries.sqlite3")
    with conn:
        conn.execute("UPDATE entries_fts_data SET block = zeroblob(length(block)) WHERE id > 10")
    conn.close()
    assert "entries.sqlite3 cannot be read" in refused(hashing_index_copy)


def test_an_fts5_index_emptied_behind_its_back_is_refused(hashing_index_copy):
    # The shadow table emptied: no error from SQLite on a query, just nothing found — the probe catches it.
    conn = sqlite3.connect(hashing_index_copy / "entries.sqlite3")
    with conn:
        conn.execute("DELETE FROM entries_fts_data WHERE id > 10")
    conn.close()
    assert "entries.sqlite3 cannot be read" in refused(hashing_index_copy)


def test_an_intact_index_still_loads(hashing_index_copy):
    load_index(HashingEmbedder(), hashing_index_copy).close()


def _claim(index_dir, vectors: int) -> None:
    """Make vectors.faiss's header (and, so only the size check can catch it, the manifest) claim `vectors`."""
    path = index_dir / "vectors.faiss"
    data = bytearray(path.read_bytes())
    dimension = struct.unpack_from("<i", data, 4)[0]
    struct.pack_into("<q", data, 8, vectors)
    struct.pack_into("<Q", data, 37, vectors * dimension)
    path.write_bytes(bytes(data))
    manifest_path = index_dir / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["counts"]["units"] = vectors
    manifest_path.write_text(json.dumps(manifest))


def test_a_faiss_header_claiming_2_gb_is_refused_fast(hashing_index_copy):
    dimension = struct.unpack_from("<i", (hashing_index_copy / "vectors.faiss").read_bytes()[:8], 4)[0]
    _claim(hashing_index_copy, 2 * 1024**3 // (4 * dimension))
    started = time.perf_counter()
    message = refused(hashing_index_copy)
    assert time.perf_counter() - started < 2.0
    assert "vectors.faiss cannot be read: its header declares" in message and "the file has" in message


def test_a_header_count_that_disagrees_with_the_manifest_is_refused(hashing_index_copy):
    path = hashing_index_copy / "vectors.faiss"
    data = bytearray(path.read_bytes())
    struct.pack_into("<q", data, 8, 10**9)
    path.write_bytes(bytes(data))
    assert "counts disagree: its header says 1,000,000,000 vectors" in refused(hashing_index_copy)


def test_check_declared_sizes_on_a_real_file(hashing_index_dir):
    from index.faiss_header import FaissHeaderError, check_declared_sizes

    path = hashing_index_dir / "vectors.faiss"
    ntotal = struct.unpack_from("<q", path.read_bytes()[:16], 8)[0]
    check_declared_sizes(path, "flat", None, ntotal)
    with pytest.raises(FaissHeaderError):
        check_declared_sizes(path, "flat", None, ntotal + 1)


def test_a_truncated_faiss_file_is_refused(hashing_index_copy):
    path = hashing_index_copy / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:20])
    assert "vectors.faiss cannot be read" in refused(hashing_index_copy)
