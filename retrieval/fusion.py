"""Rank fusion and collapse: many unit-level rankings in, one ranking of entries out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

# The reciprocal-rank-fusion constant and weights are calibrated (index/calibration.py).


def best_per_entry(
    unit_scores: Iterable[tuple[int, float]], unit_entry: Sequence[int] | np.ndarray
) -> dict[int, tuple[float, int]]:
    """Collapse (unit row, score) pairs to entry ordinal → (best score, unit row that scored it)."""
    best: dict[int, tuple[float, int]] = {}
    for row, score in unit_scores:
        entry = int(unit_entry[row])
        if entry not in best or score > best[entry][0]:
            best[entry] = (score, row)
    return best


def ranking(scores: Mapping[int, float]) -> list[int]:
    """Entry ordinals by descending score (ties broken by ordinal, so results are deterministic)."""
    return sorted(scores, key=lambda e: (-scores[e], e))


def reciprocal_rank_fusion(rankings: Sequence[tuple[Sequence[int], float]], k: float) -> dict[int, float]:
    """Sum of weight / (k + rank) over every ranking an entry appears in (rank starts at 1)."""
    fused: dict[int, float] = {}
    for ordered, weight in rankings:
        for rank, entry in enumerate(ordered, start=1):
            fused[entry] = fused.get(entry, 0.0) + weight / (k + rank)
    return fused
