"""Rescheduling a card with fsrs (the Free Spaced Repetition Scheduler).

A card's state is `fsrs.Card.to_dict()` — plain JSON, stored as is by the user-data store. The
scheduler runs with fsrs's defaults (90 % desired retention, learning steps of 1 and 10 minutes),
so a card answered "Again" comes back within the session and a known one in days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler, State

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
STATE_NAMES = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}
# Grader score → the rating suggested to the user (who confirms or changes it).
SUGGESTION_FLOORS = ((0.85, 4), (0.6, 3), (0.35, 2))


@dataclass(frozen=True)
class Scheduled:
    card: dict  # fsrs.Card.to_dict()
    due: datetime
    state: str


def suggested_rating(score: float) -> int:
    return next((rating for floor, rating in SUGGESTION_FLOORS if score >= floor), 1)


def _scheduler() -> Scheduler:
    return Scheduler()


def review(card: Mapping | None, rating: int, now: datetime) -> Scheduled:
    """The card after a review with `rating` (1–4) at `now`; None is a card never reviewed."""
    if rating not in RATING_NAMES:
        raise ValueError(f"a rating is 1 (Again) to 4 (Easy), not {rating!r}")
    now = now.astimezone(UTC)
    current = Card.from_dict(dict(card)) if card else Card(due=now)
    updated, _log = _scheduler().review_card(current, Rating(rating), review_datetime=now)
    return Scheduled(card=updated.to_dict(), due=updated.due, state=STATE_NAMES[updated.state])


def state_name(card: Mapping) -> str:
    try:
        return STATE_NAMES[State(int(card["state"]))]
    except (KeyError, ValueError, TypeError):
        return "unknown"
