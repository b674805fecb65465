"""Startup and failure paths in AppTest: a missing index is built with visible progress; a damaged
index, missing banks, a dead LLM backend or a failing service give a message with the fix, never a
traceback. Also the topic map view."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from app_testing import (
    app_env,  # noqa: F401  (a fixture, used through pytestmark)
    app_index_dir,  # noqa: F401  (a fixture app_env needs)
    ask,
    assert_no_exception,
    assistant_messages,
    seed_embedding_cache,
    shown_text,
    start_app,
    unescape,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("app_env")]


def _session_index() -> Path:
    return Path(os.environ["QBANK_INDEX_DIR"])  # set by the app_env fixture


def _errors(at) -> str:
    return unescape("\n".join(e.value for e in at.error))


@pytest.mark.parametrize("empty_dir", [False, True])
def test_missing_index_is_built_with_progress(tmp_path, monkeypatch, empty_dir):
    index_dir = tmp_path / "fresh" / "index"
    if empty_dir:
        index_dir.mkdir(parents=True)
    seed_embedding_cache(index_dir, _session_index())  # the build reuses vectors: the test stays quick
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    at = start_app()
    statuses = at.get("status")
    assert statuses, "the build is shown in a status container"
    assert statuses[0].label == "Index ready" and statuses[0].state == "complete"
    assert any(p.proto.value == 100 for p in at.get("progress")), "with a progress bar"
    assert not at.error
    assert (index_dir / "manifest.json").exists()
    assert at.chat_input
    turn = ask(at, "What is KV caching?")
    assert turn.answer.citations


def test_missing_banks_give_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QBANK_BANK_DIR", str(tmp_path / "no-banks"))
    (tmp_path / "no-banks").mkdir()
    at = start_app()
    assert "could not be built" in _errors(at)
    assert "data/banks" in _errors(at)
    assert not at.chat_input


def test_damaged_index_names_the_fix_and_rebuilds(tmp_path, monkeypatch):
    index_dir = tmp_path / "damaged" / "index"
    shutil.copytree(_session_index(), index_dir)
    seed_embedding_cache(index_dir, _session_index())
    (index_dir / "vectors.faiss").write_bytes(b"not a faiss index")
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    at = start_app()
    message = _errors(at)
    assert "damaged" in message and "qbank index --rebuild" in message
    assert not at.chat_input
    at.button(key="rebuild-index").click().run()
    assert_no_exception(at)
    assert not at.error
    assert at.chat_input
    assert ask(at, "What is LoRA?").answer.citations


@pytest.mark.parametrize("field", ["corpus_fingerprint", "embedder"])
def test_stale_index_is_rebuilt(tmp_path, monkeypatch, field):
    index_dir = tmp_path / "stale" / "index"
    shutil.copytree(_session_index(), index_dir)
    seed_embedding_cache(index_dir, _session_index())
    manifest_path = index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    right = manifest[field]
    manifest[field] = "0" * 64 if field == "corpus_fingerprint" else "some-other-model"
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    at = start_app()
    assert at.get("status")[0].label == "Index ready"
    assert json.loads(manifest_path.read_text())[field] == right
    assert at.chat_input and not at.error


def test_mismatched_index_names_the_fix(tmp_path, monkeypatch):
    index_dir = tmp_path / "other" / "index"
    shutil.copytree(_session_index(), index_dir)
    manifest = json.loads((index_dir / "manifest.json").read_text())
    manifest["dimension"] = 123
    (index_dir / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    at = start_app()
    assert "does not match" in _errors(at) and "qbank index --rebuild" in _errors(at)
    assert at.button(key="rebuild-index")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_llm_backend_down_falls_back_with_a_notice():
    at = start_app()
    at.sidebar.radio(key="answer_mode").set_value("LLM backend").run()
    at.sidebar.text_input(key="llm_base_url_openai").set_value(f"http://127.0.0.1:{_closed_port()}/v1").run()
    at.sidebar.number_input(key="llm_timeout").set_value(2.0).run()
    assert_no_exception(at)
    turn = ask(at, "What is KV caching?")
    answer = turn.answer
    assert answer.notices, "the fallback is announced"
    assert answer.citations and "[1]" in answer.markdown
    warnings = [w.value for w in assistant_messages(at)[-1].warning]
    assert warnings and any(n.split()[0] in w for n in answer.notices for w in warnings)


def test_unusable_llm_settings_say_how_to_fix_them():
    at = start_app()
    at.sidebar.radio(key="answer_mode").set_value("LLM backend").run()
    at.sidebar.text_input(key="llm_base_url_openai").set_value("").run()
    assert_no_exception(at)
    assert "base_url" in _errors(at) or "base URL" in _errors(at)
    turn = ask(at, "What is KV caching?")
    assert turn.answer.composer == "offline" and turn.notices


def test_a_failing_answer_service_shows_a_message_not_a_traceback(monkeypatch):
    import answer.conversation

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(answer.conversation, "stream_answer", broken)
    at = start_app()
    at.chat_input[0].set_value("What is KV caching?").run()
    assert_no_exception(at)
    turn = at.session_state["turns"][-1]
    # An unexpected error points at the log; advice about the index would be unrelated (issue 10).
    assert turn.error and "internal error \\(RuntimeError\\) — details in" in turn.error
    assert "rebuild" not in turn.error
    assert any("RuntimeError" in e.value for e in at.error)


def test_topic_map_view():
    at = start_app()
    at.sidebar.radio(key="view").set_value("Topic map").run()
    assert_no_exception(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    traces = figure["data"]
    manifest = json.loads((_session_index() / "manifest.json").read_text())
    points = [t for t in traces if t["name"] != "topic names"]
    assert sum(len(t["x"]) for t in points) == manifest["counts"]["entries"], "every entry is on the map"
    names = next(t for t in traces if t["name"] == "topic names")
    assert len(names["text"]) == manifest["counts"]["topics"] >= 8, "every topic's name is drawn"
    assert len(points) == manifest["counts"]["topics"], "one colour per topic"
    assert all("<script" not in h for t in points for h in t["hovertext"])
    at.segmented_control(key="map_colour").set_value("Bank").run()
    assert_no_exception(at)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len([t for t in figure["data"] if t["name"] != "topic names"]) == 5, "one colour per bank"
    # Filters turn the other entries into grey context that cannot be picked.
    at.sidebar.multiselect(key="filter_banks").set_value(["000_4976b01af1e11b90.txt"]).run()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    grey = [t for t in figure["data"] if not t.get("customdata")]
    assert grey and grey[0]["name"] == "outside the filters"
    assert "Hover to read a question" in shown_text(at.main)


def test_a_rebuilt_index_on_disk_is_noticed_and_reloaded(tmp_path, monkeypatch):
    index_dir = tmp_path / "served" / "index"
    shutil.copytree(_session_index(), index_dir)
    monkeypatch.setenv("QBANK_INDEX_DIR", str(index_dir))
    at = start_app()
    assert "reload-index" not in [b.key for b in at.button]
    # Another process rebuilds the index: its manifest is written anew.
    manifest = index_dir / "manifest.json"
    manifest.write_text(manifest.read_text())
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 5_000_000_000))
    at.run()
    assert_no_exception(at)
    assert any("The index changed on disk" in w.value for w in at.warning)
    at.button(key="reload-index").click().run()
    assert_no_exception(at)
    assert "reload-index" not in [b.key for b in at.button]
    assert not any("The index changed on disk" in w.value for w in at.warning)
