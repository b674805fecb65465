"""The conversation as a markdown document, each answer followed by its sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import streamlit as st

from ui.app_sources import source_caption
from ui.app_state import clear_conversation, turns

_FENCE_WITH_CITATIONS = re.compile(r"^([ \t]*(?:`{3,}|~{3,})[^\s`\[]*)[ \t]*((?:\[\d+\][ \t]*)+)$", re.MULTILINE)


def _citations_out_of_fences(markdown: str) -> str:
    """ "```python [4]" would make "[4]" part of the fence's info string: the citation goes on the
    line before the fence instead."""
    return _FENCE_WITH_CITATIONS.sub(lambda m: f"{m.group(2).strip()}\n\n{m.group(1)}", markdown)


def _without_label(text: str, label: str) -> str:
    """A point that already starts with its side's label ("**LoRA**: …") is not labelled twice."""
    stripped = text.strip()
    for prefix in (f"**{label}**:", f"{label}:"):
        if stripped.lower().startswith(prefix.lower()):
            return stripped[len(prefix) :].strip()
    return stripped


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
        lines += [_citations_out_of_fences(turn.content.strip() or answer.markdown.strip()), ""]
        if answer.compare:
            for side in answer.compare:
                points = "; ".join(f"{_without_label(text, side.label)} [{n}]" for text, n in side.points)
                adds = "; ".join(f"{_without_label(text, side.label)} [{n}]" for text, n in side.unique_points)
                lines.append(f"- **{side.label}**: {points}" + (f" — adds: {adds}" if adds else ""))
            lines.append("")
        if answer.citations:
            lines += ["**Sources**", ""]
            for citation in answer.citations:
                entry = citation.entry
                lines.append(f"- [{citation.n}] {entry.question} — {source_caption(entry)}")
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
