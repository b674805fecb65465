"""Bad input: every broken file gets a one-line message naming it and its problem, the good files
next to it are still ingested, and `qbank ingest` exits non-zero when anything failed."""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from ingest.corpus import IngestResult, ingest_paths
from ingest.entry import EntryKind
from ingest.errors import IngestError
from ingest.reader import UNREADABLE, read_bank_text
from ingest.tokens import encoding
from ui.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
GOOD = "good_bank.md"
GOOD_ENTRIES = 3  # good_bank.md: `### 1.`, `### 2.` and `**3.**`, each answered


def good_copy(folder: Path) -> Path:
    return Path(shutil.copy(FIXTURES / GOOD, folder / GOOD))


def run_ingest(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, list[str]]:
    code = main(["ingest", *map(str, paths)])
    return code, capsys.readouterr().out.splitlines()


def assert_one_failure(
    capsys: pytest.CaptureFixture[str], bad: Path, problem: str, *, extra: tuple[Path, ...] = ()
) -> IngestResult:
    """Ingest `bad` next to a good bank; check the message, the good entries and the exit status."""
    good = good_copy(bad.parent)
    code, out = run_ingest(capsys, good, bad, *extra)
    assert code == 1
    failures = [line for line in out if line.startswith("✗")]
    assert failures == [f"✗ {bad}: {failures[0].split(': ', 1)[1]}"]  # exactly one, naming the file
    assert problem in failures[0]
    assert f"✓ {GOOD} — Small Good Bank" in out
    assert out[-1] == f"{GOOD_ENTRIES} entries from 1 file(s); 1 file(s) failed"

    result = ingest_paths([good, bad, *extra])
    assert len(result.entries) == GOOD_ENTRIES
    assert {e.bank_file for e in result.entries} == {GOOD}
    [failed] = result.failed
    assert failed.path == str(bad)
    assert problem in failed.error and "\n" not in failed.error
    # The same message, machine-readable.
    code, out = run_ingest(capsys, "--json", good, bad, *extra)
    report = json.loads("\n".join(out))
    assert code == 1 and report["failed"] == 1 and report["entries"] == GOOD_ENTRIES
    assert [f["error"] for f in report["files"] if f["path"] == str(bad)] == [failed.error]
    return result


def test_good_bank_alone_exits_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = run_ingest(capsys, good_copy(tmp_path))
    assert code == 0
    assert out == [f"✓ {GOOD} — Small Good Bank", "    3 entries (3 qa)", "3 entries from 1 file(s)"]


def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "empty.md"
    bad.write_bytes(b"")
    assert_one_failure(capsys, bad, "empty file")


def test_whitespace_only_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "blank.md"
    bad.write_text("\n   \n\t\n")
    assert_one_failure(capsys, bad, "empty file (only whitespace)")


def test_binary_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "diagram.md"  # a PNG saved under a bank name
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert_one_failure(capsys, bad, "binary file, not text")


def test_invalid_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "latin1.md"
    bad.write_bytes("# Bank\n\n### 1. What is a café?\n**Answer:** A place.\n".encode("latin-1"))
    # é is byte 0xe9 in Latin-1, on the third line.
    assert_one_failure(capsys, bad, "not valid UTF-8 (byte 0xe9 on line 3); re-save the file as UTF-8")


def test_fifty_megabyte_file_is_refused_by_size_without_being_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "huge.md"
    with bad.open("wb") as handle:  # sparse: no 50 MB are written
        handle.truncate(50 * 1024 * 1024)
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        assert self != bad, "the oversized bank was read"
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.delenv("QBANK_MAX_BANK_MB", raising=False)
    started = time.perf_counter()
    with pytest.raises(IngestError) as caught:
        read_bank_text(bad)
    assert time.perf_counter() - started < 0.5
    assert caught.value.path == str(bad)
    assert caught.value.problem == (
        "file is too large (50.0 MB; the limit is 20 MB, set QBANK_MAX_BANK_MB to raise it)"
    )
    assert_one_failure(capsys, bad, "file is too large (50.0 MB; the limit is 20 MB")


