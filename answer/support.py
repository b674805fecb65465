"""Is a sentence of a generated answer supported by the bank entry it cites?

Two signals, both against the cited entry: the share of the sentence's content words (textkit's
stopwords removed, Snowball stems) found in the entry, and the best embedding cosine between the sentence
and the entry's own sentences or whole text. Thresholds were measured on the dev set by
`eval/calibrate_support.py`; the figures are in the comment above them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ingest.entry import Entry
from textkit.markdown_blocks import FENCE
from textkit.sentences import split_sentences as split_paragraph_sentences
from textkit.words import stems

Embed = Callable[[list[str]], np.ndarray]

# -- thresholds ------------------------------------------------------------------------------------
# Measured by `python -m eval.calibrate_support` (dev set: 172 in-scope queries, up to 3 cited entries
# each; MiniLM int8 embedder). Sentences are checked against a relevant entry E they do not come from:
#   positives        = sentences of another relevant entry of the same query (the same fact in another
#                      bank's words: harder than an LLM restating E), n=962;
#   near negatives   = sentences of a top-10 retrieved entry that is NOT relevant (same topic), n=1196;
#   random negatives = sentences of a random entry from another top-level section, n=1196.
#                        overlap p50/p90/p99     cosine p50/p90/p99
#   positives             0.38 / 0.83 / 1.00      0.52 / 0.77 / 0.97
#   near negatives        0.12 / 0.44 / 0.80      0.35 / 0.58 / 0.75
#   random negatives      0.00 / 0.20 / 0.40      0.23 / 0.37 / 0.47
# The rule is the grid point accepting most positives with ≤ 1% of random and ≤ 12% of near negatives:
#   overlap ≥ 0.6, or cosine ≥ 0.65, or (overlap ≥ 0.4 and cosine ≥ 0.5)
#   → accepts 45.3% of positives, 11.9% of near negatives, 0.1% of random negatives.
# Without an embedder, the lowest overlap threshold under the same caps: overlap ≥ 0.45 → 40.0% / 9.9% / 0.8%.
# (A sentence an LLM lifts or paraphrases from E scores far higher than these cross-bank positives.)
OVERLAP_STRONG = 0.6
COSINE_STRONG = 0.65
OVERLAP_WEAK = 0.4
COSINE_WEAK = 0.5
OVERLAP_ONLY = 0.45  # the rule when no embedder is given
MIN_CONTENT_WORDS = 1  # a unit with no content word carries no claim

# -- words -----------------------------------------------------------------------------------------


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (textkit's one stopword list and stemmer), citation markers removed."""
    return stems(strip_citations(text))


# -- citation markers --------------------------------------------------------------------------------

CITATION = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")


def strip_citations(text: str) -> str:
    return re.sub(r"\s*" + CITATION.pattern, "", text)


# -- sentence splitting ------------------------------------------------------------------------------


class UnitKind(StrEnum):
    SENTENCE = "sentence"
    BULLET = "bullet"
    CODE = "code"
    HEADING = "heading"
    TABLE_ROW = "table_row"
    TABLE_RULE = "table_rule"  # |---|---| : layout, not a claim


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    kind: UnitKind
    sep: str  # what stood before it in the source: "", " ", "\n" or "\n\n"

    @property
    def is_claim(self) -> bool:
        return self.kind not in (UnitKind.HEADING, UnitKind.TABLE_RULE)


_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-{3,}[\s:|-]*\|?\s*$")


def split_units(markdown: str) -> list[Unit]:
    """Split markdown into claim-sized units; joining `sep + text` over all units gives it back (modulo spacing)."""
    units: list[Unit] = []
    sep = ""
    lines = markdown.replace("\r\n", "\n").split("\n")
    i = 0
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        nonlocal sep
        if paragraph:
            for k, sentence in enumerate(split_paragraph_sentences(" ".join(p.strip() for p in paragraph))):
                units.append(Unit(sentence, UnitKind.SENTENCE, sep if k == 0 else " "))
            paragraph.clear()
            sep = "\n"

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush_paragraph()
            sep = "\n\n" if units else ""
            i += 1
            continue
        opening = FENCE.match(line)
        if opening:
            flush_paragraph()
            fence = opening.group(1)
            block = [line]
            i += 1
            while i < len(lines):
                block.append(lines[i])
                i += 1
                if lines[i - 1].strip().startswith(fence):
                    break
            units.append(Unit("\n".join(block), UnitKind.CODE, sep))
            sep = "\n"
            continue
        kind = None
        if _HEADING.match(line):
            kind = UnitKind.HEADING
        elif _TABLE_RULE.match(line) and "|" in line:
            kind = UnitKind.TABLE_RULE
        elif line.lstrip().startswith("|"):
            kind = UnitKind.TABLE_ROW
        elif _BULLET.match(line):
            kind = UnitKind.BULLET
        if kind is None:
            paragraph.append(line)
            i += 1
            continue
        flush_paragraph()
        text = line.rstrip()
        i += 1
        if kind is UnitKind.BULLET:  # indented continuation lines belong to the bullet
            while i < len(lines) and lines[i].strip() and lines[i][:1].isspace() and not _BULLET.match(lines[i]):
                text += " " + lines[i].strip()
                i += 1
        units.append(Unit(text, kind, sep))
        sep = "\n"
    flush_paragraph()
    return units


