"""Shared helpers of the app tests (tests/test_app_*.py): a session index and AppTest drivers.

The index is built once per test session from the real banks with the real model, in a temporary
directory. When the checkout already has an embedding cache (data/index-cache) a copy of it is put
beside the temporary index, so the build reuses the vectors instead of embedding for ~25 s.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "ui" / "app.py"
APP_TIMEOUT = 120  # seconds for one AppTest run (a run may load the model or build an index)
LLM_VARIABLES = (
    "QBANK_LLM_PROVIDER",
    "QBANK_LLM_BASE_URL",
    "QBANK_LLM_MODEL",
    "QBANK_LLM_API_KEY",
    "QBANK_LLM_TIMEOUT",
    "QBANK_CONFIG",
)


def seed_embedding_cache(index_dir: Path, source_index: Path | None = None) -> None:
    """Copy the embedding cache of `source_index` (default: the checkout's data/index), if there is
    one, beside `index_dir`, so that building there reuses vectors instead of embedding again."""
    from index.paths import cache_path

    source = cache_path(source_index or REPO / "data" / "index")
    if source.exists():
        target = cache_path(index_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


_BUILT: dict[str, Path] = {}  # test modules import the fixture, so it must build only once per process


@pytest.fixture(scope="session")
def app_index_dir(tmp_path_factory, real_index_dir) -> Path:
    from index.build import build_index

    if "index" not in _BUILT:
        index_dir = tmp_path_factory.mktemp("qbank-app") / "index"
        # The session's real index (tests/conftest.py) has embedded every unit already.
        seed_embedding_cache(index_dir, real_index_dir)
        build_index(index_dir)
        _BUILT["index"] = index_dir
    return _BUILT["index"]


@pytest.fixture
def app_env(app_index_dir, tmp_path, monkeypatch) -> SimpleNamespace:
    """Point the app at the session index and a fresh user-data (SQLite) database; no LLM configured."""
    monkeypatch.setenv("QBANK_INDEX_DIR", str(app_index_dir))
    feedback_db = tmp_path / "userdata.sqlite3"
    monkeypatch.setenv("QBANK_USER_DB", str(feedback_db))
    monkeypatch.delenv("QBANK_DATABASE_URL", raising=False)
    for name in LLM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no qbank.toml from the working directory
    return SimpleNamespace(index_dir=app_index_dir, feedback_db=feedback_db, tmp=tmp_path)


def start_app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    at.run()
    assert_no_exception(at)
    return at


def assert_no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def ask(at, text: str):
    """Type into the chat box, run, and return the assistant turn it produced."""
    before = len(at.session_state["turns"])
    at.chat_input[0].set_value(text).run()
    assert_no_exception(at)
    turns = at.session_state["turns"]
    assert len(turns) == before + 2, "the question and its answer are both in the history"
    assert turns[-2].role == "user" and turns[-1].role == "assistant"
    assert turns[-1].error is None, turns[-1].error
    return turns[-1]


def assistant_messages(at):
    return [m for m in at.chat_message if m.name == "assistant"]


def all_markdown(node) -> list[str]:
    """Every markdown/caption body under an element tree node."""
    return [m.value for m in node.get("markdown")] + [c.value for c in node.get("caption")]


_ESCAPED = re.compile(r"\\.")


def unescape(markdown: str) -> str:
    """The text a reader sees for markdown whose punctuation was backslash-escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def shown_text(node) -> str:
    return unescape("\n".join(all_markdown(node)))


def renders_raw_html(markdown: str) -> bool:
    """Would this markdown contain a raw HTML tag once backslash escapes are taken out?"""
    unescaped = _ESCAPED.sub("", markdown)
    without_code = re.sub(r"```.*?```|`[^`]*`", "", unescaped, flags=re.DOTALL)
    return re.search(r"<\s*[A-Za-z!/]", without_code) is not None


def wait_idle(page, timeout_ms: int) -> None:
    """Until the script run triggered by the last browser interaction has finished: a click that
    lands while a run is still redrawing the page can be undone by that run."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms,
    )
