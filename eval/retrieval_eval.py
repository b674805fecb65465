"""Run qbank and the baselines over the dev set and summarize per query style."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from eval.baselines import BM25Only, DenseQuestionOnly, NaiveLangChain, Qbank, timed
from eval.dataset import DevQuery
from eval.metrics import Outcome, summarize
from retrieval.searcher import Searcher

# "lookup" in the report: every in-scope query that stands on its own (follow-ups are reported apart).
LOOKUP_STYLES = ("paraphrase", "answer_content", "keyword", "typo", "chatty", "explain", "compare")
FOLLOWUP = "followup"


def build_systems(searcher: Searcher) -> list:
    return [Qbank(searcher), NaiveLangChain(searcher), BM25Only(searcher), DenseQuestionOnly(searcher)]


def run_system(system, dev: Sequence[DevQuery]) -> list[Outcome]:
    system.rank("warm-up query", None)  # first-call costs (allocations, caches) are not query latency
    outcomes = []
    for item in dev:
        ranked, seconds = timed(system, item.query, list(item.history) or None)
        outcomes.append(Outcome(item.style, item.relevant, ranked.ids, ranked.found, seconds))
    return outcomes


def group_figures(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.style].append(outcome)
        if outcome.style in LOOKUP_STYLES:
            groups["lookup (all standalone)"].append(outcome)
    figures = {name: summarize(items) for name, items in sorted(groups.items())}
    figures["all"] = summarize(outcomes)
    return figures


def evaluate_retrieval(searcher: Searcher, dev: Sequence[DevQuery]) -> dict[str, dict[str, dict[str, float]]]:
    """system name → group → figures."""
    return {system.name: group_figures(run_system(system, dev)) for system in build_systems(searcher)}
