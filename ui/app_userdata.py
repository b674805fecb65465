"""The app's view of the shared user-data store (userdata/): the user's ratings in the sidebar
(practice cards are ui/app_practice.py's). Every replica of the app reads the same store, so what a
user did through one replica shows in all of them.

A store that cannot be reached costs the user a notice, never the page.
"""

from __future__ import annotations

import streamlit as st

from ui.app_safety import plain, shorten
from userdata.errors import UserDataError
from userdata.store import DEFAULT_USER, open_store

RECENT = 5


def user_key() -> str:
    """One user per deployment until the app knows its users; the store already keys by user."""
    return DEFAULT_USER


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
