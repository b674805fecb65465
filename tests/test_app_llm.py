"""The app's LLM answer mode against a real llama.cpp server on loopback, and against one that never
answers (the app must fall back to the offline answer with a notice, within the timeout)."""

from __future__ import annotations

import re
import time

import pytest
from app_testing import (
    app_env,  # noqa: F401  (a fixture, used through pytestmark)
    app_index_dir,  # noqa: F401  (a fixture app_env needs)
    ask,
    assert_no_exception,
    assistant_messages,
    start_app,
)
from llm_server import MODEL_ALIAS, LlamaServer, SilentServer, gguf_model_path, llama_server_missing

pytestmark = [pytest.mark.slow, pytest.mark.llm, pytest.mark.usefixtures("app_env")]


@pytest.fixture(scope="module")
def llama():
    missing = llama_server_missing()
    if missing:
        pytest.skip(missing)
    server = LlamaServer(gguf_model_path())
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _llm_mode(at, base_url: str, model: str, timeout: float) -> None:
    at.sidebar.radio(key="answer_mode").set_value("LLM backend").run()
    at.sidebar.text_input(key="llm_base_url_openai").set_value(base_url).run()
    at.sidebar.text_input(key="llm_model_openai").set_value(model).run()
    at.sidebar.number_input(key="llm_timeout").set_value(timeout).run()
    assert_no_exception(at)
    assert not at.error


def test_llm_answer_in_the_app(llama, monkeypatch):
    # Configured settings the sidebar keeps: small budgets keep the CPU-bound model quick.
    monkeypatch.setenv("QBANK_LLM_MAX_TOKENS", "80")
    monkeypatch.setenv("QBANK_LLM_MAX_CONTEXT_TOKENS", "500")
    at = start_app()
    assert at.sidebar.radio(key="answer_mode").value == "LLM backend", "a configured LLM is used by default"
    _llm_mode(at, llama.base_url, MODEL_ALIAS, 60.0)
    turn = ask(at, "What is KV caching?")
    answer = turn.answer
    listed = {c.n for c in answer.citations}
    assert answer.citations
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.markdown)} <= listed, "every [n] points at a source"
    if answer.composer == "offline":  # a 135M model may say nothing the sources support
        assert answer.notices, "a fallback is always announced"
    else:
        assert answer.composer.startswith("openai:")
        caption = [c.value for c in assistant_messages(at)[-1].caption]
        assert any("LLM" in c for c in caption)
    settings = at.session_state["conversation"]  # the history kept for follow-ups has the turn
    assert settings.turns and settings.turns[-1]["role"] == "assistant"


def test_silent_backend_falls_back_within_the_timeout():
    silent = SilentServer()
    try:
        at = start_app()
        _llm_mode(at, silent.base_url, "local", 2.0)
        started = time.monotonic()
        turn = ask(at, "What is KV caching?")
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    answer = turn.answer
    assert answer.composer == "offline" and answer.notices
    assert "[1]" in answer.markdown
    assert elapsed < 20, f"the fallback took {elapsed:.1f}s"
    assert any(w for w in assistant_messages(at)[-1].warning)
