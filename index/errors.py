"""Typed errors of the index stage; each message names the command that fixes it."""

from __future__ import annotations

REBUILD_HINT = "run `qbank index --rebuild` (or `make run`, which rebuilds it)"


class IndexError_(Exception):
    """Base of all index problems."""


class IndexMissingError(IndexError_):
    def __init__(self, path: str) -> None:
        super().__init__(f"no index at {path}; {REBUILD_HINT}")


class IndexMismatchError(IndexError_):
    def __init__(self, path: str, detail: str, hint: str = REBUILD_HINT) -> None:
        super().__init__(f"the index at {path} does not match this qbank: {detail}; {hint}")


class IndexCorruptError(IndexError_):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"the index at {path} is damaged ({detail}); {REBUILD_HINT}")


class IndexBuildError(IndexError_):
    """Nothing usable to index (every bank failed); the previous index is left as it was."""
