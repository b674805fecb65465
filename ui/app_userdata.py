"""The app's view of the shared user-data store (userdata/): the user's ratings in the sidebar,
and practice gradings logged as reviews. Every replica of the app reads the same store, so what a
user did through one replica shows in all of them.

A store that cannot be reached costs the user a notice, never the page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from ui.app_safety import plain, shorten
from userdata.errors import UserDataError
from userdata.store import DEFAULT_USER, open_store

RECENT = 5
# Grader score → fsrs rating (1 Again, 2 Hard, 3 Good, 4 Easy) until the spaced-repetition mode
# grades with its own scheduler; the review log keeps the score itself too.
RATING_FLOORS = ((0.85, 4), (0.6, 3), (0.35, 2))


def user_key() -> str:
    """One user per deployment until the app knows its users; the store already keys by user."""
    return DEFAULT_USER


def rating_for(score: float) -> int:
    return next((rating for floor, rating in RATING_FLOORS if score >= floor), 1)


def record_practice_grade(entry_id: str, score: float) -> None:
    try:
        open_store().record_review(
            user_key(), entry_id, rating=rating_for(score), reviewed_at=datetime.now(UTC), grade_score=score
        )
    except UserDataError as exc:
        st.toast(plain(f"Practice progress not saved: {exc}"), icon=":material/error:")


def _read(what: str, read, when_empty: str) -> list:
    """read(store); when that is empty or fails, a caption says so and the list is empty."""
    try:
        rows = read(open_store())
    except UserDataError as exc:
        st.caption(plain(f"{what} unavailable: {exc}"))
        return []
    if not rows:
        st.caption(when_empty)
    return rows


def render_practice_history(searcher) -> None:
    reviews = _read(
        "Practice history", lambda store: store.reviews(user_key()), "Your practice history: nothing graded yet."
    )
    if not reviews:
        return
    questions = len({r.entry_id for r in reviews})
    lines = [f"**Your practice history** — {len(reviews)} answer(s) graded on {questions} question(s):"]
    for review in reversed(reviews[-RECENT:]):
        known = review.entry_id in searcher.index.by_id
        question = searcher.entry(review.entry_id).question if known else review.entry_id
        score = f"{review.grade_score:.0%}" if review.grade_score is not None else "–"
        lines.append(f"- {plain(shorten(question, 90))} — {score}, {review.reviewed_at:%Y-%m-%d %H:%M} UTC")
    st.markdown("\n".join(lines))


def render_ratings() -> None:
    """The sidebar's record of this user's thumbs, newest first."""
    with st.sidebar:
        st.subheader("Your ratings", anchor=False)
        rows = _read(
            "Ratings",
            lambda store: store.feedback(user_key()),
            "Rate an answer with the thumbs under it; your ratings are kept here.",
        )
        if not rows:
            return
        up = sum(r.rating == 1 for r in rows)
        st.caption(f"{up} helpful · {len(rows) - up} not helpful")
        st.markdown(
            "\n".join(
                f"- {':material/thumb_up:' if r.rating == 1 else ':material/thumb_down:'} {plain(shorten(r.query, 80))}"
                for r in reversed(rows[-RECENT:])
            )
        )
