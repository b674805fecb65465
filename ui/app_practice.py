"""Practice with spaced repetition: sessions of cards drawn from a deck, each answer graded by
meaning against the bank's reference, then rated Again/Hard/Good/Easy by the user and rescheduled
by fsrs (practice/). Cards live in the user-data store, keyed by entry id, so they survive
restarts and index rebuilds; a card whose entry has gone is reported, not dropped.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import streamlit as st

from answer.practice import UngradableAnswer, grade_answer, practice_pool, references_for, term_rarity
from practice.deck import SessionRecord, deck_status, session_queue, summary_counts, vanished, weakest_topics
from practice.scheduler import RATING_NAMES, review, state_name, suggested_rating
from retrieval.topic_map import topic_map
from retrieval.types import SearchFilters
from ui.app_safety import plain, safe_markdown, shorten
from ui.app_sidebar import TOPICS_KEY
from ui.app_sources import source_caption
from ui.app_state import ask_later
from ui.app_userdata import user_key
from ui.scope import in_scope
from userdata.errors import UserDataError
from userdata.store import open_store

KEY = "practice"
SIZE_KEY = "practice-size"
DECK_KEY = "practice-deck"
DECKS = ("Sidebar scope", "Bookmarks")
DEFAULT_SESSION = 10


def _state() -> dict:
    return st.session_state.setdefault(
        KEY, {"queue": [], "position": 0, "grade": None, "refusal": None, "records": [], "active": False, "error": None}
    )


def _now() -> datetime:
    return datetime.now(UTC)


def until(due: datetime, now: datetime) -> str:
    """A due time as a person says it: "now", "in 10 min", "in 3 h", "in 4 days"."""
    seconds = (due - now).total_seconds()
    if seconds <= 30:
        return "now"
    if seconds < 3600:
        return f"in {max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"in {round(seconds / 3600)} h"
    days = round(seconds / 86400)
    return f"in {days} day{'s' if days != 1 else ''}"


# -- actions (button callbacks) ----------------------------------------------------------------


def _current() -> str | None:
    state = _state()
    if state["active"] and state["position"] < len(state["queue"]):
        return state["queue"][state["position"]]
    return None


def _start(deck_ids: list[str]) -> None:
    state = _state()
    try:
        cards = open_store().cards(user_key())
    except UserDataError as exc:
        state["error"] = f"Practice cards unavailable: {exc}"
        return
    rng = st.session_state.setdefault("practice-rng", random.Random())
    size = int(st.session_state.get(SIZE_KEY) or DEFAULT_SESSION)
    queue = session_queue(deck_ids, cards, _now(), size, rng)
    state.update(queue=queue, position=0, grade=None, refusal=None, records=[], active=bool(queue), error=None)
    if not queue:
        state["error"] = "Nothing to practise in this deck now: no card is due and you have seen every question."


def _check(searcher, entry_id: str) -> None:
    state = _state()
    text = st.session_state.get(f"practice-answer-{entry_id}", "") or ""
    state["refusal"] = None
    try:
        state["grade"] = grade_answer(
            text, references_for(searcher, searcher.entry(entry_id)), searcher.embed, rarity=_rarity(searcher)
        )
    except UngradableAnswer as exc:  # empty, too short, or the question repeated: said, not scored
        state["grade"] = None
        state["refusal"] = str(exc)


@st.cache_resource(show_spinner=False)
def _rarity_for(_searcher, index_key: int):
    return term_rarity(_searcher.entries)


def _rarity(searcher):
    """Which words are distinctive enough to name as key terms (computed once per loaded index)."""
    return _rarity_for(searcher, id(searcher.index))


def _rate(entry_id: str, rating: int) -> None:
    state = _state()
    grade = state["grade"]
    now = _now()
    try:
        store = open_store()
        prior = store.card(user_key(), entry_id)
        scheduled = review(prior.card if prior else None, rating, now)
        store.record_review(
            user_key(),
            entry_id,
            rating=rating,
            reviewed_at=now,
            grade_score=grade.score if grade is not None else None,
            card=scheduled.card,
            due=scheduled.due,
        )
    except UserDataError as exc:
        state["error"] = f"This rating was not saved: {exc}"  # the card stays, to rate again
        return
    state["records"].append(SessionRecord(entry_id, rating, grade.score if grade else None, scheduled.due))
    state.update(position=state["position"] + 1, grade=None, refusal=None, error=None)
    if state["position"] >= len(state["queue"]):
        state["active"] = False


def _skip() -> None:
    state = _state()
    state.update(position=state["position"] + 1, grade=None, refusal=None)
    if state["position"] >= len(state["queue"]):
        state["active"] = False


def _end() -> None:
    _state()["active"] = False


def _new_session() -> None:
    _state().update(queue=[], position=0, grade=None, refusal=None, records=[], active=False)


def _bookmark(entry_id: str, on: bool) -> None:
    try:
        open_store().set_bookmark(user_key(), entry_id, on)
    except UserDataError as exc:
        _state()["error"] = f"Bookmark not saved: {exc}"


def _focus_topic(topic_id: int) -> None:
    st.session_state[TOPICS_KEY] = [topic_id]
    st.session_state[DECK_KEY] = DECKS[0]


# -- views -------------------------------------------------------------------------------------


def _read(what: str, read, default):
    try:
        return read(open_store())
    except UserDataError as exc:
        st.warning(plain(f"{what} unavailable: {exc}"))
        return default


def _status(deck_ids: list[str], cards, now: datetime) -> None:
    status = deck_status(deck_ids, cards, now)
    due_now, later, new, size = st.columns(4)
    due_now.metric("Due now", status.due_now)
    later.metric("Due later today", status.due_later_today)
    new.metric("New", status.new, help="Questions of this deck you have not practised yet")
    size.metric("In deck", status.size)


def _grade_feedback(searcher, entry_id: str) -> None:
    grade = _state()["grade"]
    st.metric("Key points covered", f"{len(grade.covered)} of {len(grade.points)} ({grade.score:.0%})")
    covered, missed = st.columns(2, border=True)
    with covered:
        st.markdown("**Covered** :material/check_circle:")
        st.markdown("\n".join(f"- {plain(p.text)}" for p in grade.covered) or "*None yet.*")
    with missed:
        st.markdown("**Missed** :material/cancel:")
        st.markdown("\n".join(f"- {plain(p.text)}" for p in grade.missed) or "*Nothing — well done.*")
    if grade.notice:
        st.warning(plain(grade.notice))
    if grade.terms_missed:
        st.caption("Key terms you did not use: " + plain(", ".join(grade.terms_missed[:12])))


def _references(searcher, entry_id: str) -> None:
    references = references_for(searcher, searcher.entry(entry_id))
    with st.expander("Reference answer" + ("s" if len(references) > 1 else ""), expanded=True):
        for reference in references:
            st.caption(plain(source_caption(reference)))
            st.markdown(safe_markdown(reference.answer))


def _rating_buttons(entry_id: str, cards_by_id: dict) -> None:
    grade = _state()["grade"]
    suggested = suggested_rating(grade.score)
    prior = cards_by_id.get(entry_id)
    now = _now()
    st.markdown("**How well did you know it?** The scheduler brings the question back accordingly.")
    for column, rating in zip(st.columns(4), RATING_NAMES):
        interval = until(review(prior.card if prior else None, rating, now).due, now)
        column.button(
            f"{RATING_NAMES[rating]} · {interval}",
            key=f"practice-rate-{rating}",
            type="primary" if rating == suggested else "secondary",
            help="Suggested from your score" if rating == suggested else None,
            on_click=_rate,
            args=(entry_id, rating),
            width="stretch",
        )


def _card(searcher, entry_id: str, cards_by_id: dict, bookmarked: set[str]) -> None:
    state = _state()
    entry = searcher.entry(entry_id)
    prior = cards_by_id.get(entry_id)
    st.progress(state["position"] / len(state["queue"]), text=f"Card {state['position'] + 1} of {len(state['queue'])}")
    with st.container(border=True):
        kind = f"review card ({state_name(prior.card)})" if prior else "new question"
        st.caption(plain(f"{kind} · {source_caption(entry)}"))
        st.markdown("#### " + plain(entry.question))
    st.text_area(
        "Your answer", key=f"practice-answer-{entry.id}", height=150, placeholder="Answer as you would in an interview…"
    )
    check, skip, mark, ask, end = st.columns(5)
    check.button(
        "Check my answer",
        key="practice-check",
        type="primary",
        on_click=_check,
        args=(searcher, entry.id),
        width="stretch",
    )
    skip.button("Skip", key="practice-skip", on_click=_skip, width="stretch")
    saved = entry.id in bookmarked
    mark.button(
        "Saved :material/bookmark:" if saved else "Save for later",
        key="practice-bookmark",
        on_click=_bookmark,
        args=(entry.id, not saved),
        help="Remove the bookmark" if saved else "Bookmark this question; practise bookmarks as a deck",
        width="stretch",
    )
    ask.button("Ask about this", key="practice-ask", on_click=ask_later, args=(entry.question,), width="stretch")
    end.button("End session", key="practice-end", on_click=_end, width="stretch")
    if state.get("refusal"):
        st.warning(plain(state["refusal"]))
    if state["grade"] is not None:
        _grade_feedback(searcher, entry.id)
        _rating_buttons(entry.id, cards_by_id)
        _references(searcher, entry.id)


def _summary(searcher, now: datetime) -> None:
    records = _state()["records"]
    with st.container(border=True):
        st.markdown("**Session summary**")
        counts = summary_counts(records)
        scores = [r.score for r in records if r.score is not None]
        reviewed, average, *by_rating = st.columns(6)
        reviewed.metric("Cards reviewed", len(records))
        average.metric("Average score", f"{sum(scores) / len(scores):.0%}" if scores else "–")
        for column, rating in zip(by_rating, RATING_NAMES):
            column.metric(RATING_NAMES[rating], counts[rating])
        st.markdown(
            "\n".join(
                f"- {plain(shorten(searcher.entry(r.entry_id).question, 90))} — "
                f"{RATING_NAMES[r.rating]}, next {until(r.due, now)}"
                for r in records
                if r.entry_id in searcher.index.by_id
            )
        )
    st.button("Start another session", key="practice-again", on_click=_new_session)


def _cards_table(searcher, cards, reviews, now: datetime) -> None:
    """Each card: its question, where it stands, when it is due, and the last rating given."""
    last = {r.entry_id: r for r in reviews}
    lines = [
        f"- {plain(shorten(searcher.entry(c.entry_id).question, 100))} — {state_name(c.card)}, due {until(c.due, now)}"
        + (f", last rated {RATING_NAMES.get(last[c.entry_id].rating, '–')}" if c.entry_id in last else "")
        for c in sorted(cards, key=lambda c: (c.due, c.entry_id))
        if c.entry_id in searcher.index.by_id
    ]
    if lines:
        st.markdown("\n".join(lines))
    else:
        st.caption("No cards yet: every question you rate becomes one.")


def _weakest(searcher, reviews) -> None:
    projection = topic_map(searcher)
    by_id = searcher.index.by_id

    def topic_of(entry_id: str) -> str | None:
        return str(projection.labels[by_id[entry_id]]) if entry_id in by_id else None

    standings = weakest_topics(reviews, topic_of)
    if not standings:
        st.caption("Rate a few cards to see which topics need work.")
        return
    for standing in standings:
        topic = projection.topics[int(standing.topic)]
        text, button = st.columns([4, 1])
        text.markdown(plain(f"{topic.name} — {standing.score:.0%} over {standing.entries} question(s)"))
        button.button(
            "Practise", key=f"practice-topic-{topic.id}", on_click=_focus_topic, args=(topic.id,), width="stretch"
        )


def _bookmarks(searcher, bookmarks) -> None:
    known = [b for b in bookmarks if b.entry_id in searcher.index.by_id]
    if not known:
        st.caption("Nothing saved: use “Save for later” on a card.")
        return
    for bookmark in known:
        entry = searcher.entry(bookmark.entry_id)
        text, ask, remove = st.columns([5, 1, 1])
        text.markdown(plain(shorten(entry.question, 110)))
        ask.button("Ask", key=f"bookmark-ask-{entry.id}", on_click=ask_later, args=(entry.question,))
        remove.button("Remove", key=f"bookmark-remove-{entry.id}", on_click=_bookmark, args=(entry.id, False))


def _export_import() -> None:
    data = _read("Your progress", lambda store: store.export_user(user_key()), None)
    if data is not None:
        st.download_button(
            "Export my progress (JSON)",
            json.dumps(data, indent=2, ensure_ascii=False),
            file_name="qbank-progress.json",
            mime="application/json",
            key="practice-export",
        )
    upload = st.file_uploader("Import progress from an export", type=["json"], key="practice-import")
    if upload is not None and st.button("Import", key="practice-import-run"):
        try:
            counts = open_store().import_user(json.loads(upload.getvalue().decode("utf-8")), user_key())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            st.error(plain(f"Not a JSON file: {exc}"))
        except UserDataError as exc:
            st.error(plain(str(exc)))
        else:
            st.success(f"Imported {counts.cards} card(s), {counts.reviews} review(s), {counts.bookmarks} bookmark(s).")


def render_practice(searcher, settings) -> None:
    st.subheader("Practice", anchor=False)
    st.caption(
        "Spaced repetition: each question you answer becomes a card, and after you rate how well you knew it "
        "the FSRS scheduler brings it back just before you would forget it — soon if you struggled, weeks later "
        "if it was easy. Due cards come first in a session, then questions you have not practised."
    )
    state = _state()
    now = _now()
    cards = _read("Practice cards", lambda store: store.cards(user_key()), [])
    bookmarks = _read("Bookmarks", lambda store: store.bookmarks(user_key()), [])
    bookmarked = {b.entry_id for b in bookmarks}
    source = st.segmented_control("Deck", DECKS, default=DECKS[0], key=DECK_KEY, required=True) or DECKS[0]
    if source == DECKS[1]:
        deck = [e.id for e in practice_pool(searcher.entries, SearchFilters()) if e.id in bookmarked]
        st.caption(f"Deck: your {len(deck)} bookmarked question(s) that have an answer.")
    else:
        deck = [e.id for e in practice_pool(searcher.entries, settings.filters)]
        st.caption(
            f"Deck: the {len(deck)} questions with an answer to practise among the "
            f"{in_scope(searcher.entries, settings.filters)} entries in scope "
            "(banks, sections and topics in the sidebar)."
        )
    _status(deck, cards, now)
    gone = vanished(cards, searcher.index.by_id)
    if gone:
        st.warning(
            plain(
                f"{len(gone)} of your practice card(s) refer to questions that are no longer in the banks "
                f"({', '.join(c.entry_id for c in gone[:5])}{'…' if len(gone) > 5 else ''}). They are kept in "
                "your data and come back if the questions return."
            )
        )
    if state["error"]:
        st.error(plain(state["error"]))

    entry_id = _current()
    if entry_id is not None and entry_id not in searcher.index.by_id:
        _skip()  # the index was rebuilt without it
        entry_id = _current()
    if entry_id is not None:
        _card(searcher, entry_id, {c.entry_id: c for c in cards}, bookmarked)
    else:
        if state["records"]:
            _summary(searcher, now)
        elif not deck:
            st.warning("No questions to practise in this deck; widen the scope in the sidebar or bookmark some.")
        else:
            size, start = st.columns([1, 2], vertical_alignment="bottom")
            size.number_input("Cards per session", 1, 100, DEFAULT_SESSION, key=SIZE_KEY)
            start.button("Start a session", key="practice-start", type="primary", on_click=_start, args=(deck,))

    reviews = _read("Practice history", lambda store: store.reviews(user_key()), [])
    with st.expander(f"Your cards ({sum(c.entry_id in searcher.index.by_id for c in cards)})", expanded=False):
        _cards_table(searcher, cards, reviews, now)
    with st.expander("Weakest topics", expanded=False):
        _weakest(searcher, reviews)
    with st.expander(f"Bookmarks ({len(bookmarked)})", expanded=False):
        _bookmarks(searcher, bookmarks)
    with st.expander("Export or import your progress", expanded=False):
        _export_import()