def test_size_limit_can_be_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = tmp_path / "bank.md"
    bank.write_text("### 1. What is a tensor?\n**Answer:** An n-dimensional array.\n" + "x" * 2000)
    monkeypatch.setenv("QBANK_MAX_BANK_MB", "0.001")  # ~1 KB
    with pytest.raises(IngestError, match=r"file is too large \(0\.0 MB; the limit is 0\.001 MB"):
        read_bank_text(bank)
    monkeypatch.setenv("QBANK_MAX_BANK_MB", "1")
    assert read_bank_text(bank).startswith("### 1.")


def test_file_with_no_entries(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = Path(shutil.copy(FIXTURES / "no_entries.md", tmp_path / "no_entries.md"))
    assert_one_failure(capsys, bad, "no questions found")


def test_file_with_no_entries_names_its_first_question_like_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "prose.md"
    bad.write_text("# Notes\n\nSome prose.\n\nWhat is the point of all this?\n")
    assert_one_failure(capsys, bad, "no questions found (What is the point of all this?, line 5)")


def test_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_one_failure(capsys, tmp_path / "nowhere.md", "no such file or folder")


def test_unsupported_file_type(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "questions.pdf"
    bad.write_bytes(b"%PDF-1.7\n")
    assert_one_failure(capsys, bad, "unsupported file type '.pdf'")


# Unreadable paths. The suite runs as root, and root reads a chmod 000 file anyway
# (CAP_DAC_OVERRIDE), so chmod alone proves nothing there. The real tests below therefore run
# the ingest in a forked child that has dropped to uid/gid 65534 ("nobody") when the suite is
# root (and in-process otherwise), on files in a world-traversable temp folder. The same error
# path is also driven by making read_bytes raise PermissionError (monkeypatch), and two paths are
# covered that no user can read as a bank: a FIFO named like a bank (reading it would block
# forever) and a directory named like one.

NOBODY = 65534


def as_unprivileged(argv: list[str]) -> tuple[int, list[str]]:
    """Run `qbank <argv>` as a user without DAC override; return (exit status, output lines)."""

    def run() -> tuple[int, list[str]]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
        return code, out.getvalue().splitlines()

    if os.geteuid() != 0:
        return run()
    encoding()  # load the tokenizer files while still root; the child inherits them
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop privileges for good, run, report through the pipe, never return
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = json.dumps(run())
        except BaseException as exc:
            payload = json.dumps([-1, [f"child crashed: {exc!r}"]])
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    code, lines = json.loads(data)
    return code, lines


@pytest.fixture
def open_folder():
    """A temp folder every user may enter (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="qbank-ingest-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder)


def test_unreadable_file_for_real(open_folder: Path) -> None:
    good = good_copy(open_folder)
    good.chmod(0o644)
    bad = Path(shutil.copy(FIXTURES / GOOD, open_folder / "locked.md"))
    bad.chmod(0)
    code, out = as_unprivileged(["ingest", str(good), str(bad)])
    assert code == 1
    assert f"✗ {bad}: {UNREADABLE}" in out
    assert f"✓ {GOOD} — Small Good Bank" in out
    assert out[-1] == f"{GOOD_ENTRIES} entries from 1 file(s); 1 file(s) failed"


def test_file_in_a_folder_that_may_not_be_entered(open_folder: Path) -> None:
    good = good_copy(open_folder)
    good.chmod(0o644)
    private = open_folder / "private"
    private.mkdir()
    bad = Path(shutil.copy(FIXTURES / GOOD, private / "bank.md"))
    locked = open_folder / "locked"
    locked.mkdir()
    shutil.copy(FIXTURES / GOOD, locked / "bank.md")
    private.chmod(0o700)  # nobody may not even look inside: stat() itself fails
    locked.chmod(0o311)  # may be entered but not listed
    code, out = as_unprivileged(["ingest", str(good), str(bad), str(locked)])
    assert code == 1
    assert f"✗ {bad}: {UNREADABLE}" in out
    assert f"✗ {locked}: folder cannot be read (permission denied)" in out
    assert f"✓ {GOOD} — Small Good Bank" in out
    assert out[-1] == f"{GOOD_ENTRIES} entries from 1 file(s); 2 file(s) failed"


def test_unreadable_file_permission_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = Path(shutil.copy(FIXTURES / GOOD, tmp_path / "locked.md"))
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == bad:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert_one_failure(capsys, bad, UNREADABLE)


def test_unreadable_file_other_os_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = Path(shutil.copy(FIXTURES / GOOD, tmp_path / "flaky.md"))
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == bad:
            raise OSError(5, "Input/output error", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert_one_failure(capsys, bad, "cannot be read (Input/output error)")


def test_fifo_named_like_a_bank_is_refused_without_blocking(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "pipe.md"
    os.mkfifo(bad)
    assert_one_failure(capsys, bad, "not a regular file")


def test_directory_named_like_a_bank(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # A folder is expanded like any folder; one with no banks in it is reported, not ignored.
    bad = tmp_path / "x.md"
    bad.mkdir()
    (bad / "nested").mkdir()
    assert_one_failure(capsys, bad, "folder holds no bank files (.csv, .jsonl, .markdown, .md, .txt)")


def test_folder_mixing_good_and_bad_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "banks"
    folder.mkdir()
    good_copy(folder)
    shutil.copy(FIXTURES / "user_bank.csv", folder / "user_bank.csv")
    (folder / "empty.md").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "latin1.md").write_bytes("### 1. Qu'est-ce qu'un réseau?\n".encode("latin-1"))
    (folder / "slides.pdf").write_bytes(b"%PDF")
    (folder / ".hidden.md").write_bytes(b"")  # hidden files are skipped, not reported
    (folder / "nested").mkdir()  # sub-folders are not descended into
    (folder / "nested" / "deep.md").write_bytes(b"")

    code, out = run_ingest(capsys, folder)
    assert code == 1
    failures = sorted(line for line in out if line.startswith("✗"))
    assert failures == [
        f"✗ {folder / 'binary.txt'}: binary file, not text (expected a markdown, text, CSV or JSONL bank)",
        f"✗ {folder / 'empty.md'}: empty file",
        f"✗ {folder / 'latin1.md'}: not valid UTF-8 (byte 0xe9 on line 1); re-save the file as UTF-8",
        f"✗ {folder / 'slides.pdf'}: unsupported file type '.pdf'",
    ]
    assert f"✓ {GOOD} — Small Good Bank" in out
    assert "✓ user_bank.csv — user_bank" in out
    assert out[-1] == "6 entries from 2 file(s); 4 file(s) failed"

    result = ingest_paths([folder])
    assert sorted({e.bank_file for e in result.entries}) == [GOOD, "user_bank.csv"]
    assert len(result.failed) == 4


def test_the_same_file_given_twice_is_ingested_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = good_copy(tmp_path)
    result = ingest_paths([tmp_path, good])
    assert len(result.reports) == 1
    assert result.reports[0].duplicates_collapsed == 0
    assert len(result.entries) == GOOD_ENTRIES


# -- CSV and JSON Lines user banks -----------------------------------------------------------------


def test_csv_user_bank() -> None:
    result = ingest_paths([FIXTURES / "user_bank.csv"])
    [report] = result.reports
    assert report.error is None
    assert report.by_kind == {"qa": 2, "question_only": 1}
    # Row 5 (line 6) has an answer but no question: reported, not silently dropped.
    assert [(u.line, u.text) for u in report.unparsed] == [(6, "row has an empty question")]
    first, second, third = result.entries
    assert (first.number, first.question, first.answer) == (
        "1",
        "What is a confusion matrix?",
        "A table of predicted against actual classes.",
    )
    assert first.follow_ups == ("When is accuracy misleading?", "What is recall?")
    assert first.section_path == ("Evaluation",)
    assert (first.line_start, first.line_end) == (2, 2)
    # A quoted answer spanning two lines keeps its newline and both line numbers.
    assert second.question == "Explain precision, recall and F1."
    assert second.answer == "Precision = TP/(TP+FP).\nRecall = TP/(TP+FN)."
    assert (second.line_start, second.line_end) == (3, 4)
    assert (third.question, third.answer, third.kind) == (
        "How do you handle class imbalance?",
        "",
        EntryKind.QUESTION_ONLY,
    )
    assert third.section_path == ("Data",)
    assert (third.line_start, third.line_end) == (5, 5)
    assert {e.bank_title for e in result.entries} == {"user_bank"}


def test_jsonl_user_bank() -> None:
    result = ingest_paths([FIXTURES / "user_bank.jsonl"])
    [report] = result.reports
    assert report.error is None
    assert report.by_kind == {"qa": 2, "question_only": 1}
    assert [(u.line, u.text) for u in report.unparsed] == [(3, "not valid JSON"), (4, "no 'question' field")]
    rag, lora, kv = result.entries
    assert (rag.number, rag.question, rag.section_path) == (
        "1",
        "What is retrieval-augmented generation?",
        ("LLMs",),
    )
    assert rag.follow_ups == ("What are its failure modes?", "How do you evaluate it?")
    assert (lora.number, lora.question, lora.answer, lora.kind) == (
        "2",
        "Why use LoRA?",
        "Few trainable parameters, cheap to fine-tune.",
        EntryKind.QA,
    )
    # An explicit id becomes the entry number; line 5 is blank and skipped.
    assert (kv.number, kv.kind, kv.line_start) == ("kv-1", EntryKind.QUESTION_ONLY, 6)


def test_csv_without_a_question_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = Path(shutil.copy(FIXTURES / "missing_question_column.csv", tmp_path / "missing_question_column.csv"))
    assert_one_failure(capsys, bad, "no questions found (header has no 'question' column, line 1)")


def test_jsonl_with_no_usable_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "answers.jsonl"
    bad.write_text('{"answer": "no question here"}\n')
    assert_one_failure(capsys, bad, "no questions found (no 'question' field, line 1)")


# -- byte-order marks and line endings ----------------------------------------------------------


@pytest.mark.parametrize("name", [GOOD, "user_bank.csv", "user_bank.jsonl", "stray_questions.md"])
def test_utf8_bom_and_crlf_read_like_plain_lf(tmp_path: Path, name: str) -> None:
    plain = ingest_paths([FIXTURES / name])
    source = (FIXTURES / name).read_bytes()
    variants = {
        "bom": codecs.BOM_UTF8 + source,
        "crlf": source.replace(b"\n", b"\r\n"),
        "bom_crlf": codecs.BOM_UTF8 + source.replace(b"\n", b"\r\n"),
        "utf16": codecs.BOM_UTF16_LE + source.decode("utf-8").encode("utf-16-le"),
    }
    for variant, data in variants.items():
        folder = tmp_path / variant
        folder.mkdir()
        (folder / name).write_bytes(data)
        other = ingest_paths([folder / name])
        assert other.failed == (), variant
        assert [e.to_dict() | {"id": None} for e in other.entries] == [
            e.to_dict() | {"id": None} for e in plain.entries
        ], variant
        assert [e.id for e in other.entries] == [e.id for e in plain.entries]
        assert other.reports[0].unparsed == plain.reports[0].unparsed
        assert not any("\ufeff" in e.question or "\r" in e.answer for e in other.entries)


def test_bom_that_lies_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "lying_bom.md"
    bad.write_bytes(codecs.BOM_UTF8 + "### 1. Qu'est-ce?\n".encode("latin-1") + b"\xe9\n")
    assert_one_failure(capsys, bad, "not valid UTF-8 despite its byte-order mark")
