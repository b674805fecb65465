"""The conversation as a markdown document, each answer followed by its sources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import streamlit as st

from ui.app_sources import source_caption
from ui.app_state import clear_conversation, turns


def conversation_markdown(turns: Sequence, now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    lines = [f"# qbank conversation — {stamp}", ""]
    for turn in turns:
        if turn.role == "user":
            lines += [f"## Q: {' '.join(turn.content.split())}", ""]
            continue
        answer = turn.answer
        if turn.error:
            lines += [f"> Error: {turn.error}", ""]
        for notice in turn.notices:
            lines += [f"> Note: {notice}", ""]
        if answer is None:
            continue
        for notice in getattr(answer, "notices", ()):
            lines += [f"> Note: {notice}", ""]
        lines += [turn.content.strip() or answer.markdown.strip(), ""]
        if answer.compare:
            for side in answer.compare:
                points = "; ".join(f"{text} [{n}]" for text, n in side.points)
                adds = "; ".join(f"{text} [{n}]" for text, n in side.unique_points)
                lines.append(f"- **{side.label}**: {points}" + (f" — adds: {adds}" if adds else ""))
            lines.append("")
        if answer.citations:
            lines += ["**Sources**", ""]
            for citation in answer.citations:
                entry = citation.entry
                lines.append(f"[{citation.n}] {entry.question} — {source_caption(entry)}")
            lines.append("")
        if answer.suggestions:
            lines += ["**Nearest entries in the banks**", ""]
            lines += [f"- {e.question} — {source_caption(e)}" for e in answer.suggestions]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_export(slot) -> None:
    """The conversation section of the sidebar, drawn last so the download has this run's answer."""
    conversation = turns()
    with slot:
        st.subheader("Conversation", anchor=False)
        st.download_button(
            "Download as markdown",
            conversation_markdown(conversation),
            file_name="qbank-conversation.md",
            mime="text/markdown",
            key="export",
            disabled=not conversation,
            icon=":material/download:",
            on_click="ignore",
        )
        st.button("Clear conversation", key="clear", on_click=clear_conversation, disabled=not conversation)
