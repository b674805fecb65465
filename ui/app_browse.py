"""Browse: a topic map of every entry (PCA of question vectors), coloured by bank or section.

Hovering shows the question; clicking a point asks it in the chat. Entries outside the sidebar
filters stay as grey context and cannot be picked.
"""

from __future__ import annotations

import html
import textwrap
from collections import Counter

import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative

from retrieval.topic_map import topic_map
from ui.app_state import ask_later

MAP_KEY = "topic_map"
MAX_GROUPS = 14  # beyond this many sections, the smallest are drawn together as "other sections"
PALETTE = qualitative.Plotly + qualitative.Dark24


def hover_text(entry) -> str:
    """Plotly hover labels understand a little HTML, so bank text is escaped before <br> is added."""
    lines = textwrap.wrap(" ".join(entry.question.split()), 70)[:4] or [""]
    where = f"{entry.bank_title} · {entry.section}" if entry.section else entry.bank_title
    return "<br>".join(html.escape(line) for line in lines) + "<br><i>" + html.escape(where[:90]) + "</i>"


def question_from_selection(selection) -> str | None:
    """The question of the first clicked point that carries one (grey context points do not)."""
    for point in (selection or {}).get("points", []) or []:
        data = point.get("customdata")
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        if isinstance(data, str) and data.strip():
            return data
    return None


def _on_pick() -> None:
    event = st.session_state.get(MAP_KEY)
    question = question_from_selection(getattr(event, "selection", None) or (event or {}).get("selection"))
    if question:
        ask_later(question)


def _group_of(entry, by: str) -> str:
    if by == "Bank":
        return entry.bank_title
    return entry.section_path[0] if entry.section_path else "(no section)"


def build_figure(searcher, filters, by: str = "Bank") -> go.Figure:
    projection = topic_map(searcher)
    entries = searcher.entries
    inside = [i for i, e in enumerate(entries) if filters.admits(e)]
    outside = [i for i, e in enumerate(entries) if not filters.admits(e)]
    sizes = Counter(_group_of(entries[i], by) for i in inside)
    kept = {name for name, _ in sizes.most_common(MAX_GROUPS)}
    groups: dict[str, list[int]] = {}
    for i in inside:
        name = _group_of(entries[i], by)
        groups.setdefault(name if name in kept else "other sections", []).append(i)

    figure = go.Figure()
    if outside:
        figure.add_trace(
            go.Scatter(
                x=projection.xy[outside, 0].tolist(),
                y=projection.xy[outside, 1].tolist(),
                mode="markers",
                name="outside the filters",
                marker={"color": "rgba(160,160,160,0.25)", "size": 5},
                hoverinfo="skip",
            )
        )
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "other sections", -len(item[1])))
    for colour, (name, rows) in zip(PALETTE * 4, ordered):
        figure.add_trace(
            go.Scatter(
                x=projection.xy[rows, 0].tolist(),
                y=projection.xy[rows, 1].tolist(),
                mode="markers",
                name=html.escape(f"{name[:40]} ({len(rows)})"),
                marker={"color": colour, "size": 7, "opacity": 0.85, "line": {"width": 0}},
                hovertext=[hover_text(entries[i]) for i in rows],
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=[[entries[i].question] for i in rows],
            )
        )
    figure.update_layout(
        height=640,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "v", "itemsizing": "constant", "font": {"size": 11}},
        xaxis={"showticklabels": False, "title": None, "zeroline": False},
        yaxis={"showticklabels": False, "title": None, "zeroline": False},
        clickmode="event+select",
        hoverlabel={"align": "left"},
    )
    return figure


def render_topic_map(searcher, settings) -> None:
    st.subheader("Topic map", anchor=False)
    st.caption(
        "Every question in the banks, placed by meaning (nearby points ask about similar things). "
        "Hover to read a question; click a point to ask it in the chat."
    )
    by = st.segmented_control("Colour by", ["Bank", "Section"], default="Bank", key="map_colour", required=True)
    st.plotly_chart(
        build_figure(searcher, settings.filters, by or "Bank"),
        key=MAP_KEY,
        on_select=_on_pick,
        selection_mode="points",
        config={"displaylogo": False, "scrollZoom": True},
        width="stretch",
    )
