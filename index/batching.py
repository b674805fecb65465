"""Batches of similar token length: a transformer pads every text of a batch to the longest one,
so texts sorted by their real token count waste little work on padding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Tokens per forward pass (padding included) and texts per pass. Measured with the int8 MiniLM on
# one-thread sessions (the build's replicas), all units of the five banks, texts per CPU-second:
# 4,096/256 → 75–78, 2,048/128 → 85–91, 1,024/64 → 83–97, 512/32 → 98–102, 256/16 → 99; vectors
# bit-identical at every size. Small passes keep a pass's activations in the core's own cache.
TOKEN_BUDGET = 512
MAX_BATCH = 32


def length_order(lengths: Sequence[int] | np.ndarray) -> np.ndarray:
    """Positions sorted by length (stable, so equal lengths keep their order)."""
    return np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")


def token_batches(
    lengths: Sequence[int] | np.ndarray,
    order: Sequence[int] | np.ndarray | None = None,
    token_budget: int = TOKEN_BUDGET,
    max_batch: int = MAX_BATCH,
) -> list[np.ndarray]:
    """Split positions (in `order`, default: by length) into batches whose padded size
    (texts × longest text) stays within the budget; a text longer than the budget goes alone."""
    lengths = np.asarray(lengths, dtype=np.int64)
    order = length_order(lengths) if order is None else np.asarray(order, dtype=np.int64)
    batches: list[np.ndarray] = []
    start = 0
    longest = 0
    for position, index in enumerate(order):
        longest_with = max(longest, int(lengths[index]))
        count = position - start + 1
        if count > 1 and (longest_with * count > token_budget or count > max_batch):
            batches.append(order[start:position])
            start, longest_with = position, int(lengths[index])
        longest = longest_with
    if start < len(order):
        batches.append(order[start:])
    return batches
