"""Detect and undo mojibake: UTF-8 bytes that were once decoded with a legacy 8-bit codec.

A mojibake run is a maximal run of non-ASCII characters that, encoded back with one of the
legacy codecs, forms valid UTF-8. Real text almost never does (that is the premise ftfy rests
on too), so the check needs no knowledge of which file is broken.
"""

from __future__ import annotations

import re
import unicodedata

# Order matters: cp1252 and Mac Roman are the usual culprits; latin-1 covers the C1 range.
LEGACY_CODECS = ("cp1252", "mac_roman", "latin-1")

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


# What a legitimate pair of Latin-1 characters such as "×²" or "ß“" would "decode" to: the
# two-byte UTF-8 range past Cyrillic (Armenian, Hebrew, Arabic, Syriac, Thaana, NKo). Real
# mojibake in these English banks never stands for those scripts, so such a fix is refused.
_IMPLAUSIBLE_RANGE = (0x0530, 0x07FF)
_IMPLAUSIBLE_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs"})


def _plausible(fixed: str) -> bool:
    low, high = _IMPLAUSIBLE_RANGE
    return not any(
        low <= ord(c) <= high or (c not in "\t\n\r" and unicodedata.category(c) in _IMPLAUSIBLE_CATEGORIES)
        for c in fixed
    )


def _undo_run(run: str) -> str:
    for codec in LEGACY_CODECS:
        try:
            fixed = run.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != run and _plausible(fixed):
            return fixed
    return run


def _windows_repertoire(text: str) -> bool:
    for codec in ("cp1252", "latin-1"):
        try:
            text.encode(codec)
        except UnicodeEncodeError:
            continue
        return True
    return False


def _repair_run(run: str) -> str:
    fixed = _undo_run(run)
    # Doubly-encoded text ("Ã¢â‚¬â„¢" -> "â€™" -> "’") needs another pass, but only on what the
    # last pass produced, and only while that still reads as Windows/Latin-1 mojibake: a pass
    # that yields "√∂" must stop there, since "√∂" is real maths as often as it is mangled "ö".
    for _ in range(2):
        if fixed == run or not _windows_repertoire(fixed):
            break
        run, fixed = fixed, _undo_run(fixed)
    return fixed


def repair_mojibake(text: str) -> str:
    """Return text with every mojibake run decoded; other text is left byte-for-byte alone."""
    return _NON_ASCII_RUN.sub(lambda m: _repair_run(m.group(0)), text)


def find_mojibake(text: str) -> list[str]:
    """The runs in text that still look like mojibake (empty when the text is clean)."""
    return [m.group(0) for m in _NON_ASCII_RUN.finditer(text) if _undo_run(m.group(0)) != m.group(0)]
