"""Is a query in English? The cross-encoder (MS MARCO, English WordPiece) only judges English.

Queries in other languages are ranked by the first stage alone, where multilingual-e5 reads them.
A query reads as English when its letters are Latin and either enough of its words are English
function words, or every word is an English word or a word of the banks (keyword queries such as
"dead relu" or "GQA" have no function words at all). The function words are chosen to be rare in
Spanish, German and French ("a", "an", "in", "was", "die" are left out: they are words there too).
"""

from __future__ import annotations

import re
import unicodedata

from retrieval.vocabulary import KnownWords

NON_LATIN_LIMIT = 0.2
FUNCTION_SHARE = 0.1
KNOWN_SHARE = 0.75  # of an all-ASCII query without function words: keyword queries, typos and all
ENGLISH_FUNCTION_WORDS = frozenset(
    """the is are were what how why which who whom whose does do did of and to for with this that these those
    it its can could should would will when where between vs versus my i you your we our they their on from be
    been or than then there here about into if not any some more most much many why's what's how's it's
    i'm don't doesn't isn't""".split()
)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def non_latin_share(text: str) -> float:
    letters = _LETTERS.findall(text)
    if not letters:
        return 0.0
    return sum("LATIN" not in unicodedata.name(ch, "") for ch in letters) / len(letters)


def reads_as_english(text: str, known: KnownWords) -> bool:
    if non_latin_share(text) >= NON_LATIN_LIMIT:
        return False
    tokens = [t.lower().replace("’", "'") for t in _WORDS.findall(text)]
    if not tokens:
        return True
    if sum(t in ENGLISH_FUNCTION_WORDS for t in tokens) / len(tokens) >= FUNCTION_SHARE:
        return True
    if not all(t.isascii() for t in tokens):
        return False
    unknown = sum(not (t.isdigit() or known.is_literal_word(t)) for t in tokens)
    # One name the vocabularies lack ("huffman coding", "TCP handshake") is still English.
    return unknown <= 1 < len(tokens) or 1 - unknown / len(tokens) >= KNOWN_SHARE
