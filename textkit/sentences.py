"""The one sentence splitter, for bank answers, composed answers and support checks alike.

A sentence ends at . ! ? (plus closing quotes/brackets and any citation markers) before a space
and a capital, a digit or an opening mark — but not before a citation marker, which belongs to the
sentence it follows, and not after an abbreviation ("e.g.", "vs.") or an initial.
"""

from __future__ import annotations

import re

_END = re.compile(r"([.!?]+[\"')\]]*)((?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*)(\s+)(?!\[\s*\d)(?=[\"'(\[*`]?[A-Z0-9])")
ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "approx", "fig", "eq", "cf", "al", "dr", "mr", "no", "resp"})


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph; markers after a full stop stay with their sentence."""
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        before = text[start : match.start()].rsplit(None, 1)
        last_word = before[-1].lower().rstrip(".") if before else ""
        if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        sentences.append(text[start : match.end(2)].strip())
        start = match.end(3)
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
