"""Read a bank file as text, refusing what is not a readable text bank with a one-line reason."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from ingest.errors import IngestError

_MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * _MB


def max_bank_bytes() -> int:
    """Largest bank accepted; QBANK_MAX_BANK_MB raises it for people with truly huge banks."""
    raw = os.environ.get("QBANK_MAX_BANK_MB")
    try:
        return int(float(raw) * _MB) if raw else DEFAULT_MAX_BYTES
    except ValueError:  # a mistyped setting should not stop ingest: keep the default limit
        return DEFAULT_MAX_BYTES


def os_problem(exc: OSError) -> str:
    """The one-line problem for an OSError met while looking at or reading a bank path."""
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return "no such file or folder"
    if isinstance(exc, PermissionError):
        return "cannot be read (permission denied)"
    return f"cannot be read ({exc.strerror or exc})"


def read_bank_text(path: Path) -> str:
    name = str(path)
    try:
        # One stat: a folder on the way that may not be entered raises PermissionError here.
        info = path.stat()
    except OSError as exc:
        raise IngestError(name, os_problem(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(name, "not a regular file")
    size = info.st_size
    limit = max_bank_bytes()
    if size > limit:
        # MB here are the MiB that QBANK_MAX_BANK_MB counts in, so the two numbers agree.
        raise IngestError(
            name,
            f"file is too large ({size / _MB:.1f} MB; the limit is {round(limit / _MB, 3):g} MB, "
            "set QBANK_MAX_BANK_MB to raise it)",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(name, os_problem(exc)) from None
    if not raw:
        raise IngestError(name, "empty file")
    text = _decode(name, raw)
    if not text.strip():
        raise IngestError(name, "empty file (only whitespace)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(name: str, raw: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise IngestError(name, f"not valid {codec.upper()} despite its byte-order mark") from None
    if b"\x00" in raw[:65536] or _control_share(raw[:65536]) > 0.1:
        raise IngestError(name, "binary file, not text (expected a markdown, text, CSV or JSONL bank)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            name,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} on line {line}); re-save the file as UTF-8",
        ) from None


def _control_share(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample)
