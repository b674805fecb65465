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


def find_variants(entries: Sequence[Entry], question_vectors: np.ndarray) -> list[tuple[int, int, float]]:
    """(entry ordinal, variant ordinal, similarity) rows, both directions."""
    eligible = np.array([e.kind is not EntryKind.SCENARIO for e in entries])
    similarity = question_vectors @ question_vectors.T
    np.fill_diagonal(similarity, -1.0)
    similarity[:, ~eligible] = -1.0
    rows: list[tuple[int, int, float]] = []
    for i in np.flatnonzero(eligible):
        candidates = np.flatnonzero(similarity[i] >= VARIANT_SIMILARITY)
        best = candidates[np.argsort(-similarity[i, candidates])][:MAX_VARIANTS]
        rows.extend((int(i), int(j), float(similarity[i, j])) for j in best)
    return rows
