"""What `qbank search` / `qbank ask` print to a terminal: only checked answers, never control sequences.

- `qbank ask --llm` in text mode prints the checked answer, not the model's raw stream (LangChain's
  fake chat model stands in for the backend, through the real `build_chat_model` seam);
- bank text with terminal escapes (clear screen, window title, OSC 52 clipboard write) is printed
  without them (a real bank fixture, indexed with the hashing embedder).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

import answer.llm_composer as llm_composer
from index.embedder import HashingEmbedder
from textkit.terminal import terminal_safe
from ui.cli import main

ESCAPES_BANK = Path(__file__).resolve().parent / "fixtures" / "terminal" / "000_escapes.txt"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class FinishingFake(GenericFakeChatModel):
    """Streams its message word by word, then says it stopped normally (as a real server does)."""

    def _stream(self, *args, **kwargs):
        yield from super()._stream(*args, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata={"finish_reason": "stop"}))


RAW_MODEL_OUTPUT = (
    "KV caching stores computed key and value matrices from previous tokens during autoregressive generation [1]. "
    "The Eiffel Tower was painted green in 1850 [1]. "
    "It avoids recomputing attention for past tokens [9]."
)


@pytest.fixture
def llm_cli(hashing_index_dir, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(hashing_index_dir))
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    monkeypatch.setenv("QBANK_LLM_PROVIDER", "openai")
    monkeypatch.setenv("QBANK_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # never called: the fake answers
    monkeypatch.setenv("QBANK_LLM_MODEL", "fake")
    made = []

    def fake_model(settings):
        made.append(settings)
        return FinishingFake(messages=iter([AIMessage(RAW_MODEL_OUTPUT)]))

    monkeypatch.setattr(llm_composer, "build_chat_model", fake_model)
    return made


def test_ask_llm_text_mode_prints_only_the_checked_answer(llm_cli, capsys):
    code = main(["ask", "--llm", "What is KV caching?"])
    out = capsys.readouterr().out
    assert code == 0 and llm_cli, "the LLM path ran"
    assert "Eiffel" not in out, "an unsupported sentence was printed"
    assert "[9]" not in out, "an invented citation was printed"
    answer_part = out.split("\nSources\n")[0]
    assert "KV caching stores computed key and value matrices" in answer_part
    assert answer_part.count("KV caching stores computed key") == 1, "the answer is printed once"
    assert "note: removed 1 sentence(s)" in out and "note: removed 1 citation(s)" in out


def test_ask_llm_json_and_text_print_the_same_answer(llm_cli, capsys):
    import json

    main(["ask", "--llm", "--json", "What is KV caching?"])
    data = json.loads(capsys.readouterr().out)
    main(["ask", "--llm", "What is KV caching?"])
    out = capsys.readouterr().out
    assert data["composer"] == "openai:fake"
    assert out.startswith(data["answer"] + "\n")


@pytest.fixture(scope="module")
def escapes_index_dir(tmp_path_factory) -> Path:
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("qbank-escapes") / "index"
    build_index(index_dir, [ESCAPES_BANK], HashingEmbedder(), multilingual=False)
    return index_dir


@pytest.fixture
def escapes_cli(escapes_index_dir, monkeypatch):
    monkeypatch.setenv("QBANK_INDEX_DIR", str(escapes_index_dir))
    monkeypatch.setenv("QBANK_EMBEDDER", HashingEmbedder.name)
    for name in ("QBANK_LLM_PROVIDER", "QBANK_LLM_BASE_URL", "QBANK_LLM_MODEL", "QBANK_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_the_fixture_bank_really_holds_escapes():
    text = ESCAPES_BANK.read_text(encoding="utf-8")
    for sequence in ("\x1b[2J", "\x1b]0;pwned title\x07", "\x1b]52;c;", "\x9b31m", "\x1bP+q\x1b\\"):
        assert sequence in text


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "What is KV caching in transformer inference?"],
        ["search", "dropout regularization"],
        ["ask", "What is KV caching in transformer inference?"],
        ["ask", "What is dropout regularization?"],
    ],
)
def test_bank_escapes_never_reach_the_terminal(escapes_cli, capsys, argv):
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0
    assert ("KV caching" in out) or ("Dropout" in out) or ("dropout" in out), out
    assert not CONTROL.search(out), repr(CONTROL.search(out))
    assert "pwned title" not in out and "cm0gLXJmIH4=" not in out, "OSC payloads are removed with their sequence"


def test_terminal_safe():
    assert (
        terminal_safe("a\x1b[2Jb\x1b]0;title\x07c\x1b]52;c;Zm9v\x1b\\d\x9b1;31me\x1bcf\r\n\tg\x00\x7f") == "abcdef\n\tg"
    )
    assert terminal_safe("Übung ≤ 3 — ok\n") == "Übung ≤ 3 — ok\n"
