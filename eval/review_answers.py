"""The blind review set: compose the offline answer to each query of
eval/blind/raw/H_review_queries.jsonl and write eval/review/answers.md for a rater who never saw
the code (rubric: eval/blind/raw/H_review_rubric.md).

Each answer is written as the tool renders it — markdown with [n] markers — followed by its
sources, so the rater can open every cited entry by id (`similar.py --show ID`).

    python -m eval.review_answers [--queries PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from answer.citations import where
from answer.service import answer
from answer.types import Answer
from retrieval.searcher import Searcher

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "eval" / "blind" / "raw" / "H_review_queries.jsonl"
OUT = ROOT / "eval" / "review" / "answers.md"


def read_queries(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not a JSON line ({exc.msg})") from None
    return rows


def query_id(row: dict, number: int) -> str:
    return f"{row.get('author', 'Q')}{number:02d}"


def section(qid: str, row: dict, result: Answer) -> str:
    lines = [
        f"## {qid} — {row['query']}",
        "",
        f"- intent asked: `{row.get('intent', '')}`; answered as `{result.intent.value}`, "
        f"status `{result.status.value}`",
        f"- cited entry ids: {', '.join(f'`{c.entry.id}`' for c in result.citations) or '(none)'}",
        "",
        "### Answer",
        "",
        result.markdown.strip() or "*(empty)*",
        "",
        "### Sources",
        "",
    ]
    for citation in result.citations:
        entry = citation.entry
        state = "" if entry.has_answer else " — *asked without an answer*"
        lines.append(f"- [{citation.n}] `{entry.id}` ({where(entry)}) {entry.question.strip()}{state}")
    if result.notices:
        lines += ["", "### Notices", "", *(f"- {notice}" for notice in result.notices)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = read_queries(args.queries)
    searcher = Searcher.open()
    source = args.queries.relative_to(ROOT) if args.queries.is_relative_to(ROOT) else args.queries
    parts = [
        "# Review answers (offline composer)\n",
        f"{len(rows)} queries from `{source}`, answered by `qbank ask` (offline). "
        "Rate each with `eval/blind/raw/H_review_rubric.md`.\n",
    ]
    for number, row in enumerate(rows, start=1):
        parts.append(section(query_id(row, number), row, answer(searcher, row["query"])))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {len(rows)} answers to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
