"""Answering a query end to end: screen it, search, compose (offline, or through an LLM when
configured, falling back to offline), and stream the result.

`stream_answer` yields markdown chunks for display as they are ready, then exactly one `Answer`.
The final `Answer` is authoritative: when an LLM fails midway, the chunks already streamed are
followed by a notice and the offline answer, and the `Answer` holds the offline answer alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from answer.intent import compare_target, detect_intent
from answer.offline import compose_offline, rejected
from answer.safety import screen_query
from answer.types import Answer, Intent
from retrieval.errors import QueryError
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters

History = Sequence[Mapping[str, str]]


def stream_answer(
    searcher: Searcher,
    query: str,
    *,
    history: History | None = None,
    intent: Intent | str | None = None,
    filters: SearchFilters | None = None,
    llm_settings: Any = None,
    k: int = 8,
) -> Iterator[str | Answer]:
    forced = Intent(intent) if intent else None
    query = query if isinstance(query, str) else ""
    screened = screen_query(query)
    if screened.rejection is not None:
        yield from _emit(rejected(query, forced or Intent.LOOKUP, screened.rejection))
        return
    text = screened.query
    chosen = forced or detect_intent(text)
    target = compare_target(text) if chosen is Intent.COMPARE else None
    searched = target.topic if target is not None and target.across_banks else text
    notices = (screened.notice,) if screened.notice else ()
    try:
        result = searcher.search(searched, history=list(history) if history else None, k=k, filters=filters)
    except QueryError as exc:
        yield from _emit(rejected(query, chosen, str(exc), notices))
        return

    if llm_settings is not None and result.found:
        failure, streamed = yield from _stream_llm(
            searcher, query, text, chosen, result, llm_settings, history, notices
        )
        if failure is None:
            return
        notices = (*notices, failure)
        yield f"\n\n> {failure}\n\n" if streamed else f"> {failure}\n\n"
    answer = compose_offline(
        searcher,
        query,
        chosen,
        result,
        across_banks=bool(target and target.across_banks),
        filters=filters,
        notices=notices,
    )
    yield from _emit(answer)


def answer(
    searcher: Searcher,
    query: str,
    *,
    history: History | None = None,
    intent: Intent | str | None = None,
    filters: SearchFilters | None = None,
    llm_settings: Any = None,
    k: int = 8,
) -> Answer:
    final: Answer | None = None
    for item in stream_answer(
        searcher, query, history=history, intent=intent, filters=filters, llm_settings=llm_settings, k=k
    ):
        if isinstance(item, Answer):
            final = item
    assert final is not None, "stream_answer always ends with an Answer"
    return final


def _stream_llm(
    searcher: Searcher,
    query: str,
    text: str,
    intent: Intent,
    result: Any,
    settings: Any,
    history: History | None,
    notices: tuple[str, ...],
) -> Generator[str | Answer, None, tuple[str | None, bool]]:
    """Stream the LLM's answer. Returns (None, …) when it finished, else (the notice explaining the
    fallback, whether any text was streamed before the failure)."""
    name = _backend_name(settings)
    try:
        from answer.llm_composer import LLMError, stream_llm_answer
    except ImportError as exc:
        return f"The LLM composer is not available ({exc}); showing the offline answer.", False
    extra: dict[str, Any] = {}
    if "embed" in inspect.signature(stream_llm_answer).parameters:
        extra["embed"] = searcher.embed  # the support check then weighs meaning, not only shared words
    streamed = False
    try:
        for item in stream_llm_answer(
            text, intent, result, settings, history=list(history) if history else None, **extra
        ):
            if isinstance(item, Answer):
                yield replace(
                    item,
                    query=query,
                    notices=(*notices, *item.notices),
                    search=item.search if item.search is not None else result,
                )
                return None, streamed
            streamed = True
            yield item
    except LLMError as exc:
        return f"The LLM backend {name} failed ({exc}); showing the offline answer.", streamed
    return f"The LLM backend {name} ended without an answer; showing the offline answer.", streamed


def _backend_name(settings: Any) -> str:
    for attribute in ("backend_name", "model", "base_url"):
        value = getattr(settings, attribute, None)
        if value:
            return str(value)
    return "(unnamed)"


def _emit(answer: Answer) -> Iterator[str | Answer]:
    """The answer's markdown in display-sized chunks (block by block), then the Answer."""
    blocks = answer.markdown.split("\n\n")
    for i, block in enumerate(blocks):
        yield block + ("\n\n" if i < len(blocks) - 1 else "")
    yield answer
