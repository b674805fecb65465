"""Practice mode: pick a question, then grade a typed answer against the bank's reference answer.

Grading is by meaning. The reference answer is cut into key points (bullets, numbered steps,
sentences), kept in the bank's own words. A point counts as covered when some sentence of the
user's answer (or two neighbouring sentences, or the whole answer) states it:

- its cosine to the point, with the embedder the index uses, is what earns credit;
- what the question alone explains is discounted: the point's own similarity to the question, and
  the answer's similarity to the question (a fluent answer that circles the question's wording
  without stating the reference's content is the typical wrong answer);
- the point's key terms (its content words that are not the question's) used by the answer add a
  little, so a paraphrase that keeps the technical words is not lost to embedding noise.

An answer that is only a list of terms (keyword stuffing) states nothing, so it covers no point; an
empty answer, or one that only repeats the question's words, is refused rather than graded. The
constants below were fitted on the `tune` split of blind-written practice answers
(eval/practice_split.json) by `python -m eval.practice_eval --fit`; the same script reports the
`heldout` split beside the previous word-matching grader.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np

from ingest.entry import Entry, EntryKind
from retrieval.types import SearchFilters
from textkit.words import STOPWORDS, content_words, stem, stems, words

Embed = Callable[[list[str]], np.ndarray]

# Fitted on tune (leave-one-question-out cross-validated; eval/practice_eval.py --fit). A point is
# covered when similarity - PQ_WEIGHT * point~question + TERM_WEIGHT * key-term share
# - QUESTION_WEIGHT * answer~question > COVER_THRESHOLD.
PQ_WEIGHT = 0.25
TERM_WEIGHT = 0.5
QUESTION_WEIGHT = 1.5
COVER_THRESHOLD = -0.325
# Not fitted (tune has no off-topic answers to fit it on): however the answer relates to the
# question, a point needs at least this much similarity to it.
MIN_SIMILARITY = 0.3
# Keyword stuffing: logistic regression over (share of function words, log mean words per list
# item), fitted on tune (stuffing vs every other kind, with the banks' own answers as more
# non-stuffing); a score above 0 reads as a list of terms.
STUFFING_WEIGHTS = (-2.12, -6.52)
STUFFING_BIAS = 7.35
# Refusal: an answer needs at least this many content words of its own (not the question's).
MIN_OWN_WORDS = 2
# Key terms are shown only when distinctive: in at most this share of the banks' entries.
MAX_TERM_DOCUMENT_SHARE = 0.01
MAX_POINTS = 8

_CODE_FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1\s*$", re.MULTILINE | re.DOTALL)
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*|\[(\d+)\]")
# Where one item of a list ends: commas, semicolons, line breaks, bullets, sentence ends, dashes.
_LIST_ITEM_END = re.compile(r"[,;\n•]|(?<=[.!?:])\s+|^\s*[-*+]\s+|\s+-\s+", re.MULTILINE)


class UngradableAnswer(ValueError):
    """The answer cannot be graded; the message says what to do instead."""


class EmptyAnswer(UngradableAnswer):
    def __init__(self) -> None:
        super().__init__("Write an answer first: an empty answer is not graded.")


class RestatedQuestion(UngradableAnswer):
    def __init__(self) -> None:
        super().__init__(
            "Your answer only repeats words of the question: say what it is, how it works or why, then check again."
        )


class TooShortAnswer(UngradableAnswer):
    def __init__(self) -> None:
        super().__init__("Too little to grade: write what you know about it in a sentence or two, then check again.")


@dataclass(frozen=True)
class KeyPoint:
    text: str  # the reference's own phrase
    entry_id: str  # the reference entry it comes from
    covered: bool
    similarity: float  # best cosine to a sentence (or two, or all) of the user's answer
    terms: tuple[str, ...]  # its key terms (content words that are not the question's)
    matched_terms: tuple[str, ...]  # those the user's answer used


@dataclass(frozen=True)
class PracticeGrade:
    points: tuple[KeyPoint, ...]
    terms_used: tuple[str, ...]  # distinctive key terms of the reference the user mentioned
    terms_missed: tuple[str, ...]  # distinctive key terms of the reference the user did not mention
    notice: str | None = None  # why nothing was credited, when the answer is a list of terms

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


STUFFING_NOTICE = (
    "This reads as a list of terms: no key point is credited until your answer states it "
    "(what each term does and how they connect)."
)


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
# A minimal markdown splitter, local until the text toolkit has one (textkit/sentences.py).


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
    found: list[str] = []
    for point in split_points(entry.answer):
        count = len(words(point))
        if count < 2 or (point.endswith(":") and count < 5):
            continue
        point = point.rstrip(" :")
        if point not in found:
            found.append(point)
    return found[:limit]


def key_terms(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """Content words of a text, in order, one per stem, without those whose stem is in `ignore`."""
    ignored = {stem(w) for w in ignore}
    terms: list[str] = []
    for word in content_words(text):
        if len(word) < 3 and not word.isdigit():
            continue
        key = stem(word)
        if key not in ignored:
            ignored.add(key)
            terms.append(word)
    return terms


@dataclass(frozen=True)
class TermRarity:
    """How many of the banks' entries use each stem: a key term is worth naming to the user only
    when few entries use it ("gradient" is everywhere, "reparameterization" is not)."""

    entries: int
    document_frequency: dict[str, int]

    def distinctive(self, term: str) -> bool:
        share = self.document_frequency.get(stem(term), 0) / max(self.entries, 1)
        return share <= MAX_TERM_DOCUMENT_SHARE


@lru_cache(maxsize=2)
def term_rarity(entries: tuple[Entry, ...]) -> TermRarity:
    frequency: dict[str, int] = {}
    for entry in entries:
        for key in stems(f"{entry.question} {entry.answer}"):
            frequency[key] = frequency.get(key, 0) + 1
    return TermRarity(entries=len(entries), document_frequency=frequency)


# -- grading -----------------------------------------------------------------------------------


def stuffing_features(text: str) -> tuple[float, float]:
    """(share of function words, log of mean words per list item): stuffing is low on both."""
    all_words = words(text)
    function_share = sum(w in STOPWORDS for w in all_words) / max(len(all_words), 1)
    items = [n for n in (len(words(i)) for i in _LIST_ITEM_END.split(text) if i) if n]
    return function_share, math.log1p(sum(items) / len(items) if items else 0.0)


def stuffing_score(text: str) -> float:
    """> 0 when the text reads as a bag of terms rather than statements."""
    features = stuffing_features(text)
    return STUFFING_BIAS + sum(w * f for w, f in zip(STUFFING_WEIGHTS, features, strict=True))


def check_gradable(user_answer: str, question: str) -> None:
    """Refuse an empty answer, or one with too few content words beyond the question's own."""
    if not words(user_answer):
        raise EmptyAnswer()
    question_stems = stems(question)
    answer_stems = stems(user_answer)
    if len(answer_stems - question_stems) < MIN_OWN_WORDS:
        raise RestatedQuestion() if answer_stems & question_stems else TooShortAnswer()


