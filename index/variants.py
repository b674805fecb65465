"""Variants: the same question asked in another bank or elsewhere in the same bank.

Computed once at build time from question embeddings, so the compare feature is a lookup.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ingest.entry import Entry, EntryKind

# Cosine between question embeddings above which two questions ask the same thing. Checked by
# reading pairs around the boundary: 0.80+ are rewordings ("What is X?" / "Explain X"), below
# ~0.75 they drift to neighbouring topics.
VARIANT_SIMILARITY = 0.8
MAX_VARIANTS = 8


BLOCK_ROWS = 512  # similarity rows computed at once: 512 × N floats, never the whole N × N matrix


def find_variants(entries: Sequence[Entry], question_vectors: np.ndarray) -> list[tuple[int, int, float]]:
    """(entry ordinal, variant ordinal, similarity) rows, both directions."""
    eligible = np.array([e.kind is not EntryKind.SCENARIO for e in entries], dtype=bool)
    rows: list[tuple[int, int, float]] = []
    for start in range(0, len(entries), BLOCK_ROWS):
        block = np.arange(start, min(start + BLOCK_ROWS, len(entries)))
        similarity = question_vectors[block] @ question_vectors.T
        similarity[np.arange(len(block)), block] = -1.0  # an entry is no variant of itself
        similarity[:, ~eligible] = -1.0
        for offset in np.flatnonzero(eligible[block]):
            i = int(block[offset])
            candidates = np.flatnonzero(similarity[offset] >= VARIANT_SIMILARITY)
            best = candidates[np.argsort(-similarity[offset, candidates])][:MAX_VARIANTS]
            rows.extend((i, int(j), float(similarity[offset, j])) for j in best)
    return rows
