"""One rotating log file for the CLI and the app, beside the index (index/paths.py: log_path).

Modules log through `logging.getLogger(__name__)`; this module only attaches the file handler,
once per process. Unexpected errors are logged here with their traceback, while the user sees a
one-line "internal error — details in <log path>".
"""

from __future__ import annotations

import logging
import tempfile
from logging.handlers import RotatingFileHandler
from pathlib import Path

from index.paths import default_index_dir, log_path

LOG_BYTES = 1_000_000  # per file; with LOG_BACKUPS old files the log never passes a few MB
LOG_BACKUPS = 3
QBANK_PACKAGES = ("qbank", "ingest", "index", "retrieval", "answer", "ui", "userdata", "eval", "textkit")
_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"

_configured: Path | None = None
_handler: logging.Handler | None = None
_paths: dict[Path, Path] = {}  # wanted log path → the one in use (a fallback when it is not writable)


def setup_logging(path: Path | None = None) -> Path:
    """Attach the rotating file handler to the root logger; returns the log file's path. Calling it
    again is free, and moves the log only when the index directory (QBANK_INDEX_DIR) moved.

    When the folder beside the index cannot be written (a read-only checkout), the log goes to the
    system's temporary folder instead: logging must never be the thing that fails, and a traceback
    must never land on the user's terminal."""
    global _configured, _handler
    wanted = Path(path or log_path(default_index_dir()))
    if _configured == wanted:
        return _paths[wanted]
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    handler: logging.Handler = logging.NullHandler()
    target = wanted
    for candidate in (wanted, Path(tempfile.gettempdir()) / "qbank-logs" / wanted.name):
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(candidate, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
            target = candidate
            break
        except OSError:
            continue
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    # Libraries log at WARNING and above (their INFO is chatter); qbank's own packages at INFO.
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for package in QBANK_PACKAGES:
        logging.getLogger(package).setLevel(logging.INFO)
    _configured, _handler = wanted, handler
    _paths[wanted] = target
    return target


def current_log_path() -> Path:
    """Where unexpected errors are logged (sets logging up if nothing has yet)."""
    return setup_logging()


def log_internal_error(exc: BaseException, where: str) -> str:
    """Log `exc` with its traceback; returns the one line to show the user."""
    path = current_log_path()
    logging.getLogger("qbank").error("unexpected error in %s", where, exc_info=exc)
    return f"internal error ({type(exc).__name__}) — details in {path}"
