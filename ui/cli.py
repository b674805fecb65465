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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbank", description="Offline Q&A over ML/GenAI interview question banks.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="parse bank files and report what was found and dropped")
    ingest.add_argument("paths", nargs="*", help="bank files or folders (default: data/banks)")
    ingest.add_argument("--json", action="store_true", help="machine-readable report")
    ingest.set_defaults(func=_cmd_ingest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
