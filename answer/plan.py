"""An answer planned as a typed value, before any markdown is written.

The planners (answer/plan_explain.py, answer/plan_compare.py, answer/planner.py) decide what to
say and from which entries; answer/render.py turns a plan into markdown and citations with pure
functions. A plan holds only bank material (entries and their points), never framing prose.
"""

from __future__ import annotations

from dataclasses import dataclass

from answer.aspects import Aspect
from answer.points import Point
from ingest.entry import Entry


@dataclass(frozen=True, slots=True)
class Lookup:
    """The best entry's answer, then other relevant entries as pointers."""

    primary: Entry
    also: tuple[Entry, ...] = ()
    budget: int = 350  # tokens of the primary answer shown
    heading: str = ""  # e.g. "Only bank 000 has this question"


@dataclass(frozen=True, slots=True)
class Explain:
    """The core entry's answer (the best answered, definitional one), then what the next entries
    add (near-duplicates removed, mechanism before details), then pointers."""

    core: Entry
    core_budget: int
    extra: tuple[Point, ...] = ()  # each with the other entries that state the same point (`also`)
    further: tuple[Entry, ...] = ()  # answered entries to read next
    also_asked: tuple[Entry, ...] = ()  # the same topic asked without an answer
    core_also: tuple[tuple[int, tuple[Entry, ...]], ...] = ()  # core segment → other entries stating it
    core_skip: tuple[int, ...] = ()  # core segments left out: the core answer says the same earlier
    core_first: tuple[int, ...] = ()  # core bullets (segments) that lead their list: definition, mechanism
    context: tuple[str, ...] = ()  # entries (ids) on a narrower case: their points shown under their question


@dataclass(frozen=True, slots=True)
class Row:
    """One aspect across the sides: each cell the points (possibly none) of one side."""

    aspect: Aspect
    cells: tuple[tuple[Point, ...], ...]
    label: str = ""  # the row's own label, when it is not the aspect's ("Strengths and weaknesses")


@dataclass(frozen=True, slots=True)
class CompareConcepts:
    sides: tuple[str, ...]
    rows: tuple[Row, ...]
    # The banks' own statement of the difference: one sentence naming the sides (side None), or
    # one contrastive sentence per side (each with the side it is about); () when they have none.
    key: tuple[tuple[str | None, Point], ...] = ()
    direct: tuple[Entry, ...] = ()  # entries that compare the sides themselves
    missing: tuple[str, ...] = ()  # sides no answered entry speaks to


@dataclass(frozen=True, slots=True)
class BankVersion:
    label: str
    entries: tuple[Entry, ...]
    points: tuple[Point, ...]  # the base version's points, or what this version adds


@dataclass(frozen=True, slots=True)
class CompareVersions:
    """One question as each bank answers it: the fullest version once, then what each other adds."""

    question: str
    base: BankVersion
    others: tuple[BankVersion, ...] = ()
    unanswered: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class NotCovered:
    suggestions: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class Unanswered:
    """The best match is a question its bank leaves unanswered. With answered entries on the same
    topic the answer is theirs (`body`) and the question is only mentioned after it; without them,
    the question and related questions are all there is."""

    asked: Entry
    body: Lookup | Explain | CompareConcepts | None = None
    related: tuple[Entry, ...] = ()


Plan = Lookup | Explain | CompareConcepts | CompareVersions | NotCovered | Unanswered
