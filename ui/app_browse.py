"""Browse: the topic map — every entry placed by meaning (PCA of question vectors), coloured by
topic (the clusters found at index time) or by bank, with each topic's name drawn at its centre.

Hovering shows the question; clicking a point asks it in the chat; clicking a topic's name (its
ringed marker) narrows the scope — chat and practice deck — to that topic. Entries outside the
sidebar filters stay as grey context and cannot be picked.
"""

from __future__ import annotations

import html
import textwrap

import plotly.graph_objects as go
import streamlit as st
from plotly.colors import qualitative

from retrieval.topic_map import topic_map
from ui.app_safety import plain
from ui.app_sidebar import TOPICS_KEY
from ui.app_state import ask_later

MAP_KEY = "topic_map"
PALETTE = qualitative.Plotly + qualitative.Dark24 + qualitative.Light24
QUESTION, TOPIC = "question", "topic"  # the first item of a point's customdata: what a click on it means
LABEL_TRACE = "topic names"


def hover_text(entry, topic: str | None = None) -> str:
    """Plotly hover labels understand a little HTML, so bank text is escaped before <br> is added."""
    lines = textwrap.wrap(" ".join(entry.question.split()), 70)[:4] or [""]
    where = f"{entry.bank_title} · {entry.section}" if entry.section else entry.bank_title
    tail = "<br><i>" + html.escape(where[:90]) + "</i>"
    if topic:
        tail += "<br>topic: " + html.escape(topic)
    return "<br>".join(html.escape(line) for line in lines) + tail


def picked_from_selection(selection) -> tuple[str, str] | None:
    """(kind, value) of the first clicked point that carries one (grey context points do not)."""
    for point in (selection or {}).get("points", []) or []:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) >= 2 and data[0] in (QUESTION, TOPIC):
            return str(data[0]), str(data[1])
    return None


def question_from_selection(selection) -> str | None:
    picked = picked_from_selection(selection)
    return picked[1] if picked and picked[0] == QUESTION and picked[1].strip() else None


def _on_pick() -> None:
    event = st.session_state.get(MAP_KEY)
    picked = picked_from_selection(getattr(event, "selection", None) or (event or {}).get("selection"))
    if picked is None:
        return
    kind, value = picked
    if kind == TOPIC:
        st.session_state[TOPICS_KEY] = [int(value)]  # the sidebar's topic filter, before it is drawn
        st.session_state["map_notice"] = int(value)
    elif value.strip():
        ask_later(value)


def build_figure(searcher, filters, by: str = "Topic") -> go.Figure:
    projection = topic_map(searcher)
    entries = searcher.entries
    names = {t.id: t.name for t in projection.topics}
    labels = projection.labels.tolist()
    inside = [i for i, e in enumerate(entries) if filters.admits(e)]
    outside = [i for i, e in enumerate(entries) if not filters.admits(e)]
    groups: dict[str, list[int]] = {}
    for i in inside:
        key = names[labels[i]] if by == "Topic" else entries[i].bank_title
        groups.setdefault(key, []).append(i)

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
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    for colour, (name, rows) in zip(PALETTE * 4, ordered):
        figure.add_trace(
            go.Scatter(
                x=projection.xy[rows, 0].tolist(),
                y=projection.xy[rows, 1].tolist(),
                mode="markers",
                name=html.escape(f"{name[:48]} ({len(rows)})"),
                marker={"color": colour, "size": 7, "opacity": 0.8, "line": {"width": 0}},
                hovertext=[hover_text(entries[i], names[labels[i]]) for i in rows],
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=[[QUESTION, entries[i].question] for i in rows],
            )
        )
    centres = projection.label_xy.tolist()
    figure.add_trace(
        go.Scatter(
            x=[c[0] for c in centres],
            y=[c[1] for c in centres],
            mode="markers+text",
            name=LABEL_TRACE,
            text=[f"<b>{html.escape(t.name)}</b>" for t in projection.topics],
            textposition="top center",
            textfont={"size": 12, "color": "#111"},
            marker={"size": 16, "color": "rgba(255,255,255,0.85)", "line": {"width": 2, "color": "#333"}},
            hovertext=[
                f"{html.escape(t.name)} — {t.size} questions<br>click to practise and chat about this topic"
                for t in projection.topics
            ],
            hovertemplate="%{hovertext}<extra></extra>",
            customdata=[[TOPIC, str(t.id)] for t in projection.topics],
            showlegend=False,
            cliponaxis=False,  # a name may run past the plot's edge rather than be cut
        )
    )
    # Room at the sides for the names of topics at the map's edge (they are centred on their marker).
    low, high = projection.xy[:, 0].min(initial=0.0), projection.xy[:, 0].max(initial=1.0)
    pad = 0.15 * float(high - low or 1.0)
    figure.update_layout(
        height=680,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "v", "itemsizing": "constant", "font": {"size": 11}},
        showlegend=by != "Topic",  # topics are named on the map itself; banks need the legend
        xaxis={
            "showticklabels": False,
            "title": None,
            "zeroline": False,
            "range": [float(low) - pad, float(high) + pad],
        },
        yaxis={"showticklabels": False, "title": None, "zeroline": False},
        clickmode="event+select",
        hoverlabel={"align": "left"},
    )
    return figure


def render_topic_map(searcher, settings) -> None:
    st.subheader("Topic map", anchor=False)
    st.caption(
        "Every question in the banks, placed by meaning (nearby points ask about similar things) and grouped "
        "into topics, named by their most distinctive words. Hover to read a question; click a point to ask "
        "it in the chat; click a topic's ringed name to narrow the chat and the practice deck to it."
    )
    chosen = st.session_state.pop("map_notice", None)
    if chosen is not None:
        projection = topic_map(searcher)
        st.success(
            plain(f"Scope narrowed to the topic “{projection.topics[chosen].name}” (see Topics in the sidebar).")
        )
    by = st.segmented_control("Colour by", ["Topic", "Bank"], default="Topic", key="map_colour", required=True)
    st.plotly_chart(
        build_figure(searcher, settings.filters, by or "Topic"),
        key=MAP_KEY,
        on_select=_on_pick,
        selection_mode="points",
        config={"displaylogo": False, "scrollZoom": True},
        width="stretch",
    )
