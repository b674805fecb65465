"""Rank fusion and collapse (retrieval/fusion.py), on hand-made rankings."""

from __future__ import annotations

import random

import pytest

from retrieval.fusion import best_per_entry, ranking, reciprocal_rank_fusion


def test_best_per_entry_keeps_the_best_unit_of_each_entry():
    unit_entry = [0, 0, 0, 1, 1, 2]  # unit row → entry ordinal
    scores = [(0, 0.2), (1, 0.9), (2, 0.5), (3, 0.4), (4, 0.7), (5, -0.1)]
    assert best_per_entry(scores, unit_entry) == {0: (0.9, 1), 1: (0.7, 4), 2: (-0.1, 5)}


def test_best_per_entry_ignores_order_and_keeps_the_first_of_equal_units():
    unit_entry = [7, 7, 3]
    pairs = [(2, 0.5), (1, 0.8), (0, 0.8)]
    assert best_per_entry(pairs, unit_entry) == {3: (0.5, 2), 7: (0.8, 1)}
    assert best_per_entry(reversed(pairs), unit_entry) == {3: (0.5, 2), 7: (0.8, 0)}
    assert best_per_entry(iter([]), unit_entry) == {}


def test_best_per_entry_accepts_numpy_rows():
    np = pytest.importorskip("numpy")
    unit_entry = np.array([4, 4, 9], dtype=np.int64)
    result = best_per_entry([(np.int64(0), 0.1), (np.int64(1), 0.3), (np.int64(2), 0.2)], unit_entry)
    assert result == {4: (0.3, 1), 9: (0.2, 2)}
    assert all(type(entry) is int for entry in result)


def test_ranking_orders_by_score_and_breaks_ties_by_ordinal():
    assert ranking({5: 0.3, 2: 0.9, 8: 0.3, 1: 0.3}) == [2, 1, 5, 8]
    assert ranking({}) == []


def test_ranking_ties_do_not_depend_on_insertion_order():
    scores = {entry: round(entry % 3 * 0.1, 1) for entry in range(30)}
    expected = ranking(scores)
    for seed in range(5):
        items = list(scores.items())
        random.Random(seed).shuffle(items)
        assert ranking(dict(items)) == expected
    assert expected[:10] == [2, 5, 8, 11, 14, 17, 20, 23, 26, 29]


def test_reciprocal_rank_fusion_arithmetic():
    fused = reciprocal_rank_fusion([([10, 20, 30], 1.0), ([20, 40], 2.0)], k=5)
    assert fused == pytest.approx({10: 1 / 6, 20: 1 / 7 + 2 / 6, 30: 1 / 8, 40: 2 / 7})
    assert ranking(fused) == [20, 40, 10, 30]


def test_reciprocal_rank_fusion_takes_the_calibrated_constant():
    assert reciprocal_rank_fusion([([3, 4], 1.0)], k=60)[4] == pytest.approx(1 / 62)


def test_reciprocal_rank_fusion_of_nothing_is_empty():
    assert reciprocal_rank_fusion([], k=5) == {}
    assert reciprocal_rank_fusion([([], 1.0), ([], 2.0)], k=5) == {}


def test_an_entry_first_everywhere_scores_the_maximum():
    weights = [1.0, 1.0, 0.5, 2.0]
    rankings = [([7, 1, 2], weights[0]), ([7, 2], weights[1]), ([7], weights[2]), ([7, 1], weights[3])]
    fused = reciprocal_rank_fusion(rankings, k=5)
    assert fused[7] == pytest.approx(sum(weights) / 6)
    assert max(fused, key=fused.get) == 7
