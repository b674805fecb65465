"""The offline answer: plan (answer/planner.py), then render (answer/render.py) — deterministic,
no LLM, every claim cited."""

from __future__ import annotations

from answer.planner import plan_answer
from answer.query import ParsedQuery
from answer.render import render
from answer.types import Answer, AnswerStatus, Intent
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult


def compose_offline(
    searcher: Searcher,
    parsed: ParsedQuery,
    result: SearchResult,
    *,
    filters: SearchFilters | None = None,
    notices: tuple[str, ...] = (),
) -> Answer:
    """The offline answer to `parsed` from `result` (searched for it already, with `filters`)."""
    plan, status = plan_answer(searcher, parsed, result, filters)
    page = render(plan)
    return Answer(
        query=parsed.text,
        intent=parsed.intent,
        status=status,
        markdown=page.markdown,
        citations=page.citations,
        suggestions=page.suggestions,
        compare=page.compare,
        notices=(*notices, *result.notices, *page.notices),
        composer="offline",
        search=result,
    )


def rejected(query: str, intent: Intent, message: str, notices: tuple[str, ...] = ()) -> Answer:
    return Answer(
        query=query,
        intent=intent,
        status=AnswerStatus.REJECTED,
        markdown=message,
        citations=(),
        notices=notices,
    )
