"""Answer quality of the offline composer (and, beside it, the previous release's) on the evaluation set.

- citation validity: every [n] in the answer points at a listed source, and every listed source
  is an entry of the index (retrieved, not invented);
- support rate: share of the answer's claims (sentences, bullets, table cells) that the entry
  they cite supports (answer/support.py, thresholds measured on this dev set);
- key-term coverage: share of the query's expected key terms present in the answer (soft: a term
  matches when its stemmed words all appear);
- explain answers whose first cited entry is a labelled relevant entry;
- answers whose first section is an unanswered entry although an answered labelled entry exists
  (a count: it should be 0);
- correct abstention: out-of-scope queries answered "not covered" (or rejected);
- answer latency.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from answer.citations import check_citations
from answer.sentences import claim_units
from answer.service import answer
from answer.support import SupportChecker, content_words, strip_citations
from answer.types import Answer, AnswerStatus, Citation, Intent
from eval.dataset import EvalQuery
from eval.metrics import percentile
from eval.report import ANSWER_COLUMNS
from retrieval.searcher import Searcher


def key_term_coverage(markdown: str, key_terms: Sequence[str]) -> float:
    if not key_terms:
        return 1.0
    present = content_words(strip_citations(markdown)) | set(markdown.lower().split())
    covered = 0
    for term in key_terms:
        words = content_words(term) or {term.lower()}
        if words <= present or term.lower() in markdown.lower():
            covered += 1
    return covered / len(key_terms)


def citations_valid(result: Answer, searcher: Searcher) -> bool:
    report = check_citations(result.markdown, result.citations)
    known = all(c.entry.id in searcher.index.by_id for c in result.citations)
    return not report.dangling and known


def support_share(result: Answer, checker: SupportChecker) -> float | None:
    by_number = {c.n: c.entry for c in result.citations}
    claims = [c for c in claim_units(result.markdown) if strip_citations(c.text).strip()]
    if not claims:
        return None
    supported = 0
    for claim in claims:
        entries = [by_number[n] for n in claim.markers if n in by_number]
        if entries and checker.check(claim.text, entries).supported:
            supported += 1
    return supported / len(claims)


def _answered_labelled(item: EvalQuery, searcher: Searcher) -> bool:
    """Does the query have a labelled relevant entry that its bank answers?"""
    by_id = searcher.index.by_id
    return any(i in by_id and searcher.entry(i).has_answer for i in item.relevant)


def score(
    item: EvalQuery, result: Answer, searcher: Searcher, checker: SupportChecker | None, latency_ms: float
) -> tuple[str, dict[str, float]]:
    """One query's figures and its group. `checker` None skips the (slow) support rate."""
    row: dict[str, float] = {"latency_ms": latency_ms}
    if not item.in_scope:
        row["correct_abstention"] = float(result.status in (AnswerStatus.NOT_COVERED, AnswerStatus.REJECTED))
        return "out of scope", row
    row["citation_validity"] = float(citations_valid(result, searcher))
    share = support_share(result, checker) if checker is not None and result.found else None
    if share is not None:
        row["support_rate"] = share
    row["key_term_coverage"] = key_term_coverage(result.markdown, item.key_terms)
    row["answered"] = float(result.found)
    first = result.citations[0].entry if result.citations else None
    if item.intent == "explain" and result.found:
        row["explain_first_labelled"] = float(first is not None and first.id in item.relevant)
    if result.found and _answered_labelled(item, searcher):
        # The first section is the first cited entry's: an unanswered one must not lead.
        row["unanswered_first"] = float(first is not None and not first.has_answer)
    return f"in scope — {item.intent}", row


def evaluate_answers(
    searcher: Searcher, dev: Sequence[EvalQuery], with_support: bool = True
) -> dict[str, dict[str, float]]:
    checker = SupportChecker(searcher.embed) if with_support else None
    answer(searcher, "warm up: what is dropout")
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for item in dev:
        started = time.perf_counter()
        result = answer(searcher, item.query, history=list(item.history) or None)
        group, row = score(item, result, searcher, checker, (time.perf_counter() - started) * 1000)
        rows[group].append(row)
        rows["all"].append(row)
    return {group: _summary(items) for group, items in sorted(rows.items())}


def evaluate_previous(
    searcher: Searcher, dev: Sequence[EvalQuery], queries_path: Path, workdir: Path
) -> dict[str, dict[str, float]]:
    """The previous release's composer on the same queries (eval/previous_composer.py), scored here."""
    from eval.previous_composer import run_previous

    workdir.mkdir(parents=True, exist_ok=True)
    subset = workdir / "queries.jsonl"
    subset.write_text(
        "".join(json.dumps({"query": q.query, "history": list(q.history)}) + "\n" for q in dev), encoding="utf-8"
    )
    answered = run_previous(subset, searcher.index.path, workdir)
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for item, got in zip(dev, answered):
        by_id = searcher.index.by_id
        citations = tuple(Citation(n, searcher.entry(i)) for n, i in enumerate(got["cited"], start=1) if i in by_id)
        result = Answer(item.query, Intent.LOOKUP, AnswerStatus(got["status"]), got["markdown"], citations)
        group, row = score(item, result, searcher, None, 0.0)
        row.pop("latency_ms")
        if "citation_validity" in row and len(citations) < len(got["cited"]):
            row["citation_validity"] = 0.0  # it cited an entry the index does not have
        rows[group].append(row)
        rows["all"].append(row)
    return {group: _summary(items) for group, items in sorted(rows.items())}


SUMMED = ("unanswered_first",)  # counts, not shares


def _summary(rows: list[dict[str, float]]) -> dict[str, float]:
    figures: dict[str, float] = {"queries": float(len(rows))}
    for name in (*(c for c in ANSWER_COLUMNS if not c.endswith("_ms")), "answered"):
        values = [r[name] for r in rows if name in r]
        if values:
            figures[name] = float(np.sum(values) if name in SUMMED else np.mean(values))
    latencies = [r["latency_ms"] for r in rows if "latency_ms" in r]
    if latencies:
        figures["latency_p50_ms"] = percentile(latencies, 50)
        figures["latency_p95_ms"] = percentile(latencies, 95)
    return figures
