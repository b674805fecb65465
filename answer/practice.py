"""Practice mode: pick a question, then grade a typed answer against the bank's reference answer(s).

The reference answers are cut into key points (bullets, numbered steps, sentences). A key point
counts as covered when the user's answer says the same thing, judged two ways:

- meaning: the cosine similarity between the point and the closest sentence of the user's answer
  (or the whole answer), with the same embedder the index uses;
- key terms: the point's content words (minus the words of the question itself, so that parroting
  the question earns nothing) that also occur in the user's answer, matched on a 5-letter stem.

Strong meaning alone, middling meaning with a good share of the key terms, or nearly all key terms
of a term-rich point, count as covered.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.entry import Entry, EntryKind
from retrieval.types import SearchFilters

Embed = Callable[[list[str]], np.ndarray]

# Thresholds, set on bank answers against paraphrases, partial answers, off-topic text and the
# question itself repeated back (which reaches ≈ 0.6 similarity with some points but no key terms).
COVERED_SIMILARITY = 0.7  # meaning alone
PARTIAL_RULES = ((0.5, 1 / 3), (0.4, 0.5))  # (similarity, share of key terms): both reached → covered
TERMS_ONLY_SHARE = 0.75  # nearly every key term of a point with at least 3 of them
DUPLICATE_POINT_SIMILARITY = 0.8  # a variant's point this close to one already listed adds nothing
MAX_POINTS = 8
MAX_EXTRA_POINTS = 4  # points taken from other banks' versions of the question

_STEM = 5
_CODE_FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1\s*$", re.MULTILINE | re.DOTALL)
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*|\[(\d+)\]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+'-]*[A-Za-z0-9+]|[A-Za-z]")
_STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto about as is are was were be been
    being do does did done have has had having i me my we our you your he she it its they them their this that these
    those what which who whom whose when where why how can could would should will shall may might must not no yes so
    too very just also than there here some any all each more most less least other such only own same both few many
    much one two use used using uses like via per e.g i.e etc vs versus between within without over under up down out
    off again further once while because until after before during through above below well make makes made get gets
    way ways thing things often usually typically model models""".split()
)


@dataclass(frozen=True)
class KeyPoint:
    text: str
    entry_id: str  # the reference entry it comes from
    covered: bool
    similarity: float  # best cosine to the user's answer
    terms: tuple[str, ...]  # its key terms
    matched_terms: tuple[str, ...]  # those the user's answer used


@dataclass(frozen=True)
class PracticeGrade:
    points: tuple[KeyPoint, ...]
    terms_used: tuple[str, ...]  # key terms of the reference the user mentioned
    terms_missed: tuple[str, ...]  # key terms of the reference the user did not mention

    @property
    def covered(self) -> tuple[KeyPoint, ...]:
        return tuple(p for p in self.points if p.covered)

    @property
    def missed(self) -> tuple[KeyPoint, ...]:
        return tuple(p for p in self.points if not p.covered)

    @property
    def score(self) -> float:
        """Share of key points covered, 0…1."""
        return len(self.covered) / len(self.points) if self.points else 0.0


# -- choosing questions ------------------------------------------------------------------------


def practice_pool(entries: Iterable[Entry], filters: SearchFilters | None = None) -> list[Entry]:
    """Entries worth practising: answered questions (scenario Q/A included) inside the filters."""
    filters = filters or SearchFilters()
    return [
        e
        for e in entries
        if e.has_answer and e.kind in (EntryKind.QA, EntryKind.SCENARIO) and filters.admits(e) and key_points(e)
    ]


def pick_question(
    entries: Iterable[Entry],
    filters: SearchFilters | None = None,
    rng: random.Random | None = None,
    exclude: Iterable[str] = (),
) -> Entry | None:
    """A random answered question inside the filters, avoiding `exclude` while others remain."""
    pool = practice_pool(entries, filters)
    if not pool:
        return None
    seen = set(exclude)
    fresh = [e for e in pool if e.id not in seen] or pool
    return (rng or random.Random()).choice(fresh)


def similar_question(searcher, entry_id: str, filters: SearchFilters | None = None, exclude: Iterable[str] = ()):
    """The closest other practisable question that is not just another bank's version of this one."""
    base = filters or SearchFilters()
    scoped = SearchFilters(banks=base.banks, sections=base.sections, answered_only=True)
    skip = set(exclude) | {entry_id} | {v.id for v in searcher.variants(entry_id)}
    for candidate in searcher.similar(entry_id, k=25, filters=scoped):
        if candidate.id not in skip and candidate.kind in (EntryKind.QA, EntryKind.SCENARIO) and key_points(candidate):
            return candidate
    return None


