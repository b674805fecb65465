"""Limits on what a user can type, with the one message that states each (CLI and app alike)."""

from __future__ import annotations

MAX_CHAT_CHARS = 2000  # a question, or a question with some pasted context; the search reads 128 tokens


def chat_too_long(text: str) -> str | None:
    """The message for a chat entry over the limit, or None when it fits."""
    if len(text) <= MAX_CHAT_CHARS:
        return None
    return (
        f"Your message has {len(text):,} characters; the limit is {MAX_CHAT_CHARS:,}. "
        "Shorten it to the question itself and send it again (your text is below to copy)."
    )


def empty_scope_message(
    banks: frozenset[str], sections: frozenset[str], answered_only: bool, where: str = "in the sidebar"
) -> str:
    """Said instead of an answer when the filters leave no entry to search."""
    parts = []
    if banks:
        parts.append("banks " + ", ".join(sorted(banks)))
    if sections:
        parts.append("sections " + ", ".join(sorted(sections)))
    if answered_only:
        parts.append("answered questions only")
    chosen = f" ({'; '.join(parts)})" if parts else ""
    return (
        f"The filters {where}{chosen} exclude every entry, so there is nothing to search. "
        "Widen or clear them and ask again."
    )
