"""Words for matching: content words with light stemming, and whether a text names a term."""

from __future__ import annotations

import re
from collections.abc import Sequence

_STOP = frozenset(
    """a an the and or but if then of to in on at by for with from into as is are was were be been being do
    does did have has had it its this that these those what which who how why when where can could would
    should will may might must not no so than too very also just more most less such via per each both other
    between vs versus difference differences compare explain describe model models use used using""".split()
)
PREFIX_MIN = 4  # a term word this long also matches the words it begins
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# Words too common in the banks to say two questions share a topic.
GENERIC_WORDS = frozenset(
    """ml machine learn learning deep neural network networks ai data theorem work role purpose idea main key
    common type typ important importance concept problem approach method technique train training way
    why what how when which work why generative model""".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOP and len(w) > 1}


def _covers(wanted: frozenset[str] | set[str], have: set[str]) -> bool:
    """Every wanted word is in `have`, or begins a word there ("norm" → "normalization")."""
    return bool(wanted) and all(
        w in have or (len(w) >= PREFIX_MIN and any(h.startswith(w) for h in have)) for w in wanted
    )


def mentions(text: str, term: str) -> bool:
    """Does `text` name `term`? All of the term's content words appear (light stemming, and a word
    may be the start of a longer one: "batch norm" is named by "batch normalization")."""
    return _covers(content_words(term), content_words(text))


def distinct_terms(sides: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each side's own words — without those all sides share ("L1 regularization" vs "L2
    regularization" → {"l1"} and {"l2"}), so a text names a side when it says "L1 (Lasso)"."""
    words = {side: content_words(side) for side in sides}
    common = set.intersection(*words.values()) if words else set()
    return {side: frozenset(w - common or w) for side, w in words.items()}


def names(text: str, terms: frozenset[str]) -> bool:
    return _covers(terms, content_words(text))


def overlap(a: str, b: str) -> float:
    """Share of `a`'s content words found in `b`."""
    words = content_words(a)
    return len(words & content_words(b)) / len(words) if words else 0.0
