"""Typed errors of the retrieval stage; `ui` turns them into messages."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that cannot be searched (empty, only symbols, …). The message says why."""
