"""Retrieval units: the texts embedded for each entry.

People find a Q/A entry by its question's wording, by what its answer says, or by a follow-up.
One vector per entry serves none of these well, so each entry gets several units; retrieval
scores an entry by its best unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ingest.entry import Entry
from ingest.tokens import count_tokens
from textkit.markdown_blocks import strip_fence_lines

PASSAGE_TOKENS = 160  # answer passages stay well inside the model's 256-token window with their header
# Bounds on what one entry can cost to index: a pasted 1 MB answer would otherwise make ~1,500
# passages (minutes of embedding) and a 1 MB unit that the tokenizer encodes whole before it
# truncates. The model reads at most 256 tokens (~1,200 characters of prose), so a unit cut at
# MAX_UNIT_CHARS embeds exactly as before; the shipped banks stay far below both caps
# (3 passages, 1,830 characters at most).
MAX_PASSAGES_PER_ENTRY = 16
MAX_FOLLOW_UPS_PER_ENTRY = 16
MAX_UNIT_CHARS = 4000


class UnitKind(StrEnum):
    QUESTION = "question"
    QA = "qa"
    PASSAGE = "passage"
    FOLLOW_UP = "follow_up"


@dataclass(frozen=True, slots=True)
class Unit:
    entry_index: int
    kind: UnitKind
    text: str


def plain_text(markdown: str) -> str:
    """Markdown reduced to the words a reader sees (emphasis, bullets and fences removed)."""
    text = strip_fence_lines(markdown)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)
    text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def split_passages(text: str, budget: int = PASSAGE_TOKENS, limit: int | None = None) -> list[str]:
    """Split on lines/sentences into chunks of at most `budget` tokens (a longer sentence stands
    alone), stopping after `limit` chunks."""
    pieces = [p.strip() for p in re.split(r"\n+|(?<=[.!?])\s+(?=[A-Z])", text) if p.strip()]
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        size = count_tokens(piece)
        if current and used + size > budget:
            chunks.append(" ".join(current))
            if limit is not None and len(chunks) >= limit:
                return chunks  # the rest is never embedded: do not count its tokens either
            current, used = [], 0
        current.append(piece)
        used += size
    if current:
        chunks.append(" ".join(current))
    return chunks


def _unit(index: int, kind: UnitKind, text: str) -> Unit:
    return Unit(index, kind, text[:MAX_UNIT_CHARS])


def entry_units(index: int, entry: Entry) -> list[Unit]:
    question = entry.question[:MAX_UNIT_CHARS]
    units = [_unit(index, UnitKind.QUESTION, question)]
    answer = plain_text(entry.answer)
    follow_ups = entry.follow_ups[:MAX_FOLLOW_UPS_PER_ENTRY]
    body = answer or " ".join(follow_ups)
    if body:
        units.append(_unit(index, UnitKind.QA, f"{question}\n{body[:MAX_UNIT_CHARS]}"))
    if answer and count_tokens(answer[: MAX_UNIT_CHARS * 2]) > PASSAGE_TOKENS:
        # Each passage keeps its question as a header so it still says what it is about.
        chunks = split_passages(answer, limit=MAX_PASSAGES_PER_ENTRY)
        units.extend(_unit(index, UnitKind.PASSAGE, f"{question}\n{chunk}") for chunk in chunks)
    units.extend(_unit(index, UnitKind.FOLLOW_UP, f"{f} ({question})") for f in follow_ups)
    return units


MULTILINGUAL_TOKENS = 48  # e5 reads ~1 ms per token here: the question and the opening of the answer


class TokenCounter(Protocol):
    def token_count(self, text: str) -> int: ...


class MultilingualCut:
    """What e5 embeds for each entry: its question, then as much of the answer as fits the budget.

    The question names the topic and the answer's first words say what it is; the rest of a long
    answer would cost build time (e5 is slow here) for little ranking gain (measured on `tune`).
    The cut is the longest prefix of whole words within the budget — exactly what bisecting the
    whole text with the model's token counter finds (`multilingual_text_by_bisection`, the reference
    the tests compare against on the real banks), found with far fewer tokenizer calls, which cost
    ~1 ms each on a sentence:

    1. estimate: the prefix's tokens as the sum of its words' tokens, each word counted once per
       build (a corpus repeats its words), so the estimate costs no call for known words;
    2. verify: the estimated prefix fits and one word more does not — two real calls;
    3. otherwise search for real: gallop up from 8 words, then bisect.
    A prefix's token count never falls as words are added, so a verified estimate is the cut.
    """

    def __init__(self, model: TokenCounter, budget: int = MULTILINGUAL_TOKENS) -> None:
        self.model = model
        self.budget = budget
        # "passage: " alone ends in a lone "▁" piece that a following word absorbs: the prefix costs
        # one token less than the empty text's count, and a word its count beyond that.
        self._prefix: int | None = None  # counted at first need: the model may be loaded lazily
        self._word_tokens: dict[str, int] = {}

    def __call__(self, entry: Entry) -> str:
        return self.cut(multilingual_source(entry))

    def cut(self, text: str) -> str:
        """The longest whole-word prefix of `text` (an entry's multilingual_source) within the budget."""
        if len(text) <= self.budget and self._fits(text):  # short: checked whole
            return text
        words = text.split(" ")
        estimate = max(self._estimate(words), 1)
        if estimate == len(words):
            if self._fits(text):
                return text
        elif self._fits(" ".join(words[:estimate])) and not self._fits(" ".join(words[: estimate + 1])):
            return " ".join(words[:estimate])
        return self._search(words)

    def _fits(self, text: str) -> bool:
        return self.model.token_count(text) <= self.budget

    def _estimate(self, words: list[str]) -> int:
        """Words of the longest prefix whose summed per-word tokens stay within the budget."""
        if self._prefix is None:
            self._prefix = self.model.token_count("") - 1
        used = used_by_prefix = self._prefix
        for count, word in enumerate(words):
            tokens = self._word_tokens.get(word)
            if tokens is None:
                tokens = self._word_tokens[word] = self.model.token_count(word) - used_by_prefix
            used += tokens
            if used > self.budget:
                return count
        return len(words)

    def _search(self, words: list[str]) -> str:
        low, high = 1, len(words)  # low: the floor (or a prefix known to fit); high: the longest candidate
        probe = 8
        while probe < high:  # gallop: 8, 16, 32, … words until a prefix no longer fits
            if not self._fits(" ".join(words[:probe])):
                high = probe - 1
                break
            low, probe = probe, probe * 2
        else:
            if self._fits(" ".join(words)):
                return " ".join(words)
            high = len(words) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._fits(" ".join(words[:middle])):
                low = middle
            else:
                high = middle - 1
        return " ".join(words[:low])


def multilingual_source(entry: Entry) -> str:
    """An entry's text before the e5 cut: its question, then its answer (or follow-ups) as plain text."""
    body = plain_text(entry.answer) or " ".join(entry.follow_ups)
    return f"{entry.question}\n{body}" if body else entry.question


def multilingual_text(entry: Entry, model: TokenCounter, budget: int = MULTILINGUAL_TOKENS) -> str:
    """The e5 text of one entry (MultilingualCut; for many entries keep one cut, it learns words)."""
    return MultilingualCut(model, budget)(entry)


def multilingual_text_by_bisection(entry: Entry, model: TokenCounter, budget: int = MULTILINGUAL_TOKENS) -> str:
    """The cut as first written (bisection over the whole text), kept as the reference that
    multilingual_text must reproduce exactly."""
    text = multilingual_source(entry)
    if model.token_count(text) <= budget:
        return text
    words = text.split(" ")
    low, high = 1, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if model.token_count(" ".join(words[:middle])) <= budget:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])


def build_units(entries: tuple[Entry, ...] | list[Entry]) -> list[Unit]:
    return [unit for i, entry in enumerate(entries) for unit in entry_units(i, entry)]
