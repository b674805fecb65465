"""Retrieval figures over ranked entry ids.

A search that says "not covered" gives the user nothing, so for in-scope queries hit@k and MRR
count a hit only when the search also judged the query covered ("gated"); the ranking alone is
reported too (rank_hit@k), to separate ranking errors from refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def first_relevant_rank(ranked: Sequence[str], relevant: frozenset[str], k: int = 10) -> int | None:
    for rank, entry_id in enumerate(ranked[:k], start=1):
        if entry_id in relevant:
            return rank
    return None


def hit_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    return 1.0 if any(r in relevant for r in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str], k: int = 10) -> float:
    rank = first_relevant_rank(ranked, relevant, k)
    return 1.0 / rank if rank else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass(frozen=True)
class Outcome:
    """One system's answer to one evaluation query."""

    style: str
    relevant: frozenset[str]
    ranked: tuple[str, ...]
    found: bool
    seconds: float


def summarize(outcomes: Sequence[Outcome]) -> dict[str, float]:
    in_scope = [o for o in outcomes if o.relevant]
    out_scope = [o for o in outcomes if not o.relevant]
    figures: dict[str, float] = {"queries": float(len(outcomes))}
    if in_scope:
        figures["hit@1"] = float(np.mean([o.found and hit_at(o.ranked, o.relevant, 1) for o in in_scope]))
        figures["hit@5"] = float(np.mean([o.found and hit_at(o.ranked, o.relevant, 5) for o in in_scope]))
        figures["mrr@10"] = float(np.mean([reciprocal_rank(o.ranked, o.relevant) if o.found else 0 for o in in_scope]))
        figures["rank_hit@1"] = float(np.mean([hit_at(o.ranked, o.relevant, 1) for o in in_scope]))
        figures["rank_hit@5"] = float(np.mean([hit_at(o.ranked, o.relevant, 5) for o in in_scope]))
        figures["answerable_refused"] = float(np.mean([not o.found for o in in_scope]))
    if out_scope:
        figures["out_of_scope_refused"] = float(np.mean([not o.found for o in out_scope]))
    latencies = [o.seconds * 1000 for o in outcomes]
    figures["latency_p50_ms"] = percentile(latencies, 50)
    figures["latency_p95_ms"] = percentile(latencies, 95)
    return figures
