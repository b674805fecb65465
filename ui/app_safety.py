"""Make bank and user text safe to hand to Streamlit's markdown renderer.

Nothing in qbank renders with `unsafe_allow_html`; on top of that, text is neutralized here so
that it always shows as text and never makes the browser fetch anything on render:

- `plain(text)`: user text and widget labels. Every markdown-significant character is escaped,
  so `<script>…</script>` or `![x](http://…)` shows literally.
- `safe_markdown(text)`: bank answers and composed answers, which are markdown on purpose
  (lists, tables, code). Outside code, images become plain links, raw HTML tags show as text and
  links that are not http(s)/mailto lose their target. Code blocks and spans are left untouched.
"""

from __future__ import annotations

import re

_PUNCTUATION = set("\\`*_{}[]()#+-.!|<>~:$&=\"'")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
_UNSAFE_LINK = re.compile(r"\]\(\s*(?!https?:|mailto:|#|/)([A-Za-z][\w+.-]*:[^)]*)\)")


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


def _neutralize_prose(text: str) -> str:
    text = _IMAGE.sub(lambda m: f"image: [{m.group(1) or 'link'}]({m.group(2)})" if m.group(2) else m.group(1), text)
    text = text.replace("![", "!\\[")  # reference-style images: never an <img>
    text = _UNSAFE_LINK.sub(lambda m: "] (" + plain(m.group(1)) + ")", text)
    return text.replace("<", "\\<")  # raw HTML and autolinks show as text


def _neutralize_line_outside_fences(line: str) -> str:
    out, last = [], 0
    for match in _INLINE_CODE.finditer(line):
        out.append(_neutralize_prose(line[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_neutralize_prose(line[last:]))
    return "".join(out)


def safe_markdown(text: str) -> str:
    """Bank or answer markdown with images, raw HTML and script links neutralized outside code."""
    lines = str(text).split("\n")
    result: list[str] = []
    fence: str | None = None
    prose: list[str] = []

    def flush() -> None:
        if prose:
            result.append(_neutralize_line_outside_fences("\n".join(prose)))
            prose.clear()

    for line in lines:
        opening = _FENCE.match(line)
        if fence is None and opening:
            flush()
            fence = opening.group(1)
            result.append(line)
        elif fence is not None:
            result.append(line)
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                fence = None
        else:
            prose.append(line)
    flush()
    return "\n".join(result)
