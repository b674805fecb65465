"""Read a bank file as text, refusing what is not a readable text bank with a one-line reason."""

from __future__ import annotations

import codecs
import errno
import math
import os
import stat
from pathlib import Path

from ingest.errors import IngestError, SettingError

_MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * _MB


MAX_BANK_MB_LIMIT = 100_000  # a sanity ceiling: no text bank is 100 GB


def max_bank_bytes() -> int:
    """Largest bank accepted; QBANK_MAX_BANK_MB raises it for people with truly huge banks."""
    raw = os.environ.get("QBANK_MAX_BANK_MB")
    if raw is None or not raw.strip():
        return DEFAULT_MAX_BYTES
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = math.nan
    # A mistyped limit is refused rather than replaced: silently using the default would drop
    # the very bank the setting was meant to admit, and inf/nan would crash the size check.
    if not (math.isfinite(megabytes) and 0 < megabytes <= MAX_BANK_MB_LIMIT):
        raise SettingError(
            f"QBANK_MAX_BANK_MB must be a number of megabytes above 0 and at most {MAX_BANK_MB_LIMIT:,} "
            f"(default {DEFAULT_MAX_BYTES // _MB}), not {raw!r}"
        )
    return int(megabytes * _MB)


UNREADABLE = "cannot be read (permission denied); make it readable (chmod a+r) or move it out of the banks folder"


def os_problem(exc: OSError, path: Path | None = None) -> str:
    """The one-line problem, with its fix, for an OSError met while looking at or reading a bank path."""
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (the link points back at itself); remove the link or point it at a bank file"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        if path is not None and path.is_symlink():
            return f"is a symbolic link to a missing file ({os.readlink(path)}); fix or remove the link"
        return "no such file or folder"
    if isinstance(exc, PermissionError):
        return UNREADABLE
    return f"cannot be read ({exc.strerror or exc})"


def read_bank_text(path: Path) -> str:
    name = str(path)
    try:
        # One stat: a folder on the way that may not be entered raises PermissionError here.
        info = path.stat()
    except OSError as exc:
        raise IngestError(name, os_problem(exc, path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(
            name, "not a regular file (a pipe, device or socket); put a bank file there or move it out of the banks"
        )
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
        raise IngestError(name, os_problem(exc, path)) from None
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
