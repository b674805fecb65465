"""Side-by-side view of a comparison: "X vs Y", or one question's versions across banks."""

from __future__ import annotations

import streamlit as st

from ui.app_safety import plain, safe_markdown

MAX_COLUMNS = 3


def _points(points) -> str:
    # Sanitized as one document: a sanitized point glued into a list item could reopen as markdown.
    return safe_markdown("\n".join(f"- {' '.join(str(text).split())} [{n}]" for text, n in points))


def render_compare(answer) -> None:
    """Cards, one column per side, under the answer's own comparison table (collapsed: the table
    already shows the same points; the cards read better when the table is wide)."""
    sides = tuple(answer.compare or ())
    if not sides:
        return
    adds = any(side.unique_points for side in sides)
    title = "Side by side, with what each adds" if adds else "Side by side"
    with st.expander(title, icon=":material/view_column:"):
        _cards(sides)


def _cards(sides) -> None:
    for start in range(0, len(sides), MAX_COLUMNS):
        row = sides[start : start + MAX_COLUMNS]
        for column, side in zip(st.columns(len(row), border=True), row):
            with column:
                st.markdown(f"**{plain(side.label)}**")
                if side.points:
                    st.markdown(_points(side.points))
                else:
                    st.caption("No key points in the bank for this side.")
                if side.unique_points:
                    st.markdown("*What it adds*")
                    st.markdown(_points(side.unique_points))
