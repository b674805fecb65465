"""The `qbank` command line: argument parsing and dispatch; each stage does its own work."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ui.batch_input import BatchInputError

# Offline by construction: no library may try to reach a model hub, and onnxruntime must not send
# telemetry (it resolves a Microsoft host otherwise); set before anything imports onnxruntime.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


def _cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.corpus import ingest_paths
    from ui.ingest_report import ingest_report_json, ingest_report_text

    result = ingest_paths([Path(p) for p in args.paths] if args.paths else None)
    print(ingest_report_json(result) if args.json else ingest_report_text(result))
    return 1 if result.failed or not result.entries else 0


def _open_searcher():
    from retrieval.searcher import Searcher

    return Searcher.open()


class UnknownBankError(Exception):
    """--bank names a file the index does not hold, or the filters leave no entry in scope."""


def _filters(args: argparse.Namespace, searcher=None):
    from retrieval.types import SearchFilters

    if args.bank and searcher is not None:
        known = sorted({e.bank_file for e in searcher.entries})
        unknown = sorted(set(args.bank) - set(known))
        if unknown:
            # A typo would otherwise scope the search to nothing and look like "not covered".
            raise UnknownBankError(
                f"no bank named {', '.join(map(repr, unknown))} in the index; known banks: {', '.join(known)}"
            )
    filters = SearchFilters(
        banks=frozenset(args.bank or ()),
        sections=frozenset(args.section or ()),
        answered_only=bool(args.answered_only),
    )
    if filters.active and searcher is not None and not any(filters.admits(e) for e in searcher.entries):
        from ui.input_limits import empty_scope_message

        where = "--bank/--section/--answered-only"
        raise UnknownBankError(empty_scope_message(filters.banks, filters.sections, filters.answered_only, where))
    return filters


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


def _each_line_alone(run: Callable[[list[str]], Iterable[str]], lines: Iterable[str]) -> Iterator[str]:
    """Run a batch one line at a time, so that an unexpected failure on one line costs that line
    only: it gets an error line (details in the log) and the batch goes on."""
    import json

    from ui.log_setup import log_internal_error

    for line in lines:
        try:
            yield from run([line])
        except Exception as exc:  # anything typed was already turned into an error line by `run`
            yield json.dumps({"query": line, "error": log_internal_error(exc, "a batch line")})


def _cmd_search(args: argparse.Namespace) -> int:
    import json

    from ui.batch_input import batch_lines
    from ui.search_output import result_json, result_text, run_batch, write_lines

    if args.batch is None and not args.query:
        print("qbank search: give a QUERY or --batch IN.jsonl", file=sys.stderr)
        return 2
    searcher = _open_searcher()
    filters = _filters(args, searcher)
    if args.batch is not None:
        with batch_lines(args.batch) as source:
            run = functools.partial(run_batch, searcher, k=args.k, filters=filters)
            write_lines(_each_line_alone(run, source), sys.stdout)
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
    from ui.batch_input import batch_lines
    from ui.search_output import write_lines

    if args.batch is None and not args.query:
        print("qbank ask: give a QUESTION or --batch IN.jsonl", file=sys.stderr)
        return 2
    searcher = _open_searcher()
    filters = _filters(args, searcher)
    intent = Intent(args.intent) if args.intent else None
    settings = _llm_settings(args)
    if args.batch is not None:
        with batch_lines(args.batch) as source:
            run = functools.partial(
                run_ask_batch, searcher, k=args.k, filters=filters, intent=intent, llm_settings=settings
            )
            write_lines(_each_line_alone(run, source), sys.stdout)
        return 0
    stream = stream_answer(
        searcher, " ".join(args.query), intent=intent, filters=filters, llm_settings=settings, k=args.k
    )
    if args.json:
        final = stream.result()
        print(json.dumps(answer_json(final), ensure_ascii=False, indent=2))
    else:
        if settings is not None and sys.stderr.isatty():
            print("qbank: asking the LLM; the answer is shown once it is checked against the sources", file=sys.stderr)
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
    from ingest.errors import SettingError
    from retrieval.errors import QueryError
    from ui.log_setup import log_internal_error, setup_logging
    from userdata.errors import UserDataError

    setup_logging()
    # Text that is not valid Unicode (lone surrogates from a JSON escape or a non-UTF-8 argv)
    # is written as \udcxx escapes rather than failing the whole command on output.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below, not at exit
        return code
    except (IndexError_, QueryError, BatchInputError, UserDataError, UnknownBankError, SettingError) as exc:
        print(f"qbank: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `qbank ask … | head`: the reader has all it wanted. Point stdout at /dev/null so the
        # interpreter's final flush cannot raise again, and exit as a process killed by SIGPIPE would.
        # (When stdout is no file descriptor, in embedded use, nothing will flush to the pipe.)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        print(f"qbank: {log_internal_error(exc, f'qbank {args.command}')}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
