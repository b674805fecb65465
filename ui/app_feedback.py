"""Thumbs up/down under each answer, saved to the user-data store with the query and the cited entry ids."""

from __future__ import annotations

import streamlit as st

from ui.app_safety import plain
from ui.app_userdata import user_key
from userdata.errors import UserDataError
from userdata.sql_base import MAX_COMMENT
from userdata.store import open_store


def _save(turn_id: int, query: str) -> None:
    answer = next((t.answer for t in st.session_state["turns"] if t.id == turn_id), None)
    rating = st.session_state.get(f"feedback-{turn_id}")
    comment = st.session_state.get(f"feedback-comment-{turn_id}", "") if rating == 0 else ""
    search = getattr(answer, "search", None)
    try:
        open_store().record_feedback(
            session=st.session_state["session_id"],
            message=turn_id,
            rating=rating,
            query=query,
            standalone_query=getattr(search, "standalone_query", "") or query,
            entry_ids=[c.entry.id for c in getattr(answer, "citations", ())],
            composer=str(getattr(answer, "composer", "")),
            status=str(getattr(answer, "status", "")),
            user_key=user_key(),
            comment=comment or "",
        )
    except UserDataError as exc:  # a read-only disk or a database that is down must not break the chat
        st.toast(plain(f"Feedback not saved: {exc}"), icon=":material/error:")
        return
    if rating is not None:
        st.toast("Thanks — feedback saved.", icon=":material/check:")


def _is_answer(answer) -> bool:
    """Thumbs rate answers: not a refusal, and not the "the banks do not cover this" reply."""
    from answer.types import AnswerStatus

    status = getattr(answer, "status", None)
    return answer is not None and status not in (AnswerStatus.NOT_COVERED, AnswerStatus.REJECTED)


def render_feedback(turn_id: int, query: str) -> None:
    answer = next((t.answer for t in st.session_state["turns"] if t.id == turn_id), None)
    if not _is_answer(answer):
        return
    st.feedback("thumbs", key=f"feedback-{turn_id}", on_change=_save, args=(turn_id, query))
    if st.session_state.get(f"feedback-{turn_id}") == 0:
        st.text_input(
            "What was wrong or missing? (optional)",
            key=f"feedback-comment-{turn_id}",
            max_chars=MAX_COMMENT,
            on_change=_save,
            args=(turn_id, query),
            placeholder="e.g. it cites the wrong entry, or misses the key point",
        )
