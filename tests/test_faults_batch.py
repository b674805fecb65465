"""Issue 10 item 7: batch mode writes one output line per input line, always — a lone surrogate
query, a non-UTF-8 or UTF-16 batch file, non-UTF-8 bytes on stdin — and a non-UTF-8 argv query is
a one-line error."""

from __future__ import annotations

import codecs
import io
import json
import sys

import pytest

from index.embedder import HashingEmbedder
from ui.cli import main

GOOD = [b'{"query": "what is dropout"}', b'{"query": "explain lora"}']
BAD_UTF8 = b'{"query": "caf\xe9 au lait"}'
SURROGATE = b'{"query": "what is \\ud800 here"}'


@pytest.fixture
def hashing_cli(hashing_index_dir, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(hashing_index_dir))
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    return hashing_index_dir


def out_lines(capsys) -> tuple[list[dict], str]:
    captured = capsys.readouterr()
    return [json.loads(line) for line in captured.out.splitlines()], captured.err


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a\nb\n", ["a", "b"]),
        (codecs.BOM_UTF8 + b"a\r\nb", ["a", "b"]),
        ("a\nb\n".encode("utf-16"), ["a", "b"]),  # with its BOM
        ("a\nb\n".encode("utf-16-le"), ["a", "b"]),  # without one
        ("a\nb\n".encode("utf-16-be"), ["a", "b"]),
        (b"caf\xe9\nok\n", ["caf\udce9", "ok"]),  # the bad byte survives as a lone surrogate
        ("ab\n".encode("utf-16") + b"\n", ["ab", "\ufffd"]),  # a truncated last UTF-16 character
    ],
)
def test_decoded_lines(data, expected):
    from ui.batch_input import decoded_lines

    assert list(decoded_lines(io.BytesIO(data))) == expected


def test_a_bad_line_costs_only_that_line(hashing_cli, tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join([GOOD[0], SURROGATE, BAD_UTF8, b"\xff\xfe\xfd", b"", GOOD[1]]) + b"\n")
    assert main(["search", "--batch", str(path), "-k", "1"]) == 0
    lines, err = out_lines(capsys)
    assert len(lines) == 6 and "Traceback" not in err
    assert [("error" in line) for line in lines] == [False, True, True, True, True, False]
    assert "not valid text" in lines[1]["error"] and "not valid text" in lines[2]["error"]
    assert lines[0]["query"] == "what is dropout" and lines[5]["query"] == "explain lora"


def test_a_utf16_batch_file_is_read(hashing_cli, tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_bytes("\r\n".join(line.decode() for line in GOOD).encode("utf-16") + "\r\n".encode("utf-16-le"))
    assert main(["search", "--batch", str(path), "-k", "1"]) == 0
    lines, _ = out_lines(capsys)
    assert [line["query"] for line in lines] == ["what is dropout", "explain lora"]
    assert all("results" in line for line in lines)


@pytest.mark.parametrize("command", ["search", "ask"])
def test_non_utf8_bytes_on_stdin(hashing_cli, monkeypatch, capsys, command):
    data = b"\n".join([GOOD[0], BAD_UTF8, GOOD[1]]) + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert main([command, "--batch", "-", "-k", "2"]) == 0
    lines, _ = out_lines(capsys)
    assert len(lines) == 3
    assert "error" not in lines[0] and "not valid text" in lines[1]["error"] and "error" not in lines[2]


def test_an_unexpected_failure_on_one_line_costs_only_that_line(hashing_cli, tmp_path, capsys, monkeypatch):
    from retrieval.searcher import Searcher

    real = Searcher.search

    def search(self, query, *args, **kwargs):
        if "explode" in query:
            raise ZeroDivisionError("a bug")
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(Searcher, "search", search)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join([GOOD[0], b'{"query": "explode now"}', GOOD[1]]) + b"\n")
    assert main(["search", "--batch", str(path), "-k", "1"]) == 0
    lines, _ = out_lines(capsys)
    assert len(lines) == 3 and "internal error (ZeroDivisionError)" in lines[1]["error"]


def test_a_non_utf8_argv_query_is_a_one_line_error(hashing_cli, capsys):
    # Python hands undecodable argv bytes over as lone surrogates (PEP 383).
    argv_query = b"caf\xe9 dropout".decode("utf-8", "surrogateescape")
    assert main(["search", argv_query]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qbank: the query is not valid text") and err.count("\n") == 1
