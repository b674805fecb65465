"""Issue 10 item 6: one bad bank file never aborts ingest or index; each gets a one-line message
naming the file (and line) and the fix, and the good files are still read."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from index.build import build_index
from index.embedder import HashingEmbedder
from index.load import load_index
from index.manifest import corpus_fingerprint
from ingest.corpus import ingest_paths

BANKS = Path(__file__).resolve().parent.parent / "data" / "banks"
GOOD_BANK = sorted(BANKS.iterdir())[3]
GOOD_JSONL = '{"question": "What is a unit test?", "answer": "A test of one unit."}'


@pytest.fixture
def folder(tmp_path) -> Path:
    banks = tmp_path / "banks"
    banks.mkdir()
    shutil.copy(GOOD_BANK, banks / GOOD_BANK.name)
    return banks


def report_of(result, name: str):
    return next(r for r in result.reports if r.file == name)


def test_a_jsonl_line_with_a_lone_surrogate_is_reported_and_the_other_lines_kept(folder):
    (folder / "s.jsonl").write_text(GOOD_JSONL + '\n{"question": "What is \\ud800?", "answer": "x"}\n')
    result = ingest_paths([folder])
    report = report_of(result, "s.jsonl")
    assert report.entries == 1 and report.error is None
    assert [(u.line, "lone surrogate" in u.text) for u in report.unparsed] == [(2, True)]
    assert report_of(result, GOOD_BANK.name).entries > 100


def test_a_jsonl_line_of_200k_nested_brackets_is_reported(folder):
    nested = '{"question": ' + "[" * 200_000 + "]" * 200_000 + "}"
    (folder / "n.jsonl").write_text(GOOD_JSONL + "\n" + nested + "\n")
    report = report_of(ingest_paths([folder]), "n.jsonl")
    assert report.entries == 1
    assert report.unparsed[0].line == 2 and "nested too deeply" in report.unparsed[0].text


def test_a_file_of_only_bad_lines_fails_alone_naming_the_line(folder):
    (folder / "only.jsonl").write_text('{"question": "\\udfff"}\n')
    result = ingest_paths([folder])
    assert "lone surrogate" in report_of(result, "only.jsonl").error
    assert "line 1" in report_of(result, "only.jsonl").error
    assert report_of(result, GOOD_BANK.name).entries > 100


def test_symlink_loop_and_dangling_link_are_reported_with_their_fix(folder):
    (folder / "loop.md").symlink_to("loop.md")
    (folder / "gone.md").symlink_to("/nonexistent/qbank/bank.md")
    result = ingest_paths([folder])
    assert "symbolic link loop" in report_of(result, "loop.md").error
    assert "remove the link" in report_of(result, "loop.md").error
    assert "symbolic link to a missing file (/nonexistent/qbank/bank.md)" in report_of(result, "gone.md").error
    assert report_of(result, GOOD_BANK.name).entries > 100
    # Named directly on the command line, too.
    direct = ingest_paths([folder / "loop.md", folder / "gone.md"])
    assert all("symbolic link" in r.error for r in direct.reports)


def test_corpus_fingerprint_never_raises_nor_blocks(folder, monkeypatch):
    (folder / "loop.md").symlink_to("loop.md")
    (folder / "gone.md").symlink_to("/nonexistent/qbank/bank.md")
    fifo = folder / "fifo.md"
    os.mkfifo(fifo)
    locked = folder / "locked.md"
    shutil.copy(GOOD_BANK, locked)
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.md":  # root reads anything: refuse the way a normal user is refused
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    files = sorted(folder.iterdir())
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(corpus_fingerprint(files)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if not done:  # release a blocked reader of the FIFO so the thread can end
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    assert done, "corpus_fingerprint blocked on a FIFO"
    assert done[0] != corpus_fingerprint([folder / GOOD_BANK.name])


def test_the_index_is_built_from_the_good_files_despite_every_kind_of_bad_one(folder, tmp_path, monkeypatch):
    (folder / "s.jsonl").write_text('{"question": "What is \\ud800?", "answer": "x"}\n')
    (folder / "n.jsonl").write_text('{"question": ' + "[" * 200_000 + "]" * 200_000 + "}\n")
    (folder / "loop.md").symlink_to("loop.md")
    (folder / "gone.md").symlink_to("/nonexistent/qbank/bank.md")
    os.mkfifo(folder / "fifo.md")
    shutil.copy(GOOD_BANK, folder / "locked.md")
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.md":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    index_dir = tmp_path / "index"
    report = build_index(index_dir, [folder], HashingEmbedder(), multilingual=False)
    errors = {r.file: r.error for r in report.ingest.failed}
    assert set(errors) == {"s.jsonl", "n.jsonl", "loop.md", "gone.md", "fifo.md", "locked.md"}
    from ingest.reader import UNREADABLE

    assert errors["locked.md"] == UNREADABLE
    assert report.entries == report_of(report.ingest, GOOD_BANK.name).entries > 100
    load_index(HashingEmbedder(), index_dir).close()


def test_an_unexpected_parser_failure_costs_only_its_file(folder, monkeypatch):
    import ingest.corpus as corpus

    real = corpus.parse_markdown

    def explode(text):
        if "boom" in text:
            raise ZeroDivisionError("parser bug")
        return real(text)

    monkeypatch.setattr(corpus, "parse_markdown", explode)
    (folder / "boom.md").write_text("# boom\n\n1. What is boom?\nA bang.\n")
    result = ingest_paths([folder])
    assert "internal error ZeroDivisionError" in report_of(result, "boom.md").error
    assert report_of(result, GOOD_BANK.name).entries > 100
