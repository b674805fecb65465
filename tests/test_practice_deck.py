"""Spaced-repetition practice (practice/): fsrs rescheduling, the session deck, and the progress
kept in the user-data store — across a restart (a new store object on the same database), an
index rebuilt without some entries (reported, not dropped), and an export/import round trip —
on SQLite and on a real PostgreSQL server alike.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from practice.deck import (
    SessionRecord,
    deck_status,
    end_of_day,
    session_queue,
    summary_counts,
    vanished,
    weakest_topics,
)
from practice.scheduler import review, state_name, suggested_rating
from userdata.sqlite_store import SQLiteStore
from userdata.store import CardState, Review

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
USER = "local"


def _rate(store, entry_id: str, rating: int, now: datetime, score: float | None = None):
    prior = store.card(USER, entry_id)
    scheduled = review(prior.card if prior else None, rating, now)
    store.record_review(
        USER, entry_id, rating=rating, reviewed_at=now, grade_score=score, card=scheduled.card, due=scheduled.due
    )
    return scheduled


# -- scheduling --------------------------------------------------------------------------------


def test_fsrs_brings_a_failed_card_back_sooner_than_a_known_one():
    again, good, easy = (review(None, rating, T0) for rating in (1, 3, 4))
    assert again.due < good.due < easy.due
    assert again.due - T0 <= timedelta(minutes=10), "a failed new card returns within the session"
    assert easy.due - T0 >= timedelta(days=1), "an easy card waits days"
    assert state_name(again.card) == "learning" and state_name(easy.card) == "review"
    # A card reviewed Good again and again is spaced further apart each time.
    card, now, gaps = None, T0, []
    for _ in range(4):
        scheduled = review(card, 3, now)
        gaps.append(scheduled.due - now)
        card, now = scheduled.card, scheduled.due
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]
    with pytest.raises(ValueError, match="1 \\(Again\\) to 4"):
        review(None, 5, T0)


def test_suggested_rating_follows_the_score():
    assert [suggested_rating(s) for s in (0.0, 0.4, 0.7, 0.9)] == [1, 2, 3, 4]


# -- the deck ----------------------------------------------------------------------------------


def _card(entry_id: str, due: datetime) -> CardState:
    return CardState(USER, entry_id, {"state": 2}, due, T0 - timedelta(days=3))


def test_a_session_takes_due_cards_first_then_new_ones():
    deck = [f"e{i}" for i in range(10)]
    cards = [
        _card("e3", T0 - timedelta(hours=1)),
        _card("e1", T0 - timedelta(days=2)),
        _card("e5", T0 + timedelta(days=2)),
    ]
    cards.append(_card("gone", T0 - timedelta(days=9)))  # not in the deck: not drawn
    queue = session_queue(deck, cards, T0, 5, random.Random(1))
    assert queue[:2] == ["e1", "e3"], "most overdue first"
    assert len(queue) == 5 and len(set(queue)) == 5
    assert not {"e5", "gone"} & set(queue), "a card not yet due is not drawn"
    assert session_queue(deck, cards, T0, 0, random.Random(1)) == []


def test_deck_status_counts_due_today_and_new():
    now = datetime.now(UTC)
    tonight = end_of_day(now)
    deck = ["a", "b", "c", "d"]
    cards = [
        _card("a", now - timedelta(minutes=1)),
        _card("b", now + (tonight - now) / 2),
        _card("c", tonight + timedelta(hours=1)),
    ]
    status = deck_status(deck, cards, now)
    assert (status.due_now, status.due_later_today, status.new, status.learned, status.size) == (1, 1, 1, 3, 4)
    assert status.due_today == 2


def test_weakest_topics_use_the_latest_review_of_each_entry():
    reviews = [
        Review(USER, "a1", 1, T0, 0.1),
        Review(USER, "a1", 3, T0 + timedelta(days=1), 0.9),  # a1 was learned since
        Review(USER, "a2", 2, T0, 0.5),
        Review(USER, "b1", 1, T0, 0.2),
        Review(USER, "b2", 1, T0, None),  # no grader score: the rating speaks (Again → 0)
        Review(USER, "x", 1, T0, 0.0),  # an entry no longer in the index: no topic
    ]
    topics = {"a1": "attention", "a2": "attention", "b1": "boosting", "b2": "boosting"}
    standings = weakest_topics(reviews, topics.get)
    assert [s.topic for s in standings] == ["boosting", "attention"]
    assert standings[0].score == pytest.approx(0.1) and standings[0].entries == 2
    assert standings[1].score == pytest.approx(0.7)


def test_summary_counts_ratings():
    records = [SessionRecord("a", 1, 0.1, T0), SessionRecord("b", 3, 0.8, T0), SessionRecord("c", 3, None, T0)]
    assert summary_counts(records) == {1: 1, 2: 0, 3: 2, 4: 0}


# -- progress in the store ---------------------------------------------------------------------


def test_cards_survive_a_restart_with_their_schedule(make_store):
    store = make_store()
    failed = _rate(store, "bank#1", 1, T0, 0.1)
    known = _rate(store, "bank#2", 3, T0, 0.8)
    easy = _rate(store, "bank#3", 4, T0, 0.95)
    restarted = make_store()  # a new process: nothing shared but the database
    cards = {c.entry_id: c for c in restarted.cards(USER)}
    assert set(cards) == {"bank#1", "bank#2", "bank#3"}
    assert cards["bank#1"].due == failed.due and cards["bank#2"].due == known.due and cards["bank#3"].due == easy.due
    assert cards["bank#2"].card == known.card
    # The restarted store goes on scheduling from the stored card, not from scratch.
    later = failed.due + timedelta(minutes=1)
    again = _rate(restarted, "bank#1", 3, later, 0.7)
    assert make_store().card(USER, "bank#1").due == again.due
    assert [r.rating for r in make_store().reviews(USER, "bank#1")] == [1, 3]
    status = deck_status(["bank#1", "bank#2", "bank#3", "bank#4"], make_store().cards(USER), later)
    assert status.new == 1 and status.learned == 3


def test_entries_gone_from_the_index_are_reported_and_kept(make_store):
    store = make_store()
    for entry_id in ("bank#1", "bank#2", "bank#3"):
        _rate(store, entry_id, 3, T0)
    rebuilt_index_ids = {"bank#1", "bank#3", "bank#9"}  # bank#2 was edited out of its bank
    gone = vanished(make_store().cards(USER), rebuilt_index_ids)
    assert [c.entry_id for c in gone] == ["bank#2"]
    # Nothing is deleted: the card is still there, and back in play when the entry returns.
    assert {c.entry_id for c in make_store().cards(USER)} == {"bank#1", "bank#2", "bank#3"}
    assert vanished(make_store().cards(USER), rebuilt_index_ids | {"bank#2"}) == []
    queue = session_queue(
        sorted(rebuilt_index_ids), make_store().cards(USER), T0 + timedelta(days=30), 10, random.Random(0)
    )
    assert "bank#2" not in queue


def test_export_import_round_trip_keeps_cards_reviews_and_bookmarks(make_store, tmp_path):
    store = make_store()
    _rate(store, "bank#1", 1, T0, 0.2)
    _rate(store, "bank#1", 3, T0 + timedelta(minutes=2), 0.7)
    _rate(store, "bank#2", 4, T0, 0.9)
    store.set_bookmark(USER, "bank#7")
    exported = store.export_user(USER)
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(exported), encoding="utf-8")

    target = SQLiteStore(tmp_path / "elsewhere.sqlite3")
    counts = target.import_user(json.loads(path.read_text(encoding="utf-8")))
    assert (counts.cards, counts.reviews, counts.bookmarks) == (2, 3, 1)
    assert [(c.entry_id, c.due, c.card) for c in target.cards(USER)] == [
        (c.entry_id, c.due, c.card) for c in store.cards(USER)
    ]
    assert [(r.entry_id, r.rating, r.grade_score) for r in target.reviews(USER)] == [
        (r.entry_id, r.rating, r.grade_score) for r in store.reviews(USER)
    ]
    assert [b.entry_id for b in target.bookmarks(USER)] == ["bank#7"]
    # Importing again duplicates nothing, and the imported card schedules on from its stored state.
    again = target.import_user(exported)
    assert (again.reviews, again.bookmarks) == (0, 0)
    assert len(target.cards(USER)) == 2 and len(target.reviews(USER)) == 3
    card = target.card(USER, "bank#1")
    assert state_name(review(card.card, 3, card.due).card) == state_name(
        review(store.card(USER, "bank#1").card, 3, card.due).card
    )
