"""Planning the offline answer — deterministic, no LLM, and honest about coverage:

- retrieval says nothing answers the query → NotCovered (the nearest entries as suggestions);
- the best match is a question its bank leaves unanswered → Unanswered: the answer comes from
  answered entries on the same topic, and the unanswered question is only mentioned after it;
- otherwise by intent: Lookup, Explain, CompareConcepts (sides) or CompareVersions (banks).
"""

from __future__ import annotations

from answer.citations import bank_label
from answer.evidence import answered_related, best_match, related_hits, scoped, thresholds
from answer.plan import CompareConcepts, Explain, Lookup, NotCovered, Plan, Unanswered
from answer.plan_compare import names_all, plan_concepts, plan_versions
from answer.plan_explain import plan_explain
from answer.query import ParsedQuery
from answer.types import AnswerStatus, Intent
from ingest.entry import Entry
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult

SUGGESTIONS = 5
RELATED_QUESTIONS = 4
LOOKUP_BUDGET = 350


def _unique(entries: list[Entry]) -> list[Entry]:
    return list({e.id: e for e in entries}.values())


def plan_answer(
    searcher: Searcher, parsed: ParsedQuery, result: SearchResult, filters: SearchFilters | None = None
) -> tuple[Plan, AnswerStatus]:
    searcher = scoped(searcher, filters)
    t = thresholds(searcher)
    best = best_match(result, searcher)
    if not result.found or best is None:
        return NotCovered(tuple(h.entry for h in result.hits[:SUGGESTIONS])), AnswerStatus.NOT_COVERED
    comparison = parsed.comparison if parsed.intent is Intent.COMPARE else None
    sides = comparison.sides if comparison is not None and not comparison.across_banks else ()
    hits = related_hits(result, t)
    if sides and not best.entry.has_answer and not names_all(sides, best.entry.question):
        # An unanswered question that is not this comparison is no best match for it: the table is.
        best = next((h for h in result.hits if h.entry.has_answer), best)
    status = AnswerStatus.ANSWERED if best.entry.has_answer else AnswerStatus.UNANSWERED_IN_BANK

    if comparison is not None and not sides:
        versions = plan_versions(searcher, best.entry)
        if versions is not None:
            return versions, status
        if best.entry.has_answer:
            only = f"Only {bank_label(best.entry)} has this question"
            return Lookup(best.entry, (), LOOKUP_BUDGET, only), status

    if best.entry.has_answer:
        sources = [best.entry]
    else:
        sources = answered_related(searcher, best.entry, result)
    others = [h.entry for h in hits if h.entry.id != best.entry.id]
    body: Lookup | Explain | CompareConcepts | None = None
    if sides:
        body = plan_concepts(searcher, result, sides, filters)
    if body is None and sources and parsed.intent is Intent.EXPLAIN:
        entries = _unique([*sources, *(e for e in others if e.has_answer)])
        scores = {h.entry.id: h.dense_score for h in result.hits}
        unanswered = [e for e in others if not e.has_answer]
        body = plan_explain(searcher, result.standalone_query, entries, scores, parsed.depth, unanswered)
    if body is None and sources:
        also = _unique([*sources[1:], *others])
        body = Lookup(sources[0], tuple(e for e in also if e.id != best.entry.id), LOOKUP_BUDGET)
    if best.entry.has_answer and body is not None:
        return body, status
    if body is not None:
        return Unanswered(best.entry, body), status
    nearby = _unique([*others, *searcher.similar(best.entry.id, k=RELATED_QUESTIONS)])
    related = tuple(e for e in nearby if e.id != best.entry.id)[:RELATED_QUESTIONS]
    return Unanswered(best.entry, None, related), status
