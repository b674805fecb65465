"""The offline composer: deterministic, no LLM, every claim cited — and honest about coverage.

- retrieval says nothing answers the query → NOT_COVERED: say so, list the nearest entries as
  suggestions, compose nothing;
- the best match is a question its bank leaves unanswered → UNANSWERED_IN_BANK: say so (cited),
  then answer from answered entries on the same topic (its variants in other banks first);
- otherwise compose by intent: lookup, explain, or compare.
"""

from __future__ import annotations

from answer.citations import where
from answer.compose_base import Draft
from answer.compose_compare import compose_bank_versions, compose_concepts, compose_single_version, names_all
from answer.compose_explain import compose_explain
from answer.compose_lookup import compose_lookup
from answer.evidence import answered_related, best_match, related_hits, scoped
from answer.intent import compare_sides, explain_depth
from answer.sentences import escape_text
from answer.types import Answer, AnswerStatus, Intent
from ingest.entry import Entry
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult

SUGGESTIONS = 5
EXPLAIN_ENTRIES = 5
RELATED_QUESTIONS = 4

NOT_COVERED = (
    "The interview banks do not cover this question, so there is no answer to compose from them "
    "(qbank does not stitch answers together from loosely related entries)."
)


def not_covered(query: str, intent: Intent, result: SearchResult, notices: tuple[str, ...] = ()) -> Answer:
    suggestions = tuple(h.entry for h in result.hits[:SUGGESTIONS])
    lines = [f"#### Not covered by the banks\n\n{NOT_COVERED}"]
    if suggestions:
        lines.append("#### Nearest questions in the banks")
        lines.append("\n".join(f"- {escape_text(e.question.strip())} *({where(e)})*" for e in suggestions))
    return Answer(
        query=query,
        intent=intent,
        status=AnswerStatus.NOT_COVERED,
        markdown="\n\n".join(lines),
        citations=(),
        suggestions=suggestions,
        notices=(*notices, *result.notices),
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


def compose_offline(
    searcher: Searcher,
    query: str,
    intent: Intent,
    result: SearchResult,
    *,
    across_banks: bool = False,
    filters: SearchFilters | None = None,
    notices: tuple[str, ...] = (),
) -> Answer:
    """The offline answer to `query` from `result` (searched for it already, with `filters`)."""
    searcher = scoped(searcher, filters)
    best = best_match(result, searcher)
    if not result.found or best is None:
        return not_covered(query, intent, result, notices)
    draft = Draft()
    standalone = result.standalone_query
    sides = compare_sides(standalone) if intent is Intent.COMPARE else ()
    if sides and not across_banks and not best.entry.has_answer and not names_all(sides, best.entry.question):
        # An unanswered question that is not this comparison (say "What is regularization?" for
        # "L1 vs L2") is no best match for it: the table is the answer.
        best = next((h for h in result.hits if h.entry.has_answer), best)
    status = AnswerStatus.ANSWERED if best.entry.has_answer else AnswerStatus.UNANSWERED_IN_BANK

    if intent is Intent.COMPARE and (across_banks or not sides):
        if compose_bank_versions(draft, searcher, best.entry):
            return _finish(query, intent, status, draft, result, notices)
        if best.entry.has_answer:
            compose_single_version(draft, best.entry)
            return _finish(query, intent, status, draft, result, notices)
        intent_for_body = Intent.LOOKUP
    else:
        intent_for_body = intent

    sources = [best.entry] if best.entry.has_answer else []
    if not best.entry.has_answer:
        draft.heading("Asked in the bank without an answer")
        draft.add(draft.question(best.entry, f" *({where(best.entry)})*"))
        sources = answered_related(searcher, best.entry, result)
        if sources and intent_for_body is not Intent.COMPARE:  # a comparison brings its own heading
            draft.heading("From answered entries on the same topic")
    others = [h.entry for h in related_hits(result) if h.entry.id != best.entry.id]

    if intent_for_body is Intent.COMPARE:
        sides = compare_sides(standalone)
        shown = [] if best.entry.has_answer else [best.entry]
        if compose_concepts(draft, searcher, result, sides, filters, shown):
            return _finish(query, intent, status, draft, result, notices)
        intent_for_body = Intent.LOOKUP  # no side has a point: show the best answer instead
    if not sources:
        nearby = [*others, *searcher.similar(best.entry.id, k=RELATED_QUESTIONS)]
        _related_questions(draft, _unique([e for e in nearby if e.id != best.entry.id]))
    elif intent_for_body is Intent.EXPLAIN:
        entries = _unique([*sources, *(e for e in others if e.has_answer)])
        more = [*entries[EXPLAIN_ENTRIES:], *searcher.children(entries[0].id), *(e for e in others if not e.has_answer)]
        scores = {h.entry.id: h.dense_score for h in result.hits}
        depth = explain_depth(query)
        compose_explain(draft, searcher, standalone, entries[:EXPLAIN_ENTRIES], _unique(more), depth, scores)
    else:
        primary = sources[0]
        also = _unique([*sources[1:], *others])
        compose_lookup(draft, primary, [e for e in also if e.id != best.entry.id])
    return _finish(query, intent, status, draft, result, notices)


def _related_questions(draft: Draft, entries: list[Entry]) -> None:
    if entries:
        draft.heading("Related questions in the banks")
        draft.add(
            "\n".join(draft.question(e, "" if e.has_answer else " *(asked without an answer)*") for e in entries[:4])
        )


def _unique(entries: list[Entry]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.id, entry)
    return list(seen.values())


def _finish(
    query: str, intent: Intent, status: AnswerStatus, draft: Draft, result: SearchResult, notices: tuple[str, ...]
) -> Answer:
    return Answer(
        query=query,
        intent=intent,
        status=status,
        markdown=draft.markdown(),
        citations=draft.registry.citations(),
        compare=tuple(draft.compare),
        notices=(*notices, *result.notices, *draft.notices),
        composer="offline",
        search=result,
    )
