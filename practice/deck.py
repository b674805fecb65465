"""The deck of a practice session and what to tell the user about it.

The deck is every practisable entry in scope (answered, with key points to grade: answer/practice.py).
A session takes the cards due now first (longest overdue first), then questions never practised,
up to the session size. Cards whose entry is no longer in the index (a bank edited, an index
rebuilt) are kept in the store and reported, never dropped: they return if the entry does.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from userdata.store import CardState, Review


@dataclass(frozen=True)
class DeckStatus:
    size: int  # practisable entries in the deck
    due_now: int  # cards in the deck due at `now`
    due_later_today: int  # cards due after now but before the end of the local day
    new: int  # entries of the deck never practised
    learned: int  # entries of the deck with a card

    @property
    def due_today(self) -> int:
        return self.due_now + self.due_later_today


def end_of_day(now: datetime) -> datetime:
    """The end of `now`'s day in the machine's time zone (what "today" means to its user)."""
    local = now.astimezone()
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=local.tzinfo)


def deck_status(deck_ids: Iterable[str], cards: Sequence[CardState], now: datetime) -> DeckStatus:
    ids = set(deck_ids)
    mine = [c for c in cards if c.entry_id in ids]
    tonight = end_of_day(now)
    due_now = sum(c.due <= now for c in mine)
    later = sum(now < c.due < tonight for c in mine)
    return DeckStatus(
        size=len(ids), due_now=due_now, due_later_today=later, new=len(ids) - len(mine), learned=len(mine)
    )


def session_queue(
    deck_ids: Sequence[str], cards: Sequence[CardState], now: datetime, size: int, rng: random.Random
) -> list[str]:
    """Due cards first (most overdue first), then new questions in random order, `size` at most."""
    ids = set(deck_ids)
    known = {c.entry_id for c in cards}
    due = sorted((c for c in cards if c.entry_id in ids and c.due <= now), key=lambda c: (c.due, c.entry_id))
    new = [entry_id for entry_id in deck_ids if entry_id not in known]
    rng.shuffle(new)
    return ([c.entry_id for c in due] + new)[: max(size, 0)]


def vanished(cards: Iterable[CardState], known_ids: Iterable[str]) -> list[CardState]:
    """Cards whose entry the loaded index does not have."""
    known = set(known_ids)
    return [c for c in cards if c.entry_id not in known]


def review_score(review: Review) -> float:
    """How well a review went, 0..1: the grader's score, else what the rating says."""
    if review.grade_score is not None:
        return float(review.grade_score)
    return (review.rating - 1) / 3


@dataclass(frozen=True)
class TopicStanding:
    topic: str
    score: float  # mean of the latest review score of each practised entry of the topic
    entries: int


def weakest_topics(
    reviews: Sequence[Review], topic_of: Callable[[str], str | None], limit: int = 3
) -> list[TopicStanding]:
    """Topics by how well their entries went at their latest review, worst first."""
    latest: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: r.reviewed_at):
        latest[review.entry_id] = review
    scores: dict[str, list[float]] = defaultdict(list)
    for entry_id, review in latest.items():
        topic = topic_of(entry_id)
        if topic is not None:
            scores[topic].append(review_score(review))
    standings = [TopicStanding(t, sum(s) / len(s), len(s)) for t, s in scores.items()]
    return sorted(standings, key=lambda s: (s.score, -s.entries, s.topic))[:limit]


@dataclass(frozen=True)
class SessionRecord:
    entry_id: str
    rating: int
    score: float | None
    due: datetime


def summary_counts(records: Sequence[SessionRecord]) -> dict[int, int]:
    counts = {rating: 0 for rating in (1, 2, 3, 4)}
    for record in records:
        counts[record.rating] += 1
    return counts