def _user_units(user_answer: str) -> list[str]:
    """Sentences of the answer, each pair of neighbours (a point may span two), and the whole."""
    sentences = [s for s in split_points(user_answer) if words(s)]
    units = sentences + [f"{a} {b}" for a, b in pairwise(sentences)]
    whole = " ".join(user_answer.split())
    return [*units, whole] if whole not in units else units


@dataclass(frozen=True)
class Weights:
    """How the evidence for a point adds up (see the module doc); defaults are the fitted ones."""

    point_question: float = PQ_WEIGHT
    terms: float = TERM_WEIGHT
    answer_question: float = QUESTION_WEIGHT
    threshold: float = COVER_THRESHOLD


@dataclass(frozen=True)
class Measurement:
    """What grading reads from an answer, before any threshold: one row per key point."""

    reference: Entry
    texts: tuple[str, ...]
    similarity: np.ndarray  # best cosine of each point to a unit of the answer
    point_question: np.ndarray  # cosine of each point to the question
    term_share: np.ndarray  # share of each point's key terms the answer used
    terms: tuple[tuple[str, ...], ...]
    matched: tuple[tuple[str, ...], ...]
    answer_question: float  # cosine of the whole answer to the question
    stuffing: float  # > 0: a list of terms (where the reference is not one itself)
    answer_stems: frozenset[str]

    def covered(self, weights: Weights = Weights()) -> np.ndarray:
        if self.stuffing > 0:
            return np.zeros(len(self.texts), dtype=bool)
        evidence = (
            self.similarity
            - weights.point_question * self.point_question
            + weights.terms * self.term_share
            - weights.answer_question * self.answer_question
        )
        return (self.similarity >= MIN_SIMILARITY) & (evidence > weights.threshold)


