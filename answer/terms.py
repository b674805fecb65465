"""Whether a text names a term ("batch norm" is named by "Batch Normalization" and by "batchnorm"),
and how much two texts share — on the one tokenizer, stopword list and stemmer (textkit.words)."""

from __future__ import annotations

from collections.abc import Sequence

from textkit.words import content_words, stem

PREFIX_MIN = 4  # a term word this long also matches the words it begins
# Words too common in the banks to say two questions share a topic (stems).
GENERIC_WORDS = frozenset(
    stem(w)
    for w in """ml machine learning deep neural network ai data theorem role purpose idea main key common type
    important importance problem approach method technique training generative model""".split()
)


def term_stems(text: str) -> list[str]:
    """The stems of a text's content words, in order."""
    return [stem(w) for w in content_words(text)]


def stem_set(text: str) -> set[str]:
    return set(term_stems(text))


def _with_compounds(stems: list[str]) -> set[str]:
    """The stems, plus each pair of neighbours written as one word ("batch norm" → "batchnorm")."""
    return {*stems, *(a + b for a, b in zip(stems, stems[1:]))}


def _covers(wanted: Sequence[str] | set[str] | frozenset[str], have: set[str]) -> bool:
    """Every wanted stem is in `have`, or begins a word there ("norm" → "normalization")."""
    return bool(wanted) and all(
        w in have or (len(w) >= PREFIX_MIN and any(h.startswith(w) for h in have)) for w in wanted
    )


def mentions(text: str, term: str) -> bool:
    """Does `text` name `term`? All of the term's content words appear (stemmed; a word may be the
    start of a longer one, and two neighbouring words may be written as one)."""
    return names(text, frozenset(term_stems(term)))


def distinct_terms(sides: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each side's own stems — without those all sides share ("L1 regularization" vs "L2
    regularization" → {"l1"} and {"l2"}), so a text names a side when it says "L1 (Lasso)"."""
    words = {side: stem_set(side) for side in sides}
    common = set.intersection(*words.values()) if words else set()
    return {side: frozenset(w - common or w) for side, w in words.items()}


def names(text: str, terms: frozenset[str]) -> bool:
    if not terms:
        return False
    return _covers(terms, _with_compounds(term_stems(text)))


def overlap(a: str, b: str) -> float:
    """Share of `a`'s content stems found in `b`."""
    words = stem_set(a)
    return len(words & stem_set(b)) / len(words) if words else 0.0
