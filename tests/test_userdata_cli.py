"""`qbank userdata export|import`: a user's progress moved between stores as JSON, and a bad file
as a one-line error."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ui.cli import main
from userdata.sqlite_store import SQLiteStore

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def source(tmp_path, monkeypatch) -> SQLiteStore:
    monkeypatch.delenv("QBANK_DATABASE_URL", raising=False)
    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path / "source.sqlite3"))
    store = SQLiteStore(tmp_path / "source.sqlite3")
    store.record_review("local", "e#1", rating=3, reviewed_at=T0, grade_score=0.7, card={"s": 2}, due=T0)
    store.set_bookmark("local", "e#9")
    return store


def test_export_to_a_file_and_import_into_another_store(source, tmp_path, monkeypatch, capsys):
    exported = tmp_path / "me.json"
    assert main(["userdata", "export", str(exported)]) == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["user"] == "local" and [c["entry_id"] for c in data["cards"]] == ["e#1"]

    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path / "target.sqlite3"))
    assert main(["userdata", "import", str(exported), "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert "1 card state(s), 1 new review(s), 1 new bookmark(s)" in out
    target = SQLiteStore(tmp_path / "target.sqlite3")
    assert target.card("alice", "e#1").card == {"s": 2}
    assert [b.entry_id for b in target.bookmarks("alice")] == ["e#9"]


def test_export_to_stdout(source, capsys):
    assert main(["userdata", "export"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "qbank-userdata"


@pytest.mark.parametrize("content", ["not json at all", '{"format": "other"}'])
def test_a_bad_import_file_is_a_one_line_error(source, tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    assert main(["userdata", "import", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qbank: ") and "\n" not in err and "export" in err
    assert SQLiteStore(tmp_path / "source.sqlite3").reviews("local")[0].entry_id == "e#1"
