"""`qbank ask` output: the streamed answer and its sources, one JSON object, or the batch contract.

Batch lines (`qbank ask --batch IN.jsonl --json`), one per input line and in order:
    {"query": "...", "found": true, "intent": "lookup", "answer": "markdown with [n] markers",
     "citations": [{"n": 1, "id": "...", "file": "...", "number": "...", "question": "..."}]}
or, for a rejected or malformed line:
    {"query": "...", "error": "..."}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from answer.citations import source_fields, source_line
from answer.service import answer as answer_query
from answer.stream import AnswerStream
from answer.types import Answer, AnswerStatus, Intent
from retrieval.errors import QueryError
from retrieval.searcher import Searcher
from retrieval.types import SearchFilters
from textkit.terminal import terminal_safe
from ui.search_output import parse_batch_line, raw_query


def batch_json(answer: Answer) -> dict[str, object]:
    """Exactly the batch contract's keys."""
    return {
        "query": answer.query,
        "found": answer.found,
        "intent": answer.intent.value,
        "answer": answer.markdown,
        "citations": [
            {
                "n": c.n,
                "id": c.entry.id,
                "file": c.entry.bank_file,
                "number": c.entry.number,
                "question": c.entry.question,
            }
            for c in answer.citations
        ],
    }


def answer_json(answer: Answer) -> dict[str, object]:
    """The batch fields plus status, sources in full, suggestions, comparison sides and notices."""
    data = batch_json(answer)
    data["status"] = answer.status.value
    data["composer"] = answer.composer
    data["citations"] = [source_fields(c) for c in answer.citations]
    data["suggestions"] = [
        {"id": e.id, "file": e.bank_file, "number": e.number, "question": e.question} for e in answer.suggestions
    ]
    data["compare"] = [
        {
            "label": side.label,
            "points": [{"text": text, "n": n} for text, n in side.points],
            "unique_points": [{"text": text, "n": n} for text, n in side.unique_points],
        }
        for side in answer.compare
    ]
    data["notices"] = list(answer.notices)
    if answer.search is not None and answer.search.standalone_query != answer.search.query:
        data["searched_as"] = answer.search.standalone_query
    return data


def sources_text(answer: Answer) -> str:
    lines: list[str] = []
    if answer.citations:
        lines.append("Sources")
        lines.extend(source_line(c) for c in answer.citations)
    for notice in answer.notices:
        lines.append(f"note: {notice}")
    return "\n".join(lines)


def stream_to_terminal(stream: AnswerStream, out: TextIO) -> Answer:
    """Write the final, checked answer and its sources; returns the final Answer.

    The chunks before it are not printed: an LLM's chunks are its raw output (invented citations,
    unsupported sentences, markup) before the support check, and a terminal cannot take them back.
    Bank and model text reach the terminal without control sequences."""
    for _chunk in stream:
        pass
    final = stream.result()
    tail = sources_text(final)
    out.write(terminal_safe(final.markdown + "\n" + ("\n" + tail + "\n" if tail else "")))
    out.flush()
    return final


def run_ask_batch(
    searcher: Searcher,
    lines: Iterable[str],
    *,
    k: int = 8,
    filters: SearchFilters | None = None,
    intent: Intent | None = None,
    llm_settings: Any = None,
) -> Iterator[str]:
    """One output line per input line, in order; a rejected or malformed line gets an error line."""
    for line in lines:
        try:
            query, history = parse_batch_line(line)
            result = answer_query(
                searcher, query, history=history, intent=intent, filters=filters, llm_settings=llm_settings, k=k
            )
        except QueryError as exc:
            yield json.dumps({"query": raw_query(line), "error": str(exc)}, ensure_ascii=False)
            continue
        if result.status is AnswerStatus.REJECTED:
            yield json.dumps({"query": query, "error": result.markdown}, ensure_ascii=False)
        else:
            yield json.dumps(batch_json(result), ensure_ascii=False)
