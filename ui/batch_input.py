"""Batch input as text lines, whatever the bytes: one line out for every line in.

A batch file may be UTF-8 (with or without a BOM), UTF-16 (Windows editors and PowerShell's `>`
write it, with a BOM) or hold a few bytes that are not UTF-8 at all. Decoding is per line:
undecodable bytes become lone surrogates (`surrogateescape`), which the query check refuses with
its own message, so only that line gets an error and the rest of the batch is answered.
"""

from __future__ import annotations

import codecs
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


class BatchInputError(Exception):
    """The --batch file cannot be opened."""


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of ASCII-range characters has a NUL in every other byte."""
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    evens, odds = head[0::2], head[1::2]
    if evens.count(0) == 0 and odds.count(0) >= len(odds) * 0.9:
        return "utf-16-le"
    if odds.count(0) == 0 and evens.count(0) >= len(evens) * 0.9:
        return "utf-16-be"
    return None


def decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """The stream's lines as text (without their line ends), decoded as described above."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    head = buffered.peek(512)[:512]
    utf16 = next((codec for bom, codec in _UTF16_BOMS if head.startswith(bom)), None) or _utf16_without_bom(head)
    if utf16 is not None:
        # surrogateescape cannot stand in for a lone ASCII-range byte (a truncated last character).
        text = io.TextIOWrapper(buffered, encoding=utf16, errors="replace", newline=None)
        for line in text:
            yield line.lstrip("\ufeff").rstrip("\n")
        return
    first = True
    for raw in buffered:
        if first and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        first = False
        yield raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")


@contextmanager
def batch_lines(path: str) -> Iterator[Iterator[str]]:
    """The lines of the batch file at `path`, or of standard input for '-'."""
    if path == "-":
        binary = getattr(sys.stdin, "buffer", None)
        # A text stream without bytes underneath (an embedding program's StringIO) is already text.
        yield decoded_lines(binary) if binary is not None else (line.rstrip("\r\n") for line in sys.stdin)
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the batch streams out
    except OSError as exc:
        raise BatchInputError(f"cannot read the batch file {path}: {exc.strerror or exc}") from None
    with handle:
        yield decoded_lines(handle)
