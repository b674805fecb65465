"""Fast, resumable, bounded indexing: token-length batches, a cache written as the build goes (so a
killed build resumes), a cache failure that never fails the build, caps on what one entry costs,
progress with counts, rate and ETA, and variants without an N × N matrix.

Real SQLite, real FAISS, the real banks; the HashingEmbedder except where the real tokenizer and
model are the point (marked slow).
"""

from __future__ import annotations

import io
import re
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from killed_process import kill_when_marked

from index.batching import MAX_BATCH, TOKEN_BUDGET, token_batches
from index.build import build_index
from index.embed_pipeline import CHECKPOINT_BATCHES, EmbedProgress, embed_texts
from index.embedder import HashingEmbedder, OnnxMiniLM
from index.embedding_cache import EmbeddingCache
from index.load import load_index
from index.paths import cache_path
from index.units import MAX_FOLLOW_UPS_PER_ENTRY, MAX_PASSAGES_PER_ENTRY, MAX_UNIT_CHARS, UnitKind, build_units
from index.variants import MAX_VARIANTS, VARIANT_SIMILARITY, find_variants
from ingest.corpus import ingest_paths
from ingest.entry import Entry, EntryKind
from ui.build_progress import TerminalProgress

REPO = Path(__file__).resolve().parent.parent
BANKS = REPO / "data" / "banks"


# -- batching ------------------------------------------------------------------------------------


def test_token_batches_cover_every_text_once_within_the_budget():
    rng = np.random.default_rng(3)
    lengths = np.concatenate([rng.integers(3, 40, 500), rng.integers(100, 257, 120), [256, 256]])
    batches = token_batches(lengths)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= MAX_BATCH
        assert len(batch) == 1 or lengths[batch].max() * len(batch) <= TOKEN_BUDGET
    assert (np.diff(lengths[flat]) >= 0).all(), "shortest first, so each batch holds similar lengths"
    padded = sum(int(lengths[b].max()) * len(b) for b in batches)
    assert padded < 1.15 * lengths.sum()


def test_a_text_longer_than_the_budget_goes_alone():
    assert [b.tolist() for b in token_batches([10, 5000, 10], token_budget=100)] == [[0, 2], [1]]


@pytest.mark.slow
def test_the_real_tokenizer_gives_real_lengths_not_the_shipped_fixed_padding():
    model = OnnxMiniLM()
    short, long = model.token_lengths(["What is dropout?", "attention " * 1000])
    assert short == 7  # [CLS] what is drop ##out ? [SEP]: not padded to 128
    assert long == 256  # the model's window, not tokenizer.json's 128


@pytest.mark.slow
def test_batching_does_not_change_the_vectors():
    model = OnnxMiniLM()
    texts = [u.text for u in build_units(ingest_paths([BANKS / "002_2452c354e5d17cd9.txt"]).entries)][:150]
    together = model.embed(texts)
    alone = np.vstack([model.embed([t]) for t in texts[:40]])
    assert np.abs(together[:40] - alone).max() < 1e-4


# -- the cache, written as the build goes ----------------------------------------------------------

PARKING_BUILD = r"""
import sys, time
from pathlib import Path

from index.build import build_index
from index.embedder import HashingEmbedder

index_dir, marker, park_after, *banks = sys.argv[1:]


class ParkingEmbedder(HashingEmbedder):
    calls = 0

    def embed(self, texts):
        ParkingEmbedder.calls += 1
        if ParkingEmbedder.calls > int(park_after):
            Path(marker).write_text("parked")
            time.sleep(600)
        return super().embed(texts)


build_index(Path(index_dir), [Path(b) for b in banks], ParkingEmbedder(), multilingual=False)
"""


def test_a_killed_build_keeps_its_committed_batches_and_the_restart_embeds_only_the_rest(tmp_path):
    index_dir = tmp_path / "index"
    marker = tmp_path / "parked"
    park_after = 5 * CHECKPOINT_BATCHES + 3
    command = [sys.executable, "-c", PARKING_BUILD, str(index_dir), str(marker), str(park_after), str(BANKS)]
    kill_when_marked(command, marker, "the parking batch", REPO, timeout=120)

    cache = EmbeddingCache(cache_path(index_dir))
    committed = cache.count()
    cache.close()
    assert committed > 0, "nothing was committed before the kill: the cache is written only at the end"
    assert not index_dir.exists(), "the killed build did not get as far as an index"

    report = build_index(index_dir, [BANKS], HashingEmbedder(), multilingual=False)
    distinct = len({u.text for u in build_units(report.ingest.entries)})
    assert report.embedded == distinct - committed  # the restart embeds only what the kill lost
    load_index(HashingEmbedder(), index_dir).close()


