"""Typo repair against the corpus's own vocabulary (no dictionary, no per-query rules).

A query word the banks never use is replaced by the most frequent bank word that is a close
edit of it ("regularisation" → "regularization", "transfomer" → "transformer"). Words with no
close neighbour are left alone, so a topic the banks lack stays visibly absent.
"""

from __future__ import annotations

from collections import defaultdict

# Short words are too often real words of their own ("rust" is not a typo of "trust").
MIN_LENGTH = 5


def max_edits(word: str) -> int:
    """Edits tolerated: one in a short word, two in a long one."""
    return 1 if len(word) <= 7 else 2


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class SpellingCorrector:
    def __init__(self, vocabulary: dict[str, int]) -> None:
        self._frequency = vocabulary
        self._by_trigram: dict[str, list[str]] = defaultdict(list)
        for word in vocabulary:
            if len(word) >= MIN_LENGTH and word.isalpha():
                for gram in _trigrams(word):
                    self._by_trigram[gram].append(word)

    def known(self, word: str) -> bool:
        return word in self._frequency

    def correct(self, word: str) -> str | None:
        """The bank word this is probably a typo of, or None."""
        if len(word) < MIN_LENGTH or not word.isalpha() or word in self._frequency:
            return None
        grams = _trigrams(word)
        shared: dict[str, int] = defaultdict(int)
        for gram in grams:
            for candidate in self._by_trigram.get(gram, ()):
                shared[candidate] += 1
        # Only words sharing a good part of their trigrams are worth the exact comparison.
        shortlist = [w for w, n in shared.items() if n >= len(grams) // 2 and abs(len(w) - len(word)) <= 1]
        best: tuple[int, int, str] | None = None
        for candidate in shortlist:
            distance = edit_distance(word, candidate)
            if distance <= max_edits(word):
                # Fewest edits first, then the word the banks use most.
                key = (-distance, self._frequency[candidate], candidate)
                if best is None or key > best:
                    best = key
        return best[2] if best else None
