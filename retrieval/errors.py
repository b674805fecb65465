"""Typed errors of the retrieval stage; `ui` turns them into messages."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be searched (empty, only symbols, …). The message says why."""


class RerankerError(RuntimeError):
    """The reranker model is missing, damaged or not the pinned one. The message names the fix."""
