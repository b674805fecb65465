"""`qbank ingest` reports: per-file entries by kind, duplicates collapsed, mojibake repaired, and
question-like lines that were not parsed, with their line numbers (text and --json)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ingest.corpus import ingest_paths
from ui.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
BANK_DIR = Path(__file__).resolve().parent.parent / "data" / "banks"


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict]:
    code = main(["ingest", "--json", *map(str, args)])
    return code, json.loads(capsys.readouterr().out)


def line_of(path: Path, text: str) -> int:
    """1-based number of the one line of `path` that is exactly `text`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines.count(text) == 1, text
    return lines.index(text) + 1


STRAY = FIXTURES / "stray_questions.md"
# The three question-like lines of the fixture that fit no entry format:
STRAY_LINES = [
    "Why do we need a separate test set as well?",  # a bare question paragraph after a rule
    "**3. What is early stopping?** (easy)",  # a numbered bold question with a trailing note
    "3. How would you explain your thesis to a layperson?",  # the one question in a list of tips
]


def test_json_report_of_a_bank_with_stray_question_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, STRAY)
    assert code == 0  # lines that were not parsed are reported, but are not a failure
    assert report["entries"] == 3
    assert report["failed"] == 0
    [file] = report["files"]
    assert file == {
        "path": str(STRAY),
        "file": "stray_questions.md",
        "title": "Stray Question Fixture",
        "entries": 3,
        "by_kind": {"qa": 3},
        "duplicates_collapsed": 0,
        "repaired_mojibake": False,
        "unparsed": [{"line": line_of(STRAY, text), "text": text} for text in STRAY_LINES],
        "error": None,
    }
    # The entries around the stray lines are whole: 1, 2 and 4, with their own answers only.
    entries = ingest_paths([STRAY]).entries
    assert [(e.number, e.question) for e in entries] == [
        ("1", "What is overfitting?"),
        ("2", "What is a validation set?"),
        ("4", "What is dropout?"),
    ]
    assert entries[1].answer == "Held-out data used to choose hyperparameters and to stop training early."
    assert entries[2].section_path == ("Interview Tips",)


def test_text_report_lists_stray_lines_with_line_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", str(STRAY)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "✓ stray_questions.md — Stray Question Fixture",
        "    3 entries (3 qa)",
        "    3 lines not parsed:",
        *[f"      line {line_of(STRAY, text)}: {text}" for text in STRAY_LINES],
        "3 entries from 1 file(s)",
    ]


def test_json_report_of_the_shipped_banks(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBANK_BANK_DIR", raising=False)
    code, report = run_json(capsys)  # no path: data/banks
    assert code == 0
    assert report["failed"] == 0
    files = {f["file"]: f for f in report["files"]}
    assert sorted(files) == sorted(p.name for p in BANK_DIR.iterdir())
    assert report["entries"] == sum(f["entries"] for f in files.values())
    for name, file in files.items():
        assert file["entries"] == sum(file["by_kind"].values())
        assert file["unparsed"] == [], name
        assert file["error"] is None
        assert file["repaired_mojibake"] is name.startswith("002_")
        raw = (BANK_DIR / name).read_text(encoding="utf-8")
        # Duplicates: numbered `### N. Question` headings that repeat an earlier one exactly.
        headings = re.findall(r"^### (\d+\. .+)$", raw, flags=re.MULTILINE)
        assert file["duplicates_collapsed"] == len(headings) - len(set(headings)), name
    assert files["000_4976b01af1e11b90.txt"]["duplicates_collapsed"] > 0
    # Scenario children are counted by kind.
    scenarios = len(re.findall(r"^\*\*Scenario Question ", (BANK_DIR / "004_f893e8b67a7e5340.txt").read_text(), re.M))
    assert files["004_f893e8b67a7e5340.txt"]["by_kind"]["scenario"] == scenarios


def test_text_report_of_the_shipped_banks(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", str(BANK_DIR)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert sum(line.startswith("✓ ") for line in out) == 5
    assert not any(line.startswith("✗") for line in out)
    assert any("exact duplicates collapsed" in line for line in out)
    assert any("mojibake repaired" in line for line in out)
    assert re.fullmatch(r"\d+ entries from 5 file\(s\)", out[-1])


def test_json_report_of_failures_and_tabular_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("user_bank.csv", "user_bank.jsonl", "missing_question_column.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    code, report = run_json(capsys, tmp_path)
    assert code == 1
    assert report["failed"] == 1
    files = {f["file"]: f for f in report["files"]}
    assert files["missing_question_column.csv"]["error"] == (
        "no questions found (header has no 'question' column, line 1)"
    )
    assert files["missing_question_column.csv"]["entries"] == 0
    assert files["user_bank.csv"]["unparsed"] == [{"line": 6, "text": "row has an empty question"}]
    assert files["user_bank.jsonl"]["unparsed"] == [
        {"line": 3, "text": "not valid JSON"},
        {"line": 4, "text": "no 'question' field"},
    ]
    assert report["entries"] == files["user_bank.csv"]["entries"] + files["user_bank.jsonl"]["entries"] == 6


def test_duplicates_across_files_are_reported_on_the_later_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Byte-identical entries collapse across files too; the later file reports them.
    bank = "# Bank\n\n### 1. What is a tensor?\n**Answer:** An n-dimensional array.\n"
    (tmp_path / "a.md").write_text(bank)
    (tmp_path / "b.md").write_text(bank + "\n### 2. What is a scalar?\n**Answer:** A 0-d tensor.\n")
    code, report = run_json(capsys, tmp_path)
    assert code == 0
    files = {f["file"]: f for f in report["files"]}
    assert (files["a.md"]["entries"], files["a.md"]["duplicates_collapsed"]) == (1, 0)
    assert (files["b.md"]["entries"], files["b.md"]["duplicates_collapsed"]) == (1, 1)
    [tensor] = [e for e in ingest_paths([tmp_path]).entries if e.number == "1"]
    assert [(loc.file, loc.line_start, loc.line_end) for loc in tensor.locations] == [("a.md", 3, 4), ("b.md", 3, 4)]
