"""The evaluation set (eval/queries.jsonl): labelled queries, split once into `tune` and `heldout`.

Most queries were written blind by helpers who saw only the banks (eval/blind/README.md). Every
constant qbank fits is fitted on `tune`; `heldout` is what `qbank eval` reports as the headline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
QUERIES = EVAL_DIR / "queries.jsonl"
OUT_OF_SCOPE = "out_of_scope"
TUNE, HELDOUT = "tune", "heldout"
SPLITS = (TUNE, HELDOUT)


@dataclass(frozen=True)
class EvalQuery:
    query: str
    style: str
    relevant: frozenset[str]
    history: tuple[dict[str, str], ...]
    key_terms: tuple[str, ...]
    intent: str
    split: str = TUNE
    sides: tuple[tuple[str, ...], ...] = ()
    lang: str = "en"
    author: str = ""
    oos_kind: str = ""

    @property
    def in_scope(self) -> bool:
        return bool(self.relevant)


def load_queries(path: Path = QUERIES, split: str | None = None) -> list[EvalQuery]:
    queries = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            item = EvalQuery(
                query=data["query"],
                style=data["style"],
                relevant=frozenset(data["relevant"]),
                history=tuple(data.get("history") or ()),
                key_terms=tuple(data.get("key_terms") or ()),
                intent=data.get("intent", "lookup"),
                split=data.get("split", TUNE),
                sides=tuple(tuple(side) for side in data.get("sides") or ()),
                lang=data.get("lang", "en"),
                author=data.get("author", ""),
                oos_kind=data.get("oos_kind", ""),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{line_no}: bad query line ({exc})") from None
        if item.split not in SPLITS:
            raise ValueError(f"{path}:{line_no}: split must be one of {SPLITS}, not {item.split!r}")
        if split is None or item.split == split:
            queries.append(item)
    return queries
