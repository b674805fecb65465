"""Feedback thumbs saved to the user-data store (SQLite here; PostgreSQL in test_replicas_postgres.py),
shown back in the sidebar, and the conversation download, in AppTest."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import pytest
from app_testing import (
    app_env,  # noqa: F401  (a fixture, used through pytestmark)
    app_index_dir,  # noqa: F401  (a fixture app_env needs)
    ask,
    assert_no_exception,
    assistant_messages,
    start_app,
    unescape,
)

from userdata.sqlite_store import SQLiteStore

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("app_env")]


def test_feedback_is_saved_with_query_and_cited_entries():
    at = start_app()
    turn = ask(at, "What is KV caching?")
    feedback = assistant_messages(at)[-1].get("feedback")[0]
    feedback.set_value(1).run()  # thumbs up
    assert_no_exception(at)
    store = SQLiteStore(Path(os.environ["QBANK_USER_DB"]))
    rows = store.feedback()
    sidebar = unescape("\n".join(m.value for m in at.sidebar.get("markdown")))
    assert "What is KV caching?" in sidebar, "the rating is listed under Your ratings"
    assert len(rows) == 1
    row = rows[0]
    assert row.rating == 1
    assert row.query == "What is KV caching?"
    assert row.entry_ids == tuple(c.entry.id for c in turn.answer.citations) and row.entry_ids
    assert row.status == "answered" and row.composer == "offline"
    assert row.session == at.session_state["session_id"]

    assert not [t for t in at.text_input if (t.key or "").startswith("feedback-comment-")], "no comment box on 👍"
    assistant_messages(at)[-1].get("feedback")[0].set_value(0).run()  # changed to thumbs down
    assert [r.rating for r in store.feedback()] == [0]
    comment = at.text_input(key=f"feedback-comment-{at.session_state['turns'][-1].id}")
    comment.set_value("It misses the memory cost").run()
    assert_no_exception(at)
    assert [(r.rating, r.comment) for r in store.feedback()] == [(0, "It misses the memory cost")]
    assert store.export_user("local")["feedback"][0]["comment"] == "It misses the memory cost"
    assistant_messages(at)[-1].get("feedback")[0].set_value(None).run()  # cleared
    assert store.feedback() == []


def test_no_thumbs_under_a_reply_that_is_not_an_answer():
    at = start_app()
    turn = ask(at, "What is the capital of Mongolia and its population in 1900?")
    assert turn.answer.status.value in ("not_covered", "rejected"), turn.answer.status
    assert not assistant_messages(at)[-1].get("feedback")
    ask(at, "What is KV caching?")
    assert assistant_messages(at)[-1].get("feedback")


@pytest.fixture
def media_storages(monkeypatch) -> list:
    """Keep AppTest's in-memory media stores, where download-button data lives, readable after a run."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    storages: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            storages.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    return storages


def _download(at, storages) -> str:
    button = at.sidebar.get("download_button")[0]
    name = posixpath.basename(button.proto.url)
    for storage in reversed(storages):
        try:
            return storage.get_file(name).content.decode("utf-8")
        except Exception:
            continue
    raise AssertionError(f"no media file {name}")


def test_export_has_the_conversation_and_its_sources(media_storages):
    at = start_app()
    assert at.sidebar.get("download_button")[0].proto.disabled, "nothing to download yet"
    first = ask(at, "What is KV caching?")
    second = ask(at, "What is LoRA?")
    text = _download(at, media_storages)  # the run that produced the answer already offers it
    assert text.startswith("# qbank conversation")
    assert "## Q: What is KV caching?" in text and "## Q: What is LoRA?" in text
    for turn in (first, second):
        assert turn.answer.markdown.strip() in text
        for citation in turn.answer.citations:
            entry = citation.entry
            assert f"[{citation.n}] {entry.question} — {entry.bank_title} · {entry.bank_file}" in text
            assert f"lines {entry.line_start}–{entry.line_end}" in text
    assert at.sidebar.get("download_button")[0].proto.label == "Download as markdown"


def test_unwritable_feedback_database_is_a_message(monkeypatch, tmp_path):
    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path))  # a directory: SQLite cannot open it
    at = start_app()
    ask(at, "What is KV caching?")
    assistant_messages(at)[-1].get("feedback")[0].set_value(1).run()
    assert_no_exception(at)
    assert any("QBANK_USER_DB" in unescape(t.value) for t in at.toast)