def _refuse_writes(path: Path) -> None:
    """A cache that SQLite opens and reads but every insert of which fails, like a full disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        conn.execute(
            "CREATE TRIGGER full BEFORE INSERT ON vectors BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    conn.close()


def test_a_failing_cache_write_does_not_fail_the_build(tmp_path):
    index_dir = tmp_path / "index"
    _refuse_writes(cache_path(index_dir))
    messages: list[str] = []
    report = build_index(
        index_dir,
        [BANKS / "002_2452c354e5d17cd9.txt"],
        HashingEmbedder(),
        lambda m, _f: messages.append(m),
        multilingual=False,
    )
    assert report.embedded == report.units > 0
    assert any("could not be written" in m and "disk is full" in m for m in messages), messages
    index = load_index(HashingEmbedder(), index_dir)
    try:
        assert index.vectors.ntotal == report.units
    finally:
        index.close()


def test_a_cache_that_cannot_be_opened_does_not_fail_the_build(tmp_path):
    index_dir = tmp_path / "index"
    cache_path(index_dir).parent.parent.mkdir(parents=True, exist_ok=True)
    cache_path(index_dir).parent.write_text("a file where the cache folder should be")
    messages: list[str] = []
    report = build_index(
        index_dir,
        [BANKS / "003_8da98e45320d8b09.txt"],
        HashingEmbedder(),
        lambda m, _f: messages.append(m),
        multilingual=False,
    )
    assert report.embedded == report.units > 0
    assert any("cannot be opened" in m for m in messages), messages


def test_repeated_texts_are_embedded_once_and_share_their_vector(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite3")
    texts = ["what is dropout", "what is lora", "what is dropout"]
    result = embed_texts(texts, HashingEmbedder(), cache)
    assert result.computed == 2 and cache.count() == 2
    assert np.array_equal(result.vectors[0], result.vectors[2])
    again = embed_texts(texts, HashingEmbedder(), cache)
    assert again.computed == 0 and np.array_equal(again.vectors, result.vectors)
    cache.close()


# -- progress --------------------------------------------------------------------------------------


def test_progress_reports_counts_rate_and_eta(tmp_path):
    messages: list[tuple[str, float]] = []
    build_index(
        tmp_path / "index", [BANKS], HashingEmbedder(), lambda m, f: messages.append((m, f)), multilingual=False
    )
    embedding = [m for m, _ in messages if m.startswith("Embedding ") and " of " in m]
    assert len(embedding) > 10
    assert any(re.fullmatch(r"Embedding [\d,]+ of [\d,]+ passages · [\d,]+/s · ETA \d\d:\d\d", m) for m in embedding), (
        embedding[:3]
    )
    fractions = [f for _, f in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_eta_counts_padded_tokens_not_texts():
    # Half the texts are done but they were the short ones: a quarter of the work.
    progress = EmbedProgress(done=50, total=100, reused=0, seconds=10.0, tokens_done=250, tokens_total=1000)
    assert progress.eta_seconds == pytest.approx(30.0)
    assert progress.fraction == 0.25


def test_terminal_progress_prints_a_line_per_stage_not_per_batch():
    out = io.StringIO()
    progress = TerminalProgress(out, interactive=False)
    progress("Reading the question banks", 0.02)
    for done in range(1, 200):
        progress(f"Embedding {done} of 200 passages · 10/s · ETA 00:10", 0.1 + 0.7 * done / 200)
    progress("Writing the index", 0.9)
    progress("Index ready", 1.0)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("Reading the question banks") and lines[-1].endswith("Index ready")
    assert 1 <= sum("Embedding" in line for line in lines) <= 3


# -- bounded memory and time per entry -------------------------------------------------------------


def _entry(answer: str, follow_ups: tuple[str, ...] = ()) -> Entry:
    return Entry(
        id="big.md#1",
        bank_file="big.md",
        bank_title="Big",
        section_path=("S",),
        number="1",
        question="What does a very long answer say about attention?",
        answer=answer,
        follow_ups=follow_ups,
        kind=EntryKind.QA,
        parent_id=None,
        line_start=1,
        line_end=3,
        token_count=len(answer) // 4,
    )


def test_a_one_megabyte_answer_makes_a_bounded_number_of_bounded_units():
    sentence = "Attention lets every token weigh every other token when it builds its representation. "
    entry = _entry(sentence * (1_000_000 // len(sentence)), tuple(f"Follow-up {i}?" for i in range(100)))
    started = time.process_time()
    units = build_units([entry])
    assert time.process_time() - started < 20  # not a timing target: the uncapped split took minutes
    kinds = [u.kind for u in units]
    assert kinds.count(UnitKind.PASSAGE) == MAX_PASSAGES_PER_ENTRY
    assert kinds.count(UnitKind.FOLLOW_UP) == MAX_FOLLOW_UPS_PER_ENTRY
    assert max(len(u.text) for u in units) <= MAX_UNIT_CHARS


def test_the_caps_leave_the_shipped_banks_unchanged():
    units = build_units(ingest_paths([BANKS]).entries)
    assert max(len(u.text) for u in units) < MAX_UNIT_CHARS
    per_entry: dict[int, int] = {}
    for unit in units:
        if unit.kind is UnitKind.PASSAGE:
            per_entry[unit.entry_index] = per_entry.get(unit.entry_index, 0) + 1
    assert max(per_entry.values()) < MAX_PASSAGES_PER_ENTRY


def test_variants_in_blocks_match_the_whole_matrix():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(300, 32))
    vectors = centres[rng.integers(0, 300, 1300)] + rng.normal(scale=0.25, size=(1300, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    entries = [_entry("x")] * 1300
    rows = find_variants(entries, vectors)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    expected = {
        (i, int(j))
        for i in range(1300)
        for j in np.argsort(-similarity[i])[:MAX_VARIANTS]
        if similarity[i, j] >= VARIANT_SIMILARITY
    }
    assert {(i, j) for i, j, _ in rows} == expected
    assert len(expected) > 500
