"""Detect and undo mojibake: UTF-8 bytes that were once decoded with a legacy 8-bit codec.

A mojibake run is a maximal run of non-ASCII characters that, encoded back with one of the
legacy codecs, forms valid UTF-8. Real text almost never does (that is the premise ftfy rests
on too), so the check needs no knowledge of which file is broken.
"""

from __future__ import annotations

import re

# Order matters: cp1252 and Mac Roman are the usual culprits; latin-1 covers the C1 range.
LEGACY_CODECS = ("cp1252", "mac_roman", "latin-1")

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def _undo_run(run: str) -> str:
    for codec in LEGACY_CODECS:
        try:
            fixed = run.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != run:
            return fixed
    return run


def _repair_once(text: str) -> str:
    return _NON_ASCII_RUN.sub(lambda m: _undo_run(m.group(0)), text)


def repair_mojibake(text: str) -> str:
    """Return text with every mojibake run decoded; other text is left byte-for-byte alone."""
    # Doubly-encoded text needs a second pass; stop as soon as nothing changes.
    for _ in range(3):
        fixed = _repair_once(text)
        if fixed == text:
            return fixed
        text = fixed
    return text


def find_mojibake(text: str) -> list[str]:
    """The runs in text that still look like mojibake (empty when the text is clean)."""
    return [m.group(0) for m in _NON_ASCII_RUN.finditer(text) if _undo_run(m.group(0)) != m.group(0)]
