"""The `qbank` command line: argument parsing and dispatch; each stage does its own work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Offline by construction: no library may try to reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.corpus import ingest_paths
    from ui.ingest_report import ingest_report_json, ingest_report_text

    result = ingest_paths([Path(p) for p in args.paths] if args.paths else None)
    print(ingest_report_json(result) if args.json else ingest_report_text(result))
    return 1 if result.failed or not result.entries else 0


def _open_searcher():
    from retrieval.searcher import Searcher

    return Searcher.open()


def _filters(args: argparse.Namespace):
    from retrieval.types import SearchFilters

    return SearchFilters(
        banks=frozenset(args.bank or ()),
        sections=frozenset(args.section or ()),
        answered_only=bool(args.answered_only),
    )


def _cmd_index(args: argparse.Namespace) -> int:
    from index.build import build_index, entries_fingerprint_matches
    from index.paths import default_index_dir
    from ui.ingest_report import ingest_report_text

    index_dir = default_index_dir()
    if args.if_stale and not args.rebuild and entries_fingerprint_matches(index_dir):
        print(f"index is up to date: {index_dir}")
        return 0
    report = build_index(
        index_dir, progress=lambda message, fraction: print(f"[{fraction:4.0%}] {message}", flush=True)
    )
    if report.ingest.failed:
        print(ingest_report_text(report.ingest))
    print(
        f"indexed {report.entries} entries ({report.units} units: {report.embedded} embedded, "
        f"{report.reused} from cache) in {report.seconds:.1f}s → {report.index_dir}"
    )
    return 1 if report.ingest.failed else 0


def _cmd_search(args: argparse.Namespace) -> int:
    import json

    from ui.search_output import result_json, result_text, run_batch, write_lines

    if args.batch is None and not args.query:
        print("qbank search: give a QUERY or --batch IN.jsonl", file=sys.stderr)
        return 2
    searcher = _open_searcher()
    filters = _filters(args)
    if args.batch is not None:
        source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        with source:
            write_lines(run_batch(searcher, source, args.k, filters), sys.stdout)
        return 0
    result = searcher.search(" ".join(args.query), k=args.k, filters=filters)
    print(json.dumps(result_json(result), ensure_ascii=False, indent=2) if args.json else result_text(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbank", description="Offline Q&A over ML/GenAI interview question banks.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="parse bank files and report what was found and dropped")
    ingest.add_argument("paths", nargs="*", help="bank files or folders (default: data/banks)")
    ingest.add_argument("--json", action="store_true", help="machine-readable report")
    ingest.set_defaults(func=_cmd_ingest)

    index = sub.add_parser("index", help="build the search index from data/banks")
    index.add_argument("--rebuild", action="store_true", help="rebuild even when up to date")
    index.add_argument("--if-stale", action="store_true", help="build only when missing or out of date")
    index.set_defaults(func=_cmd_index)

    search = sub.add_parser("search", help="find the bank entries that answer a query")
    search.add_argument("query", nargs="*", help="what to look up")
    search.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    search.add_argument("--bank", action="append", help="only this bank file (repeatable)")
    search.add_argument("--section", action="append", help="only entries under this section (repeatable)")
    search.add_argument("--answered-only", action="store_true", help="skip questions the bank leaves unanswered")
    search.add_argument("--batch", metavar="IN.jsonl", help="one JSON query per line ('-' for stdin)")
    search.add_argument("--json", action="store_true", help="JSON output")
    search.set_defaults(func=_cmd_search)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from index.errors import IndexError_
    from retrieval.errors import QueryError

    try:
        return int(args.func(args))
    except (IndexError_, QueryError) as exc:
        print(f"qbank: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