def measure(user_answer: str, references: Sequence[Entry], embed: Embed) -> Measurement | None:
    """The evidence for each key point, or None without a reference to grade against.

    Raises UngradableAnswer for an answer that is not graded.
    """
    if not references:
        return None
    primary = references[0]
    check_gradable(user_answer, primary.question)
    # The first reference with points is graded against; other banks' versions are shown beside it.
    reference = next((r for r in references if key_points(r)), None)
    if reference is None:
        return None
    texts = key_points(reference)
    units = _user_units(user_answer)
    vectors = np.asarray(embed([*texts, primary.question, *units]), dtype=np.float32)
    point_vectors, question_vector, unit_vectors = vectors[: len(texts)], vectors[len(texts)], vectors[len(texts) + 1 :]
    question_words = words(primary.question)
    answer_stems = frozenset(stems(user_answer))
    terms = [tuple(key_terms(text, ignore=question_words)) for text in texts]
    matched = [tuple(t for t in point_terms if stem(t) in answer_stems) for point_terms in terms]
    return Measurement(
        reference=reference,
        texts=tuple(texts),
        similarity=(point_vectors @ unit_vectors.T).max(axis=1),
        point_question=point_vectors @ question_vector,
        term_share=np.array([len(m) / len(t) if t else 0.0 for t, m in zip(terms, matched, strict=True)]),
        terms=tuple(terms),
        matched=tuple(matched),
        answer_question=float(unit_vectors[-1] @ question_vector),
        # Where the bank's own answer is a list of terms, a list is the expected form, not stuffing.
        stuffing=stuffing_score(user_answer) if stuffing_score(reference.answer) <= 0 else -1.0,
        answer_stems=answer_stems,
    )


def grade_answer(
    user_answer: str, references: Sequence[Entry], embed: Embed, rarity: TermRarity | None = None
) -> PracticeGrade:
    """Which key points of the reference answer the user's answer states.

    Raises UngradableAnswer (EmptyAnswer, RestatedQuestion, TooShortAnswer) for an answer that is not graded.
    Without `rarity` (see `term_rarity`) no key terms are named, since common words are noise.
    """
    found = measure(user_answer, references, embed)
    if found is None:
        return PracticeGrade(points=(), terms_used=(), terms_missed=())
    covered = found.covered()
    points = tuple(
        KeyPoint(text, found.reference.id, bool(hit), round(float(sim), 3), terms, matched)
        for text, hit, sim, terms, matched in zip(
            found.texts, covered, found.similarity, found.terms, found.matched, strict=True
        )
    )
    shown = [t for t in dict.fromkeys(t for p in points for t in p.terms) if rarity and rarity.distinctive(t)]
    return PracticeGrade(
        points=points,
        terms_used=tuple(t for t in shown if stem(t) in found.answer_stems),
        terms_missed=tuple(t for t in shown if stem(t) not in found.answer_stems),
        notice=STUFFING_NOTICE if found.stuffing > 0 else None,
    )
