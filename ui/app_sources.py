"""The sources under an answer: one expander per citation with the full bank entry."""

from __future__ import annotations

import streamlit as st

from ingest.entry import Entry
from ui.app_safety import label, plain, safe_markdown


def bank_short(entry: Entry, limit: int = 36) -> str:
    title = " ".join(entry.bank_title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def source_heading(n: int, entry: Entry) -> str:
    """The question first (what the reader scans for), then where it is: versions of one question
    in several banks would otherwise look alike."""
    question = " ".join(entry.question.split())
    if len(question) > 100:
        question = question[:99].rstrip() + "…"
    return f"[{n}] {question} — {bank_short(entry)} #{entry.number}"


def source_caption(entry: Entry) -> str:
    parts = [entry.bank_title, entry.bank_file]
    if entry.section:
        parts.append(entry.section)
    parts.append(f"#{entry.number}" if entry.number else "")
    parts.append(f"lines {entry.line_start}–{entry.line_end}")
    return " · ".join(p for p in parts if p)


def render_entry(entry: Entry, searcher=None) -> None:
    """The whole entry: where it is, the question, the answer as markdown, follow-ups, scenarios."""
    st.caption(plain(source_caption(entry)))
    st.markdown("**Question:** " + plain(entry.question))
    if entry.has_answer:
        st.markdown(safe_markdown(entry.answer))
    else:
        st.info("The bank leaves this question unanswered.", icon=":material/help:")
    if entry.follow_ups:
        st.markdown("**Follow-ups**")
        st.markdown("\n".join(f"- {plain(f)}" for f in entry.follow_ups))
    if entry.parent_id and searcher is not None:
        try:
            parent = searcher.entry(entry.parent_id)
            st.caption("Scenario inside: " + plain(f"#{parent.number} {parent.question}"))
        except KeyError:
            pass
    children = searcher.children(entry.id) if searcher is not None else ()
    for child in children:
        with st.container(border=True):
            st.markdown("**Scenario:** " + plain(child.question))
            if child.has_answer:
                st.markdown(safe_markdown(child.answer))
            st.caption(plain(f"lines {child.line_start}–{child.line_end}"))
    others = entry.locations[1:]
    if others:
        st.caption(
            "Also appears at: "
            + plain("; ".join(f"{loc.file} lines {loc.line_start}–{loc.line_end}" for loc in others))
        )


def render_sources(answer, searcher, turn_id: int) -> None:
    if not answer.citations:
        return
    st.markdown("**Sources**")
    for citation in answer.citations:
        entry = citation.entry
        with st.expander(label(source_heading(citation.n, entry), 170), icon=":material/menu_book:"):
            render_entry(entry, searcher)
