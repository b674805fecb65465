"""The hand-labelled dev set: queries, their style, and every entry a correct search may return."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEV_SET = Path(__file__).resolve().parent / "dev.jsonl"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class DevQuery:
    query: str
    style: str
    relevant: frozenset[str]
    history: tuple[dict[str, str], ...]
    key_terms: tuple[str, ...]
    intent: str

    @property
    def in_scope(self) -> bool:
        return bool(self.relevant)


def load_dev_set(path: Path = DEV_SET) -> list[DevQuery]:
    queries = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            queries.append(
                DevQuery(
                    query=data["query"],
                    style=data["style"],
                    relevant=frozenset(data["relevant"]),
                    history=tuple(data.get("history") or ()),
                    key_terms=tuple(data.get("key_terms") or ()),
                    intent=data.get("intent", "lookup"),
                )
            )
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path}:{line_no}: bad dev-set line ({exc})") from None
    return queries
