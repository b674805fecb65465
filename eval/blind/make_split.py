"""Assemble eval/queries.jsonl from the blind helpers' files and the old dev set, split once.

Run once (already run; re-running reproduces the same file). The old dev set was written by a
session that saw the code and was tuned on, so all of it goes to `tune`; the blind queries are
split by a fixed seed within each (author, style, kind, language) stratum, 27 % to `tune`, which
puts 39 % of all queries in `tune` and 61 % in `heldout`.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent
RAW = EVAL / "blind" / "raw"
HELPER_FILES = (
    "A_bank000",
    "B_bank001",
    "C_bank002_004",
    "D_followups",
    "E_explain_compare",
    "F_out_of_scope",
    "G_multilingual",
)
SEED = 20261202
TUNE_SHARE = 0.27
FIELDS = (
    "query",
    "style",
    "intent",
    "relevant",
    "key_terms",
    "history",
    "sides",
    "lang",
    "oos_kind",
    "checked",
    "followup_kind",
    "author",
    "source",
    "split",
)


def main() -> None:
    rows: list[dict] = []
    seen: set[str] = set()
    for name in HELPER_FILES:
        for line in (RAW / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            row["source"] = "blind"
            key = row["query"].lower() + json.dumps(row.get("history"))
            if key in seen:  # two helpers wrote the same query; keep the first
                continue
            seen.add(key)
            rows.append(row)
    blind_queries = {r["query"].lower() for r in rows}
    dev = []
    for line in (EVAL / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["source"], row["author"], row["split"] = "dev", "dev", "tune"
        if row["query"].lower() not in blind_queries:
            dev.append(row)
    rng = random.Random(SEED)
    strata: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        key = (row["author"], row["style"], row.get("oos_kind", ""), row.get("lang", ""), row.get("followup_kind", ""))
        strata[key].append(row)
    for key in sorted(strata):
        group = strata[key]
        rng.shuffle(group)
        n_tune = round(len(group) * TUNE_SHARE)
        for i, row in enumerate(group):
            row["split"] = "tune" if i < n_tune else "heldout"
    queries = dev + rows
    with (EVAL / "queries.jsonl").open("w", encoding="utf-8") as out:
        for row in queries:
            out.write(json.dumps({k: row[k] for k in FIELDS if k in row}, ensure_ascii=False) + "\n")
    print(Counter(r["split"] for r in queries), len(queries))


if __name__ == "__main__":
    main()
