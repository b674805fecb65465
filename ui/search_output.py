"""`qbank search` output: a readable list, one JSON object, or the batch JSON-lines contract."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from retrieval.errors import QueryError
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters, SearchResult
from textkit.terminal import terminal_safe


def result_json(result: SearchResult) -> dict[str, object]:
    return {
        "query": result.query,
        "found": result.found,
        "results": [
            {
                "id": hit.entry.id,
                "file": hit.entry.bank_file,
                "number": hit.entry.number,
                "question": hit.entry.question,
                "section": hit.entry.section,
                "score": hit.score,
            }
            for hit in result.hits
        ],
    }


def result_text(result: SearchResult) -> str:
    lines = [f"note: {notice}" for notice in result.notices]
    if result.standalone_query != result.query:
        lines.append(f"searched as: {result.standalone_query}")
    if not result.found:
        lines.append("The banks do not seem to cover this. Nearest entries:")
    for rank, hit in enumerate(result.hits, start=1):
        entry = hit.entry
        answered = "" if entry.has_answer else "  (no answer in bank)"
        lines.append(f"{rank:>2}. [{hit.score:.2f}] {entry.question}{answered}")
        lines.append(f"      {entry.bank_file} #{entry.number} · {entry.section or entry.bank_title}")
    return terminal_safe("\n".join(lines))  # bank text must not drive the terminal


def parse_batch_line(line: str) -> tuple[str, list[dict[str, str]] | None]:
    """The query and history of one batch line; raises QueryError for a malformed line."""
    if not line.strip():
        raise QueryError("the line is empty")
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise QueryError("the line is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        raise QueryError('the line has no "query" string')
    history = data.get("history")
    if history is not None and (
        not isinstance(history, list)
        or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
            for t in history
        )
    ):
        raise QueryError('"history" must be a list of {"role": "user" or "assistant", "content": text} objects')
    return data["query"], history


def raw_query(line: str) -> str:
    try:
        data = json.loads(line)
        if isinstance(data, dict) and isinstance(data.get("query"), str):
            return data["query"]
    except json.JSONDecodeError:
        pass
    return line.rstrip("\n")


def run_batch(searcher: Searcher, lines: Iterable[str], k: int, filters: SearchFilters) -> Iterator[str]:
    """One output line per input line, in order; a bad line gets an error and the batch goes on."""
    for line in lines:
        try:
            query, history = parse_batch_line(line)
            result = searcher.search(query, history=history, k=k, filters=filters)
            yield json.dumps(result_json(result), ensure_ascii=False)
        except QueryError as exc:
            yield json.dumps({"query": raw_query(line), "error": str(exc)}, ensure_ascii=False)


def write_lines(lines: Iterable[str], out: TextIO) -> None:
    for line in lines:
        out.write(line + "\n")
        out.flush()
