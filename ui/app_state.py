"""Per-session state of the app: the conversation, questions queued by clicks, and the current view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import streamlit as st

VIEWS = ("Chat", "Topic map", "Practice")


@dataclass
class Turn:
    """One message of the conversation. Assistant turns carry the Answer (or the error shown)."""

    id: int
    role: str  # "user" or "assistant"
    content: str  # the user's text, or the answer's markdown
    answer: object | None = None  # answer.types.Answer
    error: str | None = None
    notices: tuple[str, ...] = field(default=())


def init() -> None:
    state = st.session_state
    state.setdefault("turns", [])
    state.setdefault("next_turn", 1)
    state.setdefault("session_id", uuid.uuid4().hex)
    state.setdefault("pending", None)
    state.setdefault("view", VIEWS[0])


def turns() -> list[Turn]:
    return st.session_state["turns"]


def add_turn(role: str, content: str, **extra) -> Turn:
    turn = Turn(id=st.session_state["next_turn"], role=role, content=content, **extra)
    st.session_state["next_turn"] += 1
    st.session_state["turns"].append(turn)
    return turn


def conversation():
    """The answer layer's Conversation of this session: the history follow-ups are read against
    (it leaves out rejected queries, so a payload never becomes context)."""
    if "conversation" not in st.session_state:
        from answer.conversation import Conversation

        st.session_state["conversation"] = Conversation(id=st.session_state["session_id"])
    return st.session_state["conversation"]


def ask_later(question: str, intent: str | None = None) -> None:
    """Queue a question (from a click) for the chat, and switch to the chat. Use as a callback."""
    st.session_state["pending"] = (question, intent)
    st.session_state["view"] = "Chat"


def take_pending() -> tuple[str, str | None] | None:
    pending = st.session_state.get("pending")
    st.session_state["pending"] = None
    return pending


def clear_conversation() -> None:
    st.session_state["turns"] = []
    conversation().reset()
