"""The tricky-markdown corpus through the app's own renderers, in AppTest and in a real headless Chromium.

- AppTest: every case rendered as a bank entry (`render_entry`, what a source shows); every
  markdown body the app hands Streamlit renders inert (tests/markdown_corpus.py: `dangers`).
- The LLM path: a fake chat model (LangChain's, through the real `build_chat_model` seam) answers
  with a supported sentence carrying the escaped-backtick image bypass; it passes the support check,
  and the chat still renders it inert.
- Chromium: tests/markdown_safety_page.py served by Streamlit on loopback; every corpus URL points
  at a loopback request logger, and the logger and Playwright's request events must see zero
  fetches of corpus URLs — while the page's one unsanitized control image *is* fetched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from app_testing import APP, APP_TIMEOUT, assert_no_exception
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from markdown_corpus import commonmark_html, dangers, load_corpus, visible_text
from security_testing import RequestLogger, seeded_index_dir, wait_healthy  # noqa: F401  (a fixture)

import answer.llm_composer as llm_composer

REPO = Path(__file__).resolve().parent.parent
PAGE = Path(__file__).resolve().parent / "markdown_safety_page.py"
CHROMIUM = Path("/usr/bin/chromium")


def _bodies(at) -> list[str]:
    """Every markdown body the app handed Streamlit: markdown, captions, alerts, labels."""
    out = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("info", "warning", "error", "success"):
        out += [e.value for e in getattr(at, kind)]
    out += [e.label for e in at.expander]
    return out


def _render_corpus(host: str) -> None:
    import sys

    sys.path.insert(0, "tests")
    from llm_server import make_entry
    from markdown_corpus import load_corpus

    from ui.app_sources import render_entry

    for n, case in enumerate(load_corpus(host), start=1):
        render_entry(make_entry(n, case["name"], case["markdown"]))


def test_every_case_renders_inert_as_a_bank_entry():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_render_corpus, args=("127.0.0.1:9",), default_timeout=60)
    at.run()
    assert_no_exception(at)
    cases = load_corpus("127.0.0.1:9")
    bodies = _bodies(at)
    assert len(bodies) >= 2 * len(cases), "each case shows its question and its answer"
    unsafe = {body: found for body in bodies if (found := dangers(commonmark_html(body)))}
    assert not unsafe
    shown = "\n".join(visible_text(commonmark_html(body)) for body in bodies)
    for case in cases:
        for text in case["shows"]:
            assert text in shown, (case["name"], text)


# -- the LLM path ---------------------------------------------------------------------------------

BYPASS = "\\`![t](http://127.0.0.1:9/llm.png)`"
LLM_ANSWER = (
    f"KV caching stores computed key and value matrices {BYPASS} from previous tokens during "
    "autoregressive generation [1]."
)


class FinishingFake(GenericFakeChatModel):
    def _stream(self, *args, **kwargs):
        yield from super()._stream(*args, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata={"finish_reason": "stop"}))


@pytest.mark.slow
def test_an_llm_answer_that_passes_the_support_check_renders_inert(seeded_index_dir, tmp_path, monkeypatch):  # noqa: F811
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QBANK_INDEX_DIR", str(seeded_index_dir))
    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path / "userdata.sqlite3"))
    monkeypatch.chdir(tmp_path)
    for name in ("QBANK_DATABASE_URL", "QBANK_CONFIG", "QBANK_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QBANK_LLM_PROVIDER", "openai")
    monkeypatch.setenv("QBANK_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("QBANK_LLM_MODEL", "fake")
    monkeypatch.setattr(
        llm_composer, "build_chat_model", lambda settings: FinishingFake(messages=iter([AIMessage(LLM_ANSWER)]))
    )
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.run()
    at.chat_input[0].set_value("What is KV caching?").run()
    assert_no_exception(at)
    answer = at.session_state["turns"][-1].answer
    assert answer.composer == "openai:fake", answer.notices
    assert BYPASS in answer.markdown, "the payload passed the support check"
    bodies = _bodies(at)
    assert any("llm.png" in body for body in bodies), "the answer is on the page"
    assert not {body: found for body in bodies if (found := dangers(commonmark_html(body)))}


# -- a real browser -------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_page(host: str, port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "streamlit", "run", str(PAGE), "--server.headless=true", "--server.address=127.0.0.1",
        f"--server.port={port}", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
        "--global.developmentMode=false", "--client.toolbarMode=minimal",
    ]  # fmt: skip
    env = {**os.environ, "QBANK_CORPUS_HOST": host, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium")
def test_no_corpus_fetch_in_a_real_browser():
    import signal

    from playwright.sync_api import sync_playwright

    from eval.bench_app import launch_browser

    cases = load_corpus()
    with RequestLogger() as logger:
        port = _free_port()
        app_url = f"http://127.0.0.1:{port}"
        process = _serve_page(logger.host, port)
        try:
            wait_healthy(app_url, process)
            requests: list[str] = []
            with sync_playwright() as playwright:
                browser = launch_browser(playwright)
                try:
                    page = browser.new_page(viewport={"width": 1200, "height": 900})
                    page.on("request", lambda request: requests.append(request.url))
                    page.goto(app_url)
                    page.get_by_text(f"corpus rendered: {len(cases)} cases").wait_for(timeout=90_000)
                    # Scroll through the page: lazily loaded images would load now.
                    for _ in range(40):
                        page.mouse.wheel(0, 4000)
                        page.wait_for_timeout(50)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(1500)
                    images = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
                    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
                    frames = page.eval_on_selector_all("iframe", "els => els.map(e => e.src)")
                finally:
                    browser.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
    control = f"{logger.url}/control.png"
    assert control in requests and logger.paths() == ["/control.png"], (
        "the control image was fetched, and nothing else from the corpus",
        logger.paths(),
    )
    corpus_requests = [url for url in requests if logger.host in url and url != control]
    assert corpus_requests == []
    assert [src for src in images if logger.host in src] == [control]
    assert not [src for src in scripts + frames if logger.host in src]
    remote = [url for url in requests if not url.startswith(("http://127.0.0.1", "data:", "blob:"))]
    assert remote == [], f"the page fetched from other hosts: {remote[:5]}"