def split_sentences(markdown: str) -> list[str]:
    """Sentences, bullets, table rows and whole code blocks of a markdown text (headings and table rules left out)."""
    return [u.text for u in split_units(markdown) if u.is_claim]


def join_units(units: Sequence[Unit], keep: Sequence[bool] | None = None) -> str:
    """Markdown back from units; with `keep`, the dropped ones are left out and their stronger separators kept."""
    out: list[str] = []
    pending = ""
    for k, unit in enumerate(units):
        if keep is not None and not keep[k]:
            pending = max(pending, unit.sep, key=_SEP_RANK.__getitem__)
            continue
        out.append((max(pending, unit.sep, key=_SEP_RANK.__getitem__) if out else "") + unit.text)
        pending = ""
    return "".join(out)


_SEP_RANK = {"": 0, " ": 1, "\n": 2, "\n\n": 3}


# -- support -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Support:
    supported: bool
    overlap: float  # share of the sentence's content words found in the entry
    cosine: float | None  # best cosine against the entry's sentences or whole text; None without an embedder
    entry_id: str | None  # the entry that supports it best

    @property
    def score(self) -> float:
        return max(self.overlap, self.cosine or 0.0)


def decide(overlap: float, cosine: float | None) -> bool:
    if cosine is None:
        return overlap >= OVERLAP_ONLY
    return overlap >= OVERLAP_STRONG or cosine >= COSINE_STRONG or (overlap >= OVERLAP_WEAK and cosine >= COSINE_WEAK)


def _squash(text: str) -> str:
    """Text reduced for quote matching: no markdown emphasis or list markers, one space, lower case."""
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.MULTILINE)
    return re.sub(r"\s+", " ", text).strip().lower().rstrip(".")


def entry_text(entry: Entry) -> str:
    return f"{entry.question}\n{entry.answer}".strip()


class SupportChecker:
    """Scores sentences against entries; caches entry words and vectors across calls."""

    def __init__(self, embed: Embed | None = None) -> None:
        self.embed = embed
        self._words: dict[str, set[str]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._squashed: dict[str, str] = {}

    def entry_words(self, entry: Entry) -> set[str]:
        if entry.id not in self._words:
            self._words[entry.id] = content_words(entry_text(entry))
        return self._words[entry.id]

    def entry_vectors(self, entry: Entry) -> np.ndarray:
        if entry.id not in self._vectors:
            assert self.embed is not None
            parts = [entry_text(entry), entry.question, *split_sentences(entry.answer)]
            texts = list(dict.fromkeys(strip_citations(p).strip() for p in parts if p.strip()))
            self._vectors[entry.id] = np.asarray(self.embed(texts), dtype=np.float32)
        return self._vectors[entry.id]

    def overlap(self, sentence: str, entry: Entry) -> float | None:
        mine = content_words(sentence)
        if len(mine) < MIN_CONTENT_WORDS:
            return None
        return len(mine & self.entry_words(entry)) / len(mine)

    def cosines(self, sentence: str, entries: Sequence[Entry]) -> list[float | None]:
        if self.embed is None or not entries:
            return [None] * len(entries)
        vector = np.asarray(self.embed([strip_citations(sentence)]), dtype=np.float32)[0]
        return [float(np.max(self.entry_vectors(e) @ vector)) for e in entries]

    def quoted(self, sentence: str, entry: Entry) -> bool:
        """The sentence stands word for word in the entry (a quote is supported, formula or not)."""
        text = _squash(strip_citations(sentence))
        if entry.id not in self._squashed:
            self._squashed[entry.id] = _squash(entry_text(entry))
        return bool(text) and text in self._squashed[entry.id]

    def check_each(self, sentence: str, entries: Sequence[Entry]) -> list[Support]:
        """One verdict per entry; a unit with no content word is a claim of nothing and never supported,
        unless it quotes the entry word for word."""
        quotes = [self.quoted(sentence, e) for e in entries]
        if any(quotes):
            return [Support(q, 1.0 if q else 0.0, None, e.id) for e, q in zip(entries, quotes)]
        overlaps = [self.overlap(sentence, e) for e in entries]
        if not entries or overlaps[0] is None:
            return [Support(False, 0.0, None, e.id) for e in entries]
        cosines = self.cosines(sentence, entries)
        return [Support(decide(ov or 0.0, cos), ov or 0.0, cos, e.id) for e, ov, cos in zip(entries, overlaps, cosines)]

    def check(self, sentence: str, entries: Sequence[Entry]) -> Support:
        """Supported when any of `entries` supports the sentence; the verdict of the best one."""
        verdicts = self.check_each(sentence, entries)
        if not verdicts:
            return Support(False, 0.0, None, None)
        return max(verdicts, key=lambda s: (s.supported, s.score))


def sentence_supported(sentence: str, entries: Sequence[Entry], embed: Embed | None = None) -> tuple[bool, float]:
    """(supported, score) of one sentence against the entries it cites; score is max(overlap, cosine)."""
    support = SupportChecker(embed).check(sentence, entries)
    return support.supported, support.score
