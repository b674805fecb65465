"""Make bank and user text safe to hand to Streamlit's markdown renderer.

Nothing in qbank renders with `unsafe_allow_html`; on top of that, text is neutralized here so
that it always shows as text and never makes the browser fetch anything on render:

- `plain(text)`: user text and widget labels. Every markdown-significant character is escaped,
  so `<script>…</script>` or `![x](http://…)` shows literally.
- `safe_markdown(text)`: bank answers, composed and LLM answers, which are markdown on purpose
  (lists, tables, code). It is `textkit.markdown_safety.safe_markdown`: the text is parsed and
  written out again, so images become plain links, raw HTML shows as text and links that are not
  http(s)/mailto lose their target — whatever the input's tricks. Sanitize the *whole* markdown
  handed to one `st.markdown` call: gluing sanitized pieces to other markdown can reopen them.
"""

from __future__ import annotations

from textkit.markdown_safety import safe_markdown

__all__ = ["label", "plain", "safe_markdown", "shorten"]

_PUNCTUATION = set("\\`*_{}[]()#+-.!|<>~:$&=\"'")


def plain(text: str) -> str:
    """Markdown that renders exactly as the given text (line breaks kept)."""
    escaped = "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in str(text))
    return escaped.replace("\n", "  \n")


def label(text: str, limit: int = 120) -> str:
    """A widget label: one line, shortened, every markdown character escaped."""
    return plain(shorten(text, limit))


def shorten(text: str, limit: int = 120) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
