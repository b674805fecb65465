"""Where the index lives: data/index of the checkout unless QBANK_INDEX_DIR says otherwise."""

from __future__ import annotations

import os
from pathlib import Path


def default_index_dir() -> Path:
    override = os.environ.get("QBANK_INDEX_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data" / "index"


def previous_dir(index_dir: Path) -> Path:
    """Where the last good index waits during the swap to a new one."""
    return index_dir.with_name(f".{index_dir.name}-previous")


def cache_path(index_dir: Path) -> Path:
    """The embedding cache sits beside the index so that it survives rebuilds."""
    return index_dir.with_name(f"{index_dir.name}-cache") / "embeddings.sqlite3"


def log_path(index_dir: Path) -> Path:
    """qbank's rotating log sits beside the index (data/logs/qbank.log by default), where its user can find it."""
    return index_dir.parent / "logs" / "qbank.log"


def lock_path(index_dir: Path) -> Path:
    """The inter-process build lock: one rebuild of an index directory at a time."""
    return index_dir.with_name(f".{index_dir.name}.lock")


def staging_prefix(index_dir: Path) -> str:
    """Name prefix of the temporary directory a build writes into before swapping it into place."""
    return f".{index_dir.name}-build-"
