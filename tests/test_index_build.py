"""Index build and load: round trip, manifest contents, incremental re-embedding, staleness.

All with the deterministic HashingEmbedder, real FAISS and real SQLite, on copies of the small
fixture banks in tests/fixtures/retrieval/, which are cut verbatim from the real banks:
mini_deep_dive.txt (bank 000's head, plus its first two entries repeated under a "Review"
section, so they have two locations), mini_genai.txt (bank 004's head: long answers that split
into passages, scenario children) and mini_followups.txt (bank 002's head: mojibake, unanswered
questions, follow-ups).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.build import VECTORS_FILE, build_index, entries_fingerprint_matches
from index.calibration import CALIBRATION_FILE, Calibration
from index.clusters import TOPICS_FILE
from index.embedder import HashingEmbedder, configured_embedder_name, load_embedder
from index.errors import IndexBuildError
from index.load import load_index
from index.manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest, corpus_fingerprint
from index.models import RERANKER_NAME
from index.paths import cache_path
from index.store import STORE_FILE
from index.units import UnitKind, build_units, entry_units
from ingest.corpus import ingest_paths

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "retrieval"
DEEP_DIVE = "mini_deep_dive.txt"  # the bank whose entries the edit tests change
BANK_003 = REPO / "data" / "banks" / "003_8da98e45320d8b09.txt"  # a plain list of unanswered questions


@pytest.fixture
def bank_dir(tmp_path) -> Path:
    """A private copy of the fixture banks that a test may edit."""
    folder = tmp_path / "banks"
    shutil.copytree(FIXTURES, folder)
    return folder


@pytest.fixture
def hashing_env(monkeypatch):
    """Make the HashingEmbedder the configured one, as the staleness check compares against it."""
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    monkeypatch.setenv("QBANK_MULTILINGUAL", "off")  # these indexes are built without e5


def test_round_trip_gives_back_the_ingested_entries_units_and_vectors(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    report = build_index(index_dir, [bank_dir], embedder, multilingual=False)
    expected = ingest_paths([bank_dir]).entries
    units = build_units(expected)
    assert any(len(e.locations) > 1 for e in expected), "the fixture banks have repeated entries"
    assert {u.kind for u in units} == set(UnitKind), "and every kind of unit"

    index = load_index(embedder, index_dir)
    try:
        assert index.entries == expected  # whole Entry objects, locations included
        assert [e.locations for e in index.entries] == [e.locations for e in expected]
        assert index.by_id == {e.id: i for i, e in enumerate(expected)}
        assert report.entries == len(expected) and report.units == len(units)
        assert index.vectors.ntotal == len(units) == len(index.unit_text)
        assert index.vectors.d == embedder.dimension
        assert index.unit_text == [u.text for u in units]
        assert index.unit_entry.tolist() == [u.entry_index for u in units]
        assert index.unit_kind.tolist() == [u.kind.value for u in units]
        stored = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        np.testing.assert_allclose(stored, embedder.embed([u.text for u in units]), atol=1e-6)
        assert np.allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-5)
        # The keyword side answers too.
        latent = index.store.keyword_search(["latent"], 5)
        assert "latent space" in index.entries[latent[0][0]].question
        assert index.vocabulary.get("latent", 0) > 0
    finally:
        index.close()


def test_manifest_records_what_the_index_was_built_from_and_with(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    build_index(index_dir, [bank_dir], embedder, multilingual=False)
    raw = json.loads((index_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest = Manifest.read(index_dir)
    entries = ingest_paths([bank_dir]).entries

    assert set(raw) == {
        "format_version",
        "embedder",
        "dimension",
        "normalization",
        "faiss_index_type",
        "corpus_fingerprint",
        "files",
        "counts",
        "libraries",
        "models",
        "calibration",
        "faiss_index_params",
    }
    assert manifest.models == {"embedder": "hashing-test", "reranker": RERANKER_NAME}
    calibration = Calibration.read(index_dir / CALIBRATION_FILE)
    assert manifest.calibration == {"sha256": calibration.sha256}
    assert calibration.models == manifest.models
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.embedder == "hashing-test"
    assert manifest.dimension == 256
    assert manifest.normalization == "l2"
    assert manifest.faiss_index_type == "IndexFlatIP"
    assert manifest.faiss_index_params == {"kind": "flat"}
    assert manifest.corpus_fingerprint == corpus_fingerprint(sorted(bank_dir.iterdir()))
    per_file = Counter(e.bank_file for e in entries)
    assert manifest.files == [
        {"file": name, "entries": per_file[name], "error": None} for name in sorted(p.name for p in FIXTURES.iterdir())
    ]
    assert manifest.counts["entries"] == len(entries)
    assert manifest.counts["units"] == len(build_units(entries))
    for kind, count in Counter(e.kind.value for e in entries).items():
        assert manifest.counts[f"kind:{kind}"] == count
    assert set(Counter(e.kind.value for e in entries)) == {"qa", "question_only", "scenario"}
    assert manifest.counts["variants"] >= 2  # the repeated questions of bank 000 and 004 at least
    for library in ("python", "sqlite", "faiss-cpu", "numpy"):
        assert manifest.libraries[library]
    # Nothing but these files; no pickles.
    assert sorted(p.name for p in index_dir.iterdir()) == sorted(
        [MANIFEST_FILE, STORE_FILE, VECTORS_FILE, CALIBRATION_FILE, TOPICS_FILE]
    )


def test_question_only_bank_gets_one_question_unit_per_entry(tmp_path):
    embedder = HashingEmbedder()
    build_index(tmp_path / "index", [BANK_003], embedder, multilingual=False)
    index = load_index(embedder, tmp_path / "index")
    try:
        assert len(index.entries) > 100
        assert index.vectors.ntotal == len(index.entries)
        assert set(index.unit_kind.tolist()) == {UnitKind.QUESTION.value}
        assert not any(e.has_answer for e in index.entries)
    finally:
        index.close()


def test_rebuilding_the_same_banks_embeds_nothing(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    first = build_index(tmp_path / "index", [bank_dir], embedder, multilingual=False)
    again = build_index(tmp_path / "index", [bank_dir], embedder, multilingual=False)
    assert first.embedded > 0
    assert again.embedded == 0
    assert again.reused == again.units == first.units
    assert cache_path(tmp_path / "index").exists()


def _single_location_entry(entries):
    """An entry that appears once, answered briefly, without follow-ups: its units are exactly question + qa."""
    for entry in entries:
        units = entry_units(0, entry)
        if len(entry.locations) == 1 and entry.has_answer and not entry.follow_ups and len(units) == 2:
            return entry
    raise AssertionError("no suitable entry in the fixture bank")


def _edit_lines(path: Path, entry, edit) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    start, end = entry.line_start - 1, entry.line_end
    lines[start:end] = edit(lines[start:end])
    path.write_text("\n".join(lines), encoding="utf-8")


def test_changing_one_answer_re_embeds_only_that_entrys_changed_units(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    build_index(index_dir, [bank_dir], embedder, multilingual=False)
    before = ingest_paths([bank_dir]).entries
    target = _single_location_entry(e for e in before if e.bank_file == DEEP_DIVE)

    def append_to_answer(block: list[str]) -> list[str]:
        last = max(i for i, line in enumerate(block) if line.strip())
        block[last] += " Zebras remember this sentence for the test."
        return block

    _edit_lines(bank_dir / DEEP_DIVE, target, append_to_answer)
    after = ingest_paths([bank_dir]).entries
    changed = [e for e in after if e not in before]
    assert [e.id for e in changed] == [target.id]  # the id survives an answer edit
    assert "Zebras" in changed[0].answer

    report = build_index(index_dir, [bank_dir], embedder, multilingual=False)
    changed_units = entry_units(0, changed[0])
    # Every unit of the entry but its question carries the answer, so all but one are new.
    assert report.embedded == len(changed_units) - 1 == 1
    assert report.reused == report.units - report.embedded
    index = load_index(embedder, index_dir)
    try:
        assert index.entries == after
    finally:
        index.close()


def test_changing_one_question_re_embeds_exactly_that_entrys_units(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    first = build_index(index_dir, [bank_dir], embedder, multilingual=False)
    before = ingest_paths([bank_dir]).entries
    target = _single_location_entry(e for e in before if e.bank_file == DEEP_DIVE)

    def reword_question(block: list[str]) -> list[str]:
        first_line = next(i for i, line in enumerate(block) if target.question in line)
        block[first_line] = block[first_line].replace(target.question, target.question.rstrip("?.") + " in practice?")
        return block

    _edit_lines(bank_dir / DEEP_DIVE, target, reword_question)
    after = ingest_paths([bank_dir]).entries
    changed = [e for e in after if e.question not in {b.question for b in before}]
    assert len(changed) == 1 and changed[0].question.endswith(" in practice?")

    report = build_index(index_dir, [bank_dir], embedder, multilingual=False)
    assert report.embedded == len(entry_units(0, changed[0]))
    assert report.units == first.units
    assert report.reused == report.units - report.embedded


def test_fingerprint_matches_only_the_banks_and_embedder_the_index_was_built_from(
    tmp_path, bank_dir, hashing_env, monkeypatch
):
    index_dir = tmp_path / "index"
    assert not entries_fingerprint_matches(index_dir, [bank_dir])  # nothing built yet
    build_index(index_dir, [bank_dir], HashingEmbedder(), multilingual=False)
    assert entries_fingerprint_matches(index_dir, [bank_dir])
    # The default bank folder is honoured through QBANK_BANK_DIR.
    monkeypatch.setenv("QBANK_BANK_DIR", str(bank_dir))
    assert entries_fingerprint_matches(index_dir)
    # Another configured embedder cannot load this index, so the index is stale for it.
    assert not entries_fingerprint_matches(index_dir, [bank_dir], embedder_name="minilm-onnx-int8")
    monkeypatch.setenv("QBANK_EMBEDDER", "minilm-onnx-int8")
    assert not entries_fingerprint_matches(index_dir, [bank_dir])
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    # A touched bank file makes it stale, and so does another bank appearing.
    bank = bank_dir / DEEP_DIVE
    bank.write_text(bank.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert not entries_fingerprint_matches(index_dir, [bank_dir])
    build_index(index_dir, [bank_dir], HashingEmbedder(), multilingual=False)
    assert entries_fingerprint_matches(index_dir, [bank_dir])
    shutil.copy(BANK_003, bank_dir / BANK_003.name)
    assert not entries_fingerprint_matches(index_dir, [bank_dir])
    # A damaged manifest reads as stale, not as an exception.
    (index_dir / MANIFEST_FILE).write_text("{", encoding="utf-8")
    assert not entries_fingerprint_matches(index_dir, [bank_dir])


def test_build_uses_qbank_bank_dir_when_no_paths_are_given(tmp_path, bank_dir, monkeypatch):
    monkeypatch.setenv("QBANK_BANK_DIR", str(bank_dir))
    monkeypatch.setenv("QBANK_INDEX_DIR", str(tmp_path / "env-index"))
    report = build_index(embedder=HashingEmbedder(), multilingual=False)
    assert report.index_dir == tmp_path / "env-index"
    assert [f["file"] for f in Manifest.read(tmp_path / "env-index").files] == sorted(
        p.name for p in FIXTURES.iterdir()
    )


def test_a_build_with_nothing_to_index_leaves_the_previous_index(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    build_index(index_dir, [bank_dir], embedder, multilingual=False)
    before = (index_dir / MANIFEST_FILE).read_text(encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("# Just a title\n\nNo questions in here.\n", encoding="utf-8")
    with pytest.raises(IndexBuildError, match="previous index is unchanged"):
        build_index(index_dir, [empty], embedder, multilingual=False)
    assert (index_dir / MANIFEST_FILE).read_text(encoding="utf-8") == before
    index = load_index(embedder, index_dir)
    try:
        assert index.entries == ingest_paths([bank_dir]).entries
    finally:
        index.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index-build-")]


def test_a_damaged_embedding_cache_only_costs_a_re_embed(tmp_path, bank_dir):
    embedder = HashingEmbedder()
    index_dir = tmp_path / "index"
    first = build_index(index_dir, [bank_dir], embedder, multilingual=False)
    cache_path(index_dir).write_bytes(b"this is not an sqlite database" * 100)
    again = build_index(index_dir, [bank_dir], embedder, multilingual=False)
    assert again.embedded == first.embedded
    assert build_index(index_dir, [bank_dir], embedder, multilingual=False).embedded == 0


@pytest.mark.slow
def test_real_index_of_the_five_banks(real_index_dir, tmp_path):
    embedder = load_embedder()
    manifest = Manifest.read(real_index_dir)
    assert manifest.embedder == embedder.name == configured_embedder_name()
    assert manifest.dimension == embedder.dimension == 384
    assert [f["error"] for f in manifest.files] == [None] * 5
    index = load_index(embedder, real_index_dir)
    try:
        assert index.vectors.ntotal == manifest.counts["units"] == len(build_units(index.entries))
        assert len(index.entries) == manifest.counts["entries"] > 1000
        assert index.entries == ingest_paths([REPO / "data" / "banks"]).entries
    finally:
        index.close()
    # Unchanged banks: every vector comes from the embedding cache.
    target = tmp_path / "index"
    cache_path(target).parent.mkdir(parents=True)
    shutil.copy(cache_path(real_index_dir), cache_path(target))
    report = build_index(target, [REPO / "data" / "banks"], embedder)
    assert report.embedded == 0 and report.units == manifest.counts["units"]
    assert report.reused == report.units + report.entries  # every unit vector and every e5 entry vector
    assert Manifest.read(target).corpus_fingerprint == manifest.corpus_fingerprint
