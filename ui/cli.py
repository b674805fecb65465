"""The `qbank` command line: argument parsing and dispatch; each stage does its own work."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

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


def _index_problem(index_dir: Path) -> str | None:
    """Why the index at index_dir cannot be used (damaged files, mismatch), or None."""
    from index.embedder import load_embedder
    from index.errors import IndexError_
    from index.load import load_index

    try:
        load_index(load_embedder(), index_dir).close()
    except IndexError_ as exc:
        return str(exc)
    return None


def _cmd_index(args: argparse.Namespace) -> int:
    from index.build import build_index, entries_fingerprint_matches
    from index.paths import default_index_dir
    from ui.build_progress import TerminalProgress
    from ui.ingest_report import ingest_report_text

    index_dir = default_index_dir()
    if args.if_stale and not args.rebuild and entries_fingerprint_matches(index_dir):
        problem = _index_problem(index_dir)
        if problem is None:
            print(f"index is up to date: {index_dir}")
            return 0
        print(f"rebuilding: {problem}")
    progress = TerminalProgress()
    try:
        report = build_index(index_dir, progress=progress)
    finally:
        progress.close()
    if report.ingest.failed:
        print(ingest_report_text(report.ingest))
    print(
        f"indexed {report.entries} entries ({report.units} units: {report.embedded} embedded, "
        f"{report.reused} from cache) in {report.seconds:.1f}s → {report.index_dir}"
    )
    return 1 if report.ingest.failed else 0


@contextmanager
def _batch_source(path: str) -> Iterator[TextIO]:
    """The batch input: a JSON-lines file, or standard input for '-'."""
    if path == "-":
        yield sys.stdin
        return
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, after the batch streams out
    except OSError as exc:
        raise BatchInputError(f"cannot read the batch file {path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


class BatchInputError(Exception):
    """The --batch file cannot be opened."""


def _cmd_search(args: argparse.Namespace) -> int:
    import json

    from ui.search_output import result_json, result_text, run_batch, write_lines

    if args.batch is None and not args.query:
        print("qbank search: give a QUERY or --batch IN.jsonl", file=sys.stderr)
        return 2
    searcher = _open_searcher()
    filters = _filters(args)
    if args.batch is not None:
        with _batch_source(args.batch) as source:
            write_lines(run_batch(searcher, source, args.k, filters), sys.stdout)
        return 0
    result = searcher.search(" ".join(args.query), k=args.k, filters=filters)
    print(json.dumps(result_json(result), ensure_ascii=False, indent=2) if args.json else result_text(result))
    return 0


def _cmd_ui(args: argparse.Namespace) -> int:
    from ui.app_launch import run_app

    return run_app(host=args.host, port=args.port)


def _cmd_userdata(args: argparse.Namespace) -> int:
    import json

    from userdata.errors import UserDataError
    from userdata.store import DEFAULT_USER, open_store

    store = open_store()
    if args.action == "export":
        text = json.dumps(store.export_user(args.user or DEFAULT_USER), ensure_ascii=False, indent=2)
        if args.file in (None, "-"):
            print(text)
        else:
            Path(args.file).write_text(text + "\n", encoding="utf-8")
            print(
                f"exported {args.user or DEFAULT_USER}'s data from {store.describe()} to {args.file}", file=sys.stderr
            )
        return 0
    if args.file is None:
        print("qbank userdata import: give the FILE an export was written to ('-' for stdin)", file=sys.stderr)
        return 2
    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        data = json.loads(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserDataError(f"cannot read {args.file} as a qbank export: {exc}") from None
    counts = store.import_user(data, args.user)
    print(
        f"imported into {store.describe()}: {counts.cards} card state(s), {counts.reviews} new review(s), "
        f"{counts.bookmarks} new bookmark(s), {counts.feedback} rating(s)"
    )
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from eval.run import run_eval

    print(run_eval(Path(args.queries), Path(args.out), with_answers=not args.retrieval_only))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from eval.calibrate import main as calibrate_main

    return calibrate_main()


def _llm_settings(args: argparse.Namespace):
    """LLM settings for --llm, or None (with a note) when none are configured or the module is missing."""
    if not args.llm:
        return None
    try:
        from answer.llm_composer import LLMSettings
    except ImportError as exc:
        print(f"qbank: the LLM composer is not available ({exc}); answering offline", file=sys.stderr)
        return None
    try:
        settings = LLMSettings.from_env()
    except ValueError as exc:  # LLMConfigError: present but unusable
        print(f"qbank: LLM configuration: {exc}; answering offline", file=sys.stderr)
        return None
    if settings is None:
        print(
            "qbank: --llm given but no LLM is configured (QBANK_LLM_* or qbank.toml); answering offline",
            file=sys.stderr,
        )
    return settings


def _cmd_ask(args: argparse.Namespace) -> int:
    import json

    from answer.service import stream_answer
    from answer.types import AnswerStatus, Intent
    from ui.ask_output import answer_json, run_ask_batch, stream_to_terminal
    from ui.search_output import write_lines

    if args.batch is None and not args.query:
        print("qbank ask: give a QUESTION or --batch IN.jsonl", file=sys.stderr)
        return 2
    searcher = _open_searcher()
    filters = _filters(args)
    intent = Intent(args.intent) if args.intent else None
    settings = _llm_settings(args)
    if args.batch is not None:
        with _batch_source(args.batch) as source:
            write_lines(
                run_ask_batch(searcher, source, k=args.k, filters=filters, intent=intent, llm_settings=settings),
                sys.stdout,
            )
        return 0
    stream = stream_answer(
        searcher, " ".join(args.query), intent=intent, filters=filters, llm_settings=settings, k=args.k
    )
    if args.json:
        final = stream.result()
        print(json.dumps(answer_json(final), ensure_ascii=False, indent=2))
    else:
        final = stream_to_terminal(stream, sys.stdout)
    return 1 if final.status is AnswerStatus.REJECTED else 0


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

    ask = sub.add_parser("ask", help="answer a question from the banks, every claim cited")
    ask.add_argument("query", nargs="*", help="the question")
    ask.add_argument("--intent", choices=["lookup", "explain", "compare"], help="answer shape (default: detected)")
    ask.add_argument("--llm", action="store_true", help="compose with the configured LLM (QBANK_LLM_* or qbank.toml)")
    ask.add_argument("-k", type=int, default=8, help="entries retrieved (default 8)")
    ask.add_argument("--bank", action="append", help="only this bank file (repeatable)")
    ask.add_argument("--section", action="append", help="only entries under this section (repeatable)")
    ask.add_argument("--answered-only", action="store_true", help="skip questions the bank leaves unanswered")
    ask.add_argument("--batch", metavar="IN.jsonl", help="one JSON query per line ('-' for stdin); JSON lines out")
    ask.add_argument("--json", action="store_true", help="JSON output")
    ask.set_defaults(func=_cmd_ask)

    from eval.dataset import QUERIES

    evaluate = sub.add_parser("eval", help="measure retrieval and answers (heldout headline, tune beside it)")
    evaluate.add_argument("--queries", default=str(QUERIES), help="evaluation set (default eval/queries.jsonl)")
    evaluate.add_argument("--out", default=str(QUERIES.parent), help="where report.md/.json/.png go")
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip the answer-quality figures")
    evaluate.set_defaults(func=_cmd_eval)

    calibrate = sub.add_parser("calibrate", help="fit the ranking and coverage models on the tune split")
    calibrate.set_defaults(func=_cmd_calibrate)

    userdata = sub.add_parser(
        "userdata", help="export or import a user's feedback and practice progress (SQLite or QBANK_DATABASE_URL)"
    )
    userdata.add_argument("action", choices=["export", "import"])
    userdata.add_argument("file", nargs="?", help="export: where to write (default stdout); import: the export file")
    userdata.add_argument("--user", help="user key (default: the export's user, or 'local')")
    userdata.set_defaults(func=_cmd_userdata)

    app = sub.add_parser("ui", help="start the chat app (Streamlit, headless) and print its URL")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    app.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    app.set_defaults(func=_cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from index.errors import IndexError_
    from retrieval.errors import QueryError
    from userdata.errors import UserDataError

    try:
        return int(args.func(args))
    except (IndexError_, QueryError, BatchInputError, UserDataError) as exc:
        print(f"qbank: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
