"""Practice mode: a random answered question, the user's answer graded against the bank's reference(s)."""

from __future__ import annotations

import random

import streamlit as st

from answer.practice import grade_answer, pick_question, practice_pool, references_for, similar_question
from ui.app_safety import plain, safe_markdown
from ui.app_sources import source_caption
from ui.app_userdata import record_practice_grade, render_practice_history

KEY = "practice"


def _state() -> dict:
    return st.session_state.setdefault(KEY, {"current": None, "grade": None, "scores": [], "seen": []})


def _set_question(entry_id: str | None) -> None:
    state = _state()
    state["current"], state["grade"] = entry_id, None
    if entry_id:
        state["seen"].append(entry_id)


def _random(searcher, filters) -> None:
    state = _state()
    rng = state.setdefault("rng", random.Random())
    entry = pick_question(searcher.entries, filters, rng, exclude=state["seen"])
    _set_question(entry.id if entry else None)


def _similar(searcher, filters) -> None:
    state = _state()
    entry = similar_question(searcher, state["current"], filters, exclude=state["seen"]) if state["current"] else None
    if entry is None:
        _random(searcher, filters)
        st.toast("No similar question left in scope; here is a random one.")
    else:
        _set_question(entry.id)


def _check(searcher, entry_id: str) -> None:
    state = _state()
    text = st.session_state.get(f"practice-answer-{entry_id}", "") or ""
    references = references_for(searcher, searcher.entry(entry_id))
    grade = grade_answer(text, references, searcher.embed)
    if state["grade"] is None:  # a second check of the same question does not count twice
        state["scores"].append(grade.score)
        record_practice_grade(entry_id, grade.score)
    else:
        state["scores"][-1] = grade.score
    state["grade"] = grade


def _scoreboard() -> None:
    scores = _state()["scores"]
    left, right = st.columns(2)
    left.metric("Questions answered", len(scores))
    right.metric("Session score", f"{100 * sum(scores) / len(scores):.0f}%" if scores else "–")


def _feedback(searcher, entry_id: str) -> None:
    grade = _state()["grade"]
    st.metric("Key points covered", f"{len(grade.covered)} of {len(grade.points)} ({grade.score:.0%})")
    covered, missed = st.columns(2, border=True)
    with covered:
        st.markdown("**Covered** :material/check_circle:")
        st.markdown("\n".join(f"- {plain(p.text)}" for p in grade.covered) or "*None yet.*")
    with missed:
        st.markdown("**Missed** :material/cancel:")
        st.markdown("\n".join(f"- {plain(p.text)}" for p in grade.missed) or "*Nothing — well done.*")
    if grade.terms_missed:
        st.caption("Key terms you did not use: " + plain(", ".join(grade.terms_missed[:12])))
    references = references_for(searcher, searcher.entry(entry_id))
    st.markdown("**Reference answer" + ("s" if len(references) > 1 else "") + "**")
    for reference in references:
        with st.container(border=True):
            st.caption(plain(source_caption(reference)))
            st.markdown(safe_markdown(reference.answer))


def render_practice(searcher, settings) -> None:
    st.subheader("Practice", anchor=False)
    filters = settings.filters
    pool = practice_pool(searcher.entries, filters)
    st.caption(
        f"Random answered questions from the banks and sections chosen in the sidebar ({len(pool)} in scope). "
        "Type your answer, then compare it with the bank's reference answer."
    )
    _scoreboard()
    render_practice_history(searcher)
    state = _state()
    if state["current"] and state["current"] not in searcher.index.by_id:
        _set_question(None)  # the index was rebuilt without it
    if not pool:
        st.warning("No answered questions in the current scope; widen the filters in the sidebar.")
        return
    if state["current"] is None:
        st.button(
            "Give me a question", key="practice-start", type="primary", on_click=_random, args=(searcher, filters)
        )
        return
    entry = searcher.entry(state["current"])
    with st.container(border=True):
        st.caption(plain(source_caption(entry)))
        st.markdown("#### " + plain(entry.question))
    st.text_area(
        "Your answer", key=f"practice-answer-{entry.id}", height=160, placeholder="Answer as you would in an interview…"
    )
    check, similar, other = st.columns(3)
    check.button(
        "Check my answer",
        key="practice-check",
        type="primary",
        on_click=_check,
        args=(searcher, entry.id),
        width="stretch",
    )
    similar.button(
        "Show me a similar question",
        key="practice-similar",
        on_click=_similar,
        args=(searcher, filters),
        width="stretch",
    )
    other.button("Random question", key="practice-random", on_click=_random, args=(searcher, filters), width="stretch")
    if state["grade"] is not None:
        _feedback(searcher, entry.id)
