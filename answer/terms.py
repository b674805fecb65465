"""Whether a text names a term ("batch norm" is named by "Batch Normalization" and by "batchnorm"),
and how much two texts share — on the one tokenizer, stopword list and stemmer (textkit.words)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from textkit.words import STOPWORDS, content_words, stem, words

PREFIX_MIN = 4  # a term word this long also matches the words it begins
COMPOUND_TAIL = 3  # a word longer than a one-word name by more than this is another name ("BERTScore")
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
    return {*stems, *(a + b for a, b in pairwise(stems))}


def _covers(wanted: Sequence[str] | set[str] | frozenset[str], have: set[str]) -> bool:
    """Every wanted stem is in `have`, or begins a word there ("norm" → "normalization")."""
    return bool(wanted) and all(
        w in have or (len(w) >= PREFIX_MIN and any(h.startswith(w) for h in have)) for w in wanted
    )


def mentions(text: str, term: str) -> bool:
    """Does `text` name `term`? All of the term's content words appear (stemmed; a word may be the
    start of a longer one, and two neighbouring words may be written as one)."""
    return names(text, frozenset(term_stems(term)))


class SideTerms(frozenset[str]):
    """A side's own stems, and the words that name another side although they begin with one of
    them: for "Adam" vs "AdamW", "AdamW" names only AdamW."""

    others: frozenset[str] = frozenset()


def distinct_terms(sides: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each side's own stems — without those all sides share ("L1 regularization" vs "L2
    regularization" → {"l1"} and {"l2"}), so a text names a side when it says "L1 (Lasso)"."""
    own = {side: stem_set(side) for side in sides}
    common = set.intersection(*own.values()) if own else set()
    out: dict[str, frozenset[str]] = {}
    for side, w in own.items():
        # A side named by a stopword ("concept drift" vs "data drift") is told apart by that word.
        every = {stem(x) for x in words(side)} - common
        terms = SideTerms(w - common or every or w)
        terms.others = frozenset(
            longer
            for other, theirs in own.items()
            if other != side
            for longer in theirs
            if longer not in terms and any(longer.startswith(mine) for mine in terms)
        )
        out[side] = terms
    return out


def names(text: str, terms: frozenset[str]) -> bool:
    if not terms:
        return False
    have = _with_compounds(term_stems(text)) | {stem(w) for w in words(text)}
    if isinstance(terms, SideTerms):
        have -= terms.others  # "AdamW" does not name Adam
    return _covers(terms, have)


def overlap(a: str, b: str) -> float:
    """Share of `a`'s content stems found in `b`."""
    words = stem_set(a)
    return len(words & stem_set(b)) / len(words) if words else 0.0


_NAME_WORDS = re.compile(r"[A-Za-z0-9]+")


def acronym(side: str) -> str:
    """The initials of a name of several words ("grouped-query attention" → "GQA"), else ""."""
    parts = _NAME_WORDS.findall(side)
    return "".join(p[0] for p in parts).upper() if len(parts) >= 2 else ""


def _is_acronym(side: str) -> bool:
    return 2 <= len(side) <= 6 and side.isalnum() and side[:1].isalpha() and sum(c.isupper() for c in side) >= 2


def _escape_repl(text: str) -> str:
    return text.replace("\\", "\\\\")


def aliased(text: str, sides: Sequence[str]) -> str:
    """The text with each side's other name written beside it, so either name matches: a side's
    acronym where the text spells it out and vice versa ("MQA" ↔ "multi-query attention")."""
    for side in sides:
        short = acronym(side)
        if len(short) >= 3:  # two letters are too ambiguous ("LR", "DP")
            text = re.sub(rf"\b{short}s?\b", rf"\g<0> ({_escape_repl(side)})", text)
        elif _is_acronym(side):
            letters = side.upper()
            words = list(_NAME_WORDS.finditer(text))
            for k in range(len(words) - len(letters), -1, -1):
                span = words[k : k + len(letters)]
                joined = all(re.fullmatch(r"[\s-]+", text[a.end() : b.start()]) for a, b in pairwise(span))
                initials = "".join(w.group(0)[0] for w in span).upper()
                if initials == letters and joined and all(len(w.group(0)) > 1 for w in span):
                    end = span[-1].end()
                    text = f"{text[:end]} ({side}){text[end:]}"
    return text


def collides(text: str, side: str) -> bool:
    """Does `text` name a one-word side only inside a longer name — a modifier before it ("mixed
    precision" for "precision") or a longer word it begins ("BERTScore" for "BERT")? Then it is
    about something else."""
    wanted = term_stems(side)
    if len(wanted) != 1:
        return False
    tokens = words(text)
    found = False
    for k, token in enumerate(tokens):
        word = stem(token)
        if not word.startswith(wanted[0]):
            continue
        found = True
        if len(word) - len(wanted[0]) > COMPOUND_TAIL:
            continue  # inside a longer word: "BERTScore" is not BERT
        if k == 0 or tokens[k - 1] in STOPWORDS:
            return False
    return found
