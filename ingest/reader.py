"""Read a bank file as text, refusing what is not a readable text bank with a one-line reason."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from ingest.errors import IngestError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bank_bytes() -> int:
    """Largest bank accepted; QBANK_MAX_BANK_MB raises it for people with truly huge banks."""
    raw = os.environ.get("QBANK_MAX_BANK_MB")
    return int(float(raw) * 1024 * 1024) if raw else DEFAULT_MAX_BYTES


def read_bank_text(path: Path) -> str:
    name = str(path)
    if not path.exists():
        raise IngestError(name, "no such file or folder")
    if not path.is_file():
        raise IngestError(name, "not a regular file")
    size = path.stat().st_size
    limit = max_bank_bytes()
    if size > limit:
        raise IngestError(
            name,
            f"file is too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB, "
            "set QBANK_MAX_BANK_MB to raise it)",
        )
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise IngestError(name, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise IngestError(name, f"cannot be read ({exc.strerror or exc})") from None
    if not raw:
        raise IngestError(name, "empty file")
    text = _decode(name, raw)
    if not text.strip():
        raise IngestError(name, "empty file (only whitespace)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(name: str, raw: bytes) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
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
