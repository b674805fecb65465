"""The server's LLM API key is a secret: never in the browser, never sent to a URL typed in the browser.

- `browser_settings` (the sidebar's settings resolution): the configured key goes only with the
  configured provider and base URL; another URL gets only a key typed in the browser;
- the app (AppTest): the key appears in no element or widget value;
- on the wire: two loopback request loggers stand in for the configured backend and for a URL a
  user typed; the Authorization headers each one receives are checked.
"""

from __future__ import annotations

import pytest
from app_testing import assert_no_exception
from security_testing import RequestLogger, seeded_index_dir  # noqa: F401  (a fixture)

from answer.llm_settings import LLMSettings, browser_settings

SECRET = "sk-server-secret-4f9c2e"
SERVER_URL = "http://127.0.0.1:8080/v1"


def configured(**overrides) -> LLMSettings:
    values = {"base_url": SERVER_URL, "model": "local", "api_key": SECRET, "max_tokens": 77} | overrides
    return LLMSettings(**values)


def test_the_configured_backend_keeps_the_server_key():
    settings = browser_settings(configured(), provider="openai", base_url=SERVER_URL + "/", model="local")
    assert settings.api_key == SECRET and settings.max_tokens == 77


def test_a_changed_base_url_drops_the_server_key():
    settings = browser_settings(configured(), provider="openai", base_url="http://evil.example/v1", model="local")
    assert settings.api_key != SECRET and settings.api_key == "not-needed"
    assert settings.max_tokens == 77, "other configured settings are kept"


def test_a_changed_base_url_gets_only_the_key_typed_in_the_browser():
    settings = browser_settings(
        configured(), provider="openai", base_url="http://other.example/v1", model="m", api_key=" user-key "
    )
    assert settings.api_key == "user-key"


def test_another_provider_drops_the_server_key():
    settings = browser_settings(configured(), provider="ollama", base_url=SERVER_URL, model="smollm2:135m")
    assert settings.api_key != SECRET


def test_nothing_configured_means_no_key():
    settings = browser_settings(None, provider="openai", base_url=SERVER_URL, model="local")
    assert settings.api_key == "not-needed"


# -- the app -------------------------------------------------------------------------------------


@pytest.fixture
def secret_app_env(seeded_index_dir, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("QBANK_INDEX_DIR", str(seeded_index_dir))
    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path / "userdata.sqlite3"))
    monkeypatch.delenv("QBANK_DATABASE_URL", raising=False)
    monkeypatch.delenv("QBANK_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    server = RequestLogger()
    monkeypatch.setenv("QBANK_LLM_PROVIDER", "openai")
    monkeypatch.setenv("QBANK_LLM_BASE_URL", server.url + "/v1")
    monkeypatch.setenv("QBANK_LLM_MODEL", "local")
    monkeypatch.setenv("QBANK_LLM_API_KEY", SECRET)
    monkeypatch.setenv("QBANK_LLM_TIMEOUT", "5")
    yield server
    server.close()


def _texts(node):
    """Every element's and block's protobuf text under an AppTest tree node."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        yield str(proto)
    for child in getattr(node, "children", {}).values():
        yield from _texts(child)


def _start():
    from app_testing import APP, APP_TIMEOUT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.run()
    assert_no_exception(at)
    return at


def _ask(at, question: str):
    at.chat_input[0].set_value(question).run()
    assert_no_exception(at)
    return at.session_state["turns"][-1]


@pytest.mark.slow
def test_the_server_key_is_in_no_element_or_widget(secret_app_env):
    at = _start()
    assert at.sidebar.radio(key="answer_mode").value == "LLM backend"
    protos = list(_texts(at._tree))
    assert len(protos) > 20 and any("API key" in p for p in protos), "the walk reaches the sidebar's widgets"
    assert not [p for p in protos if SECRET in p]
    assert at.sidebar.text_input(key="llm_key_openai").value == ""
    assert all(SECRET not in str(w.value) for w in at.text_input)


@pytest.mark.slow
def test_a_user_entered_url_never_receives_the_server_key(secret_app_env):
    server = secret_app_env
    with RequestLogger() as elsewhere:
        at = _start()
        at.sidebar.text_input(key="llm_base_url_openai").set_value(elsewhere.url + "/v1").run()
        turn = _ask(at, "What is KV caching?")
        assert turn.answer is not None and turn.answer.composer == "offline", "the logger is no LLM: a fallback"
        posts = [r for r in elsewhere.requests if r.method == "POST"]
        assert posts, "the app did call the URL typed in the sidebar"
        assert all(SECRET not in r.headers.get("authorization", "") for r in posts)
        assert not server.requests, "the configured backend was not asked"

        # A key typed in the browser goes to the URL typed in the browser.
        at.sidebar.text_input(key="llm_key_openai").set_value("user-typed-key").run()
        _ask(at, "What is dropout?")
        assert elsewhere.requests[-1].headers.get("authorization") == "Bearer user-typed-key"

    # The configured backend (URL set back) gets the server's key: the loggers do see the header.
    at.sidebar.text_input(key="llm_key_openai").set_value("").run()
    at.sidebar.text_input(key="llm_base_url_openai").set_value(server.url + "/v1").run()
    _ask(at, "What is KV caching?")
    assert server.requests and server.requests[-1].headers.get("authorization") == f"Bearer {SECRET}"


def test_the_key_is_not_in_the_settings_repr():
    """Settings end up in logs and tracebacks; the key must not come with them."""
    assert SECRET not in repr(configured()) and SECRET not in str(configured())
