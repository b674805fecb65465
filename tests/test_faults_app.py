"""Issue 10 items 10 and 11 in the app: a paste over the limit says the limit, filters that leave
nothing in scope say so, and an unexpected error says "internal error — details in <log>" (the
traceback is in the log) instead of advice about the index or an LLM server."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_testing import LLM_VARIABLES, assert_no_exception, start_app, unescape

from ui.app_errors import describe

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_copy(real_index_dir, tmp_path, monkeypatch) -> Path:
    """A copy of the session's real index (real model), with the app pointed at it."""
    index_dir = tmp_path / "data" / "index"
    shutil.copytree(real_index_dir, index_dir)
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path / "userdata.sqlite3"))
    monkeypatch.delenv("QBANK_DATABASE_URL", raising=False)
    for name in LLM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return index_dir


def test_a_paste_over_the_limit_says_the_limit_and_keeps_the_text(app_copy):
    from ui.input_limits import MAX_CHAT_CHARS

    at = start_app()
    pasted = "Explain attention. " * 264  # 5,016 characters
    at.chat_input[0].set_value(pasted).run()
    assert_no_exception(at)
    warnings = [w.value for w in at.warning]
    assert any(f"the limit is {MAX_CHAT_CHARS:,}" in w and f"{len(pasted.strip()):,} characters" in w for w in warnings)
    assert any(code.value == pasted.strip() for code in at.code), "the pasted text is shown to copy"
    assert at.session_state["turns"] == []


def test_filters_that_exclude_everything_say_so(app_copy):
    from index.store import Store

    at = start_app()

    store = Store(app_copy / "entries.sqlite3")
    try:
        entries = store.entries()
    finally:
        store.close()
    unanswered = sorted(
        {e.bank_file for e in entries} - {e.bank_file for e in entries if e.has_answer}
    )  # banks that hold only questions
    assert unanswered, "the real banks include one without answers"
    at.sidebar.multiselect(key="filter_banks").set_value([unanswered[0]]).run()
    at.sidebar.toggle(key="filter_answered").set_value(True).run()
    at.chat_input[0].set_value("What is the attention mechanism?").run()
    assert_no_exception(at)
    turn = at.session_state["turns"][-1]
    assert turn.role == "assistant" and turn.answer is None
    assert "exclude every entry" in turn.notices[0] and unanswered[0] in turn.notices[0]
    shown = [i.value for i in at.info]
    assert any("exclude every entry" in text for text in shown)
    assert not any("Not covered" in m.value for m in at.markdown)


def test_an_unexpected_error_in_the_chat_points_at_the_log(app_copy, monkeypatch):
    from answer.conversation import Conversation

    def broken(self, *args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Conversation, "stream", broken)
    at = start_app()
    at.chat_input[0].set_value("What is dropout?").run()
    assert_no_exception(at)
    turn = at.session_state["turns"][-1]
    log = app_copy.parent / "logs" / "qbank.log"
    error = unescape(turn.error)
    assert error == f"Something went wrong: internal error (OSError) — details in {log}"
    for unrelated in ("rebuild", "Rebuild", "LLM server", "Offline"):
        assert unrelated not in error
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "Input/output error" in text


def test_describe_gives_advice_only_for_known_causes(tmp_path, monkeypatch):
    from index.errors import IndexCorruptError
    from ingest.errors import SettingError

    monkeypatch.setenv("QBANK_INDEX_DIR", str(tmp_path / "data" / "index"))
    what, fix = describe(ConnectionError("refused"))
    assert "internal error (ConnectionError)" in what and fix == "" and "LLM" not in what
    what, fix = describe(IndexCorruptError("x", "broken"))
    assert "Rebuild the index" in fix
    what, fix = describe(SettingError("QBANK_MAX_BANK_MB must be ..."))
    assert "QBANK_MAX_BANK_MB" in what and "rebuild" not in fix.lower()
