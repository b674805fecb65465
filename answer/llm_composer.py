"""The optional LLM composer: a LangChain chat model writes the answer from numbered bank entries.

`stream_llm_answer` yields the model's text as it streams, then one checked `Answer`: citations
validated, unsupported sentences dropped or flagged (`answer.llm_postprocess`). Any failure — no
connection, an HTTP error, no first token in time, a stall, the overall deadline, a stream cut
short, or nothing supported left — raises `LLMError`, and the caller falls back to the offline composer.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from answer.llm_postprocess import UnitStatus, check_answer
from answer.llm_prompt import build_messages, pack_sources
from answer.llm_settings import LLMSettings
from answer.support import Embed, SupportChecker
from answer.types import Answer, AnswerStatus, Citation, Intent
from retrieval.types import SearchResult

__all__ = ["LLMError", "LLMSettings", "LLMUnsupportedAnswer", "build_chat_model", "stream_llm_answer"]

NOT_COVERED_TEXT = "The bank does not cover this question."
SUGGESTIONS = 5


class LLMError(Exception):
    """The LLM backend could not produce a usable answer in time; the message says why, for a notice."""


class LLMUnsupportedAnswer(LLMError):
    """The model answered, but nothing it said is supported by the bank entries it was given."""


def build_chat_model(settings: LLMSettings) -> BaseChatModel:
    """The LangChain chat model for the configured backend (no network until it is called)."""
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.model,
            base_url=settings.base_url,
            temperature=settings.temperature,
            num_predict=settings.max_tokens,
            client_kwargs={"timeout": _http_timeout(settings)},
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,  # type: ignore[arg-type]
        timeout=_http_timeout(settings),
        max_retries=0,
        temperature=settings.temperature,
        # ChatOpenAI sends `max_completion_tokens`; llama.cpp's and older servers read `max_tokens`.
        extra_body={"max_tokens": settings.max_tokens},
    )


def _http_timeout(settings: LLMSettings) -> float:
    """The HTTP client's own timeout: a little past ours, so the watchdog in `stream_text` speaks first
    (the first read waits for the first token, which may be allowed longer than later reads)."""
    return max(settings.timeout_s, settings.first_token_timeout) + 1.0


def stream_llm_answer(
    query: str,
    intent: Intent,
    result: SearchResult,
    settings: LLMSettings,
    history: Sequence[Mapping[str, str]] | None = None,
    *,
    embed: Embed | None = None,
    chat_model: BaseChatModel | None = None,
) -> Iterator[str | Answer]:
    """Text chunks as the model writes them, then the checked `Answer` (always last).

    `embed` (e.g. `Searcher.embed`) adds embedding similarity to the support check; without it only
    word overlap counts. `chat_model` replaces the configured backend (tests use LangChain's fakes).
    Raises `LLMError` on any backend failure, within `settings.first_token_timeout`, `timeout_s`
    between chunks, and `settings.deadline` overall.
    """
    if not result.found:  # the service answers these itself; never compose from loosely related entries
        yield _not_covered(query, intent, result, settings)
        return
    context = pack_sources(result.hits, settings.max_context_tokens)
    if not context.sources:
        raise LLMError("no answered bank entry to ground an answer on")
    messages = build_messages(result.standalone_query or query, intent, context, history)
    model = chat_model if chat_model is not None else build_chat_model(settings)
    pieces: list[str] = []
    stream = stream_text(model, messages, settings, require_finish=chat_model is None)
    while True:
        try:
            piece = next(stream)
        except StopIteration as end:
            finish_reason = end.value
            break
        pieces.append(piece)
        yield piece
    text = "".join(pieces)
    if not text.strip():
        raise LLMError("the model returned an empty answer")
    checked = check_answer(
        text, context.by_number, SupportChecker(embed), settings.unsupported, truncated=finish_reason == "length"
    )
    if not checked.count(UnitStatus.KEPT, UnitStatus.RECITED):
        raise LLMUnsupportedAnswer("nothing in the model's answer is supported by the bank entries it was given")
    sources = context.by_number
    best = result.best
    yield Answer(
        query=query,
        intent=intent,
        status=AnswerStatus.ANSWERED if best is None or best.entry.has_answer else AnswerStatus.UNANSWERED_IN_BANK,
        markdown=checked.markdown,
        citations=tuple(Citation(n, sources[n]) for n in checked.cited),
        notices=checked.notices(),
        composer=settings.backend_name,
        search=result,
    )


def _not_covered(query: str, intent: Intent, result: SearchResult, settings: LLMSettings) -> Answer:
    return Answer(
        query=query,
        intent=intent,
        status=AnswerStatus.NOT_COVERED,
        markdown=NOT_COVERED_TEXT,
        citations=(),
        suggestions=tuple(h.entry for h in result.hits[:SUGGESTIONS]),
        notices=result.notices,
        composer=settings.backend_name,
        search=result,
    )


# -- streaming under deadlines -----------------------------------------------------------------------

_CHUNK, _END, _FAIL = "chunk", "end", "fail"


def stream_text(
    model: BaseChatModel, messages: list[BaseMessage], settings: LLMSettings, require_finish: bool = True
) -> Generator[str, None, str | None]:
    """The model's text chunks, read on a worker thread so that no blocking read can outlast a deadline;
    returns the finish reason ("stop", "length", …; None when the model gave none).

    With `require_finish`, a stream that ends without the server's finish reason (a server that died
    mid-answer and closed the connection cleanly) is an error too.
    """
    inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        stream: Iterator[Any] | None = None
        try:
            stream = model.stream(messages)
            for chunk in stream:
                if stop.is_set():
                    return
                inbox.put((_CHUNK, chunk))
            inbox.put((_END, None))
        except BaseException as exc:  # handed to the reader, which raises LLMError
            inbox.put((_FAIL, exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):  # closing a broken stream may raise again
                    close()

    started = time.monotonic()
    threading.Thread(target=work, name="qbank-llm-stream", daemon=True).start()
    got_text = False
    finish_reason: str | None = None
    try:
        while True:
            remaining = settings.deadline - (time.monotonic() - started)
            limit = settings.timeout_s if got_text else settings.first_token_timeout
            try:
                kind, payload = inbox.get(timeout=max(0.0, min(remaining, limit)))
            except queue.Empty:
                if remaining <= limit:
                    raise LLMError(f"the LLM did not finish within {settings.deadline:g} s") from None
                if got_text:
                    raise LLMError(f"the LLM stalled for {limit:g} s mid-answer") from None
                raise LLMError(f"the LLM sent nothing within {limit:g} s") from None
            if kind == _FAIL:
                raise LLMError(describe_failure(payload, settings, mid_answer=got_text)) from payload
            if kind == _END:
                break
            finish_reason = _finish_reason(payload) or finish_reason
            text = payload.text if hasattr(payload, "text") else str(payload)
            if text:
                got_text = True
                yield str(text)
    finally:
        stop.set()
    if require_finish and finish_reason is None:
        raise LLMError("the LLM's stream ended before the answer was finished")
    return finish_reason


def _finish_reason(chunk: Any) -> str | None:
    metadata = getattr(chunk, "response_metadata", None) or {}
    reason = metadata.get("finish_reason") or metadata.get("done_reason")
    if reason is None and metadata.get("done") is True:
        reason = "done"
    return reason


def describe_failure(exc: BaseException, settings: LLMSettings, mid_answer: bool = False) -> str:
    """A short reason for a notice; never the API key."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if status is not None:
        text = f"the LLM server answered HTTP {status}"
    elif "Timeout" in name:
        text = f"the LLM at {settings.base_url} timed out after {settings.timeout_s:g} s"
    elif mid_answer and ("Connect" in name or "Protocol" in name or isinstance(exc, ConnectionError)):
        text = f"the connection to the LLM at {settings.base_url} broke mid-answer"
    elif "Connect" in name or isinstance(exc, ConnectionError):
        text = f"cannot reach the LLM at {settings.base_url}"
    else:
        text = f"the LLM failed: {name}: {exc}"
    return text.replace(settings.api_key, "***") if settings.api_key and settings.api_key != "not-needed" else text
