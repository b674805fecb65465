"""Run qbank and the baselines over the evaluation set and summarize per group and style."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from eval.baselines import BM25Only, DenseQuestionOnly, FirstStageOnly, NaiveLangChain, Qbank, timed
from eval.dataset import EvalQuery
from eval.metrics import Outcome, summarize
from retrieval.searcher import Searcher

# Report groups. "lookup": standalone English questions asked to find one thing; explain, compare,
# follow-ups and questions in other languages are reported apart (their own targets).
LOOKUP_STYLES = ("paraphrase", "answer_content", "keyword", "typo", "chatty")
STANDALONE_STYLES = (*LOOKUP_STYLES, "explain", "compare")
GROUPS = ("lookup", "followup", "explain", "compare", "multilingual", "all standalone", "all in scope", "out_of_scope")


def build_systems(searcher: Searcher) -> list:
    return [
        Qbank(searcher),
        FirstStageOnly(searcher),
        NaiveLangChain(searcher),
        BM25Only(searcher),
        DenseQuestionOnly(searcher),
    ]


def run_system(system, queries: Sequence[EvalQuery]) -> list[Outcome]:
    system.rank("warm-up query", None)  # first-call costs (allocations, caches) are not query latency
    outcomes = []
    for item in queries:
        ranked, seconds = timed(system, item.query, list(item.history) or None)
        outcomes.append(Outcome(item.style, item.relevant, ranked.ids, ranked.found, seconds))
    return outcomes


def groups_of(style: str, in_scope: bool) -> list[str]:
    if not in_scope:
        return ["out_of_scope"]
    names = ["all in scope"]
    if style in LOOKUP_STYLES:
        names.append("lookup")
    elif style in ("followup", "explain", "compare", "multilingual"):
        names.append(style)
    if style in STANDALONE_STYLES:
        names.append("all standalone")
    return names


def group_figures(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        for name in groups_of(outcome.style, bool(outcome.relevant)):
            groups[name].append(outcome)
        groups[f"style: {outcome.style}"].append(outcome)
    groups["all"] = list(outcomes)
    return {name: summarize(items) for name, items in groups.items()}


def evaluate_retrieval(searcher: Searcher, queries: Sequence[EvalQuery]) -> dict[str, dict[str, dict[str, float]]]:
    """system name → group → figures."""
    return {system.name: group_figures(run_system(system, queries)) for system in build_systems(searcher)}