def references_for(searcher, entry: Entry, limit: int = 3) -> list[Entry]:
    """The entry and, after it, up to `limit - 1` answered versions of it from other banks."""
    others = [v for v in searcher.variants(entry.id) if v.has_answer and v.bank_file != entry.bank_file]
    return [entry, *others[: max(limit - 1, 0)]]


# -- key points and terms ----------------------------------------------------------------------


def _clean(text: str) -> str:
    text = _MARKUP.sub("", text)
    return " ".join(text.replace("*", " ").split()).strip(" ;-")


def split_points(text: str) -> list[str]:
    """Bullets, numbered steps and sentences of a markdown text, markup removed, code dropped."""
    text = _CODE_FENCE.sub(" ", text)
    points: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) <= set("-|: "):
            continue
        line = _LIST_MARK.sub("", line)
        for sentence in _SENTENCE_END.split(line):
            cleaned = _clean(sentence)
            if cleaned:
                points.append(cleaned)
    return points


def key_points(entry: Entry, limit: int = MAX_POINTS) -> list[str]:
    """The reference answer as key points; a lead-in like "Benefits:" alone is not a point."""
    found = []
    for point in split_points(entry.answer):
        words = _WORD.findall(point)
        if len(words) < 2 or (point.endswith(":") and len(words) < 5):
            continue
        point = point.rstrip(" :")
        if point not in found:
            found.append(point)
    return found[:limit]


def _stem(word: str) -> str:
    return word.lower()[:_STEM]


def key_terms(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """Content words of a text, in order, without stopwords or the stems in `ignore`."""
    ignored = {_stem(w) for w in ignore}
    terms: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(text):
        lower = word.lower()
        if lower in _STOPWORDS or len(lower) < 2 or (len(lower) < 3 and not word.isupper()):
            continue
        stem = _stem(lower)
        if stem in ignored or stem in seen:
            continue
        seen.add(stem)
        terms.append(lower)
    return terms


# -- grading -----------------------------------------------------------------------------------


def _is_covered(similarity: float, terms: Sequence[str], matched: Sequence[str]) -> bool:
    share = len(matched) / len(terms) if terms else 0.0
    if similarity >= COVERED_SIMILARITY:
        return True
    if terms and any(similarity >= floor and share >= needed for floor, needed in PARTIAL_RULES):
        return True
    return len(terms) >= 3 and share >= TERMS_ONLY_SHARE


def grade_answer(user_answer: str, references: Sequence[Entry], embed: Embed) -> PracticeGrade:
    """Which key points of the reference answer(s) the user's answer covers."""
    if not references:
        return PracticeGrade(points=(), terms_used=(), terms_missed=())
    question_words = _WORD.findall(references[0].question)
    candidates: list[tuple[str, str]] = [(p, references[0].id) for p in key_points(references[0])]
    extra: list[tuple[str, str]] = [(p, ref.id) for ref in references[1:] for p in key_points(ref)]
    user_units = [u for u in split_points(user_answer) if _WORD.search(u)]
    whole = " ".join(user_answer.split())
    if whole and whole not in user_units:
        user_units.append(whole)

    texts = [p for p, _ in candidates] + [p for p, _ in extra] + user_units
    vectors = np.asarray(embed(texts), dtype=np.float32) if texts else np.zeros((0, 1), dtype=np.float32)
    point_vectors = vectors[: len(candidates) + len(extra)]
    user_vectors = vectors[len(candidates) + len(extra) :]

    # Other banks' versions add only the points the primary answer lacks.
    chosen = list(range(len(candidates)))
    for offset in range(len(extra)):
        row = len(candidates) + offset
        if len(chosen) >= len(candidates) + MAX_EXTRA_POINTS:
            break
        if not chosen or float(np.max(point_vectors[chosen] @ point_vectors[row])) < DUPLICATE_POINT_SIMILARITY:
            chosen.append(row)

    everything = candidates + extra
    user_stems = {_stem(w) for w in _WORD.findall(user_answer)}
    points: list[KeyPoint] = []
    for row in chosen:
        text, entry_id = everything[row]
        similarity = float(np.max(user_vectors @ point_vectors[row])) if len(user_vectors) else 0.0
        terms = key_terms(text, ignore=question_words)
        matched = [t for t in terms if _stem(t) in user_stems]
        points.append(
            KeyPoint(
                text=text,
                entry_id=entry_id,
                covered=bool(user_units) and _is_covered(similarity, terms, matched),
                similarity=round(similarity, 3),
                terms=tuple(terms),
                matched_terms=tuple(matched),
            )
        )
    all_terms: list[str] = []
    for point in points:
        all_terms.extend(t for t in point.terms if t not in all_terms)
    used = tuple(t for t in all_terms if _stem(t) in user_stems)
    missed = tuple(t for t in all_terms if _stem(t) not in user_stems)
    return PracticeGrade(points=tuple(points), terms_used=used, terms_missed=missed)
