"""Answer quality of the offline composer on the dev set.

- citation validity: every [n] in the answer points at a listed source, and every listed source
  is an entry of the index (retrieved, not invented);
- support rate: share of the answer's claims (sentences, bullets, table cells) that the entry
  they cite supports (answer/support.py, thresholds measured on this dev set);
- key-term coverage: share of the query's expected key terms present in the answer (soft: a term
  matches when its stemmed words all appear);
- correct abstention: out-of-scope queries answered "not covered" (or rejected);
- answer latency.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from answer.citations import check_citations
from answer.sentences import claim_units
from answer.service import answer
from answer.support import SupportChecker, content_words, strip_citations
from answer.types import Answer, AnswerStatus
from eval.dataset import EvalQuery
from eval.metrics import percentile
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


def evaluate_answers(searcher: Searcher, dev: Sequence[EvalQuery]) -> dict[str, dict[str, float]]:
    checker = SupportChecker(searcher.embed)
    answer(searcher, "warm up: what is dropout")
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for item in dev:
        started = time.perf_counter()
        result = answer(searcher, item.query, history=list(item.history) or None)
        seconds = time.perf_counter() - started
        row: dict[str, float] = {"latency_ms": seconds * 1000}
        if item.in_scope:
            row["citation_validity"] = float(citations_valid(result, searcher))
            share = support_share(result, checker) if result.found else None
            if share is not None:
                row["support_rate"] = share
            row["key_term_coverage"] = key_term_coverage(result.markdown, item.key_terms)
            row["answered"] = float(result.found)
            group = f"in scope — {item.intent}"
        else:
            row["correct_abstention"] = float(result.status in (AnswerStatus.NOT_COVERED, AnswerStatus.REJECTED))
            group = "out of scope"
        rows[group].append(row)
        rows["all"].append(row)
    return {group: _summary(items) for group, items in sorted(rows.items())}


def _summary(rows: list[dict[str, float]]) -> dict[str, float]:
    figures: dict[str, float] = {"queries": float(len(rows))}
    for name in ("citation_validity", "support_rate", "key_term_coverage", "correct_abstention", "answered"):
        values = [r[name] for r in rows if name in r]
        if values:
            figures[name] = float(np.mean(values))
    latencies = [r["latency_ms"] for r in rows]
    figures["latency_p50_ms"] = percentile(latencies, 50)
    figures["latency_p95_ms"] = percentile(latencies, 95)
    return figures
