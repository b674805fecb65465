"""Answering a query end to end: read it once (`parse_query`), search, plan and render the offline
answer — or compose through an LLM when configured, falling back to offline — and stream it.

`stream_answer` returns an `AnswerStream`: iterate it for markdown chunks as they are ready, then
`.result()` for the final `Answer`. The final `Answer` is authoritative: when an LLM fails midway,
the chunks already streamed are followed by a notice and the offline answer, and the `Answer`
holds the offline answer alone.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from answer.llm_settings import LLMSettings
from answer.offline import compose_offline, rejected
from answer.query import ParsedQuery, parse_query
from answer.stream import AnswerStream, chunks_of
from answer.types import Answer, Intent
from retrieval.errors import QueryError
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

History = Sequence[Mapping[str, str]]


def stream_answer(
    searcher: Searcher,
    query: str,
    *,
    history: History | None = None,
    intent: Intent | str | None = None,
    filters: SearchFilters | None = None,
    llm_settings: LLMSettings | None = None,
    k: int = 8,
    chat_model: BaseChatModel | None = None,
) -> AnswerStream:
    """`chat_model` replaces the model `llm_settings` describes (tests pass LangChain's fakes)."""
    forced = Intent(intent) if intent else None
    parsed = parse_query(query, forced)
    return AnswerStream(_items(searcher, parsed, history, filters, llm_settings, k, chat_model))


def answer(
    searcher: Searcher,
    query: str,
    *,
    history: History | None = None,
    intent: Intent | str | None = None,
    filters: SearchFilters | None = None,
    llm_settings: LLMSettings | None = None,
    k: int = 8,
    chat_model: BaseChatModel | None = None,
) -> Answer:
    return stream_answer(
        searcher,
        query,
        history=history,
        intent=intent,
        filters=filters,
        llm_settings=llm_settings,
        k=k,
        chat_model=chat_model,
    ).result()


def _items(
    searcher: Searcher,
    parsed: ParsedQuery,
    history: History | None,
    filters: SearchFilters | None,
    settings: LLMSettings | None,
    k: int,
    chat_model: BaseChatModel | None,
) -> Iterator[str | Answer]:
    if parsed.rejection is not None:
        yield from chunks_of(rejected(parsed.text, parsed.intent, parsed.rejection))
        return
    notices = (parsed.notice,) if parsed.notice else ()
    try:
        result = searcher.search(parsed.searched, history=list(history) if history else None, k=k, filters=filters)
    except QueryError as exc:
        yield from chunks_of(rejected(parsed.text, parsed.intent, str(exc), notices))
        return
    if settings is not None and result.found:
        failure, streamed = yield from _stream_llm(searcher, parsed, result, settings, history, notices, chat_model)
        if failure is None:
            return
        notices = (*notices, failure)
        yield f"\n\n> {failure}\n\n" if streamed else f"> {failure}\n\n"
    offline = compose_offline(searcher, parsed, result, filters=filters, notices=notices)
    yield from chunks_of(offline)


def _stream_llm(
    searcher: Searcher,
    parsed: ParsedQuery,
    result: SearchResult,
    settings: LLMSettings,
    history: History | None,
    notices: tuple[str, ...],
    chat_model: BaseChatModel | None,
) -> Generator[str | Answer, None, tuple[str | None, bool]]:
    """Stream the LLM's answer. Returns (None, …) when it finished, else (the notice explaining the
    fallback, whether any text was streamed before the failure)."""
    name = settings.backend_name
    try:
        from answer.llm_composer import LLMError, stream_llm_answer
    except ImportError as exc:
        return f"The LLM composer is not available ({exc}); showing the offline answer.", False
    streamed = False
    try:
        for item in stream_llm_answer(
            parsed.standalone,
            parsed.intent,
            result,
            settings,
            history=list(history) if history else None,
            embed=searcher.embed,  # the support check then weighs meaning, not only shared words
            chat_model=chat_model,
        ):
            if isinstance(item, Answer):
                yield replace(
                    item,
                    query=parsed.text,
                    notices=(*notices, *item.notices),
                    search=item.search if item.search is not None else result,
                )
                return None, streamed
            streamed = True
            yield item
    except LLMError as exc:
        return f"The LLM backend {name} failed ({exc}); showing the offline answer.", streamed
    return f"The LLM backend {name} ended without an answer; showing the offline answer.", streamed
