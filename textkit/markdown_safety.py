"""Markdown that renders inert: parsed with markdown-it-py, then written out again from its tokens.

Bank text, composed answers and LLM output are markdown on purpose (lists, tables, code), but a
renderer must never turn them into something the browser fetches or runs. Patching the source text
with regexes cannot keep up with CommonMark (escaped backticks, odd fences, reference images,
entities…), so `safe_markdown` does not patch: it parses the text the way a CommonMark + GFM-table
renderer does and re-emits markdown in which *every* character of text is backslash-escaped and
the only constructs are the ones written here:

- paragraphs, headings, lists, block quotes, tables, rules, emphasis, strikethrough, line breaks;
- code spans and code blocks, content untouched, delimited by more backticks than they contain;
- links whose target is http(s) or mailto (others keep their text and lose the target);
- images become the text "image: [alt](url)" — a link to click, never an <img> to load;
- raw HTML, block or inline, shows as escaped text; entities are decoded and shown as text.

Because the output contains no unescaped markup of the input, a second parser (Streamlit's
remark/GFM) cannot find an image, HTML or script link in it either.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
SAFE_IMAGE_SCHEMES = frozenset({"http", "https"})
# Parsing is superlinear on some inputs (100k "[" take seconds): longer text is shown literally.
MAX_PARSED_CHARS = 10_000  # the longest answer in the banks has under 2,000

# CommonMark with GFM tables and strikethrough, as Streamlit renders it. No HTML rendering is
# needed (nothing is rendered to HTML here), but html_* tokens must be produced to be escaped.
_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # \n stays (a line break); \r would be one too
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#@!$&'*+,;=%]")


def escape_text(text: str) -> str:
    """Text that markdown shows literally: every ASCII punctuation character backslash-escaped."""
    text = _CONTROL.sub("", text)
    return "".join("\\" + ch if ch in _ASCII_PUNCTUATION else ch for ch in text)


def safe_url(url: str, schemes: frozenset[str] = SAFE_LINK_SCHEMES) -> str | None:
    """The URL if its scheme is one of `schemes` (and it has somewhere to go), else None."""
    url = url.strip()
    if not url or _CONTROL.search(url) or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme in ("http", "https") and not parts.netloc:
        return None
    return url


def _destination(url: str) -> str:
    """A bare link destination for `url`: anything that could start another construct (a backtick
    would open a code span, `<` an autolink, `|` a table cell, parentheses or spaces end it) is
    percent-encoded, which names the same resource."""
    return _URL_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), url)


def _code_span(content: str, in_table: bool) -> str:
    if in_table and "|" in content:
        # GFM splits a row at pipes before it reads code spans, and escaping rules for a pipe in
        # code differ between renderers: shown as text instead, it cannot split a cell anywhere.
        return escape_text(content)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * (longest + 1)
    # The parser strips one space from each side when both are spaces, and a backtick at either
    # end would join the delimiter: pad then (the padding is stripped again).
    edge = content.startswith("`") or content.endswith("`") or (content[:1] == content[-1:] == " ")
    pad = " " if edge and content.strip(" ") else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


class _Writer:
    """Markdown from a markdown-it syntax tree; unknown node types fall back to escaped text."""

    def __init__(self) -> None:
        self.in_link = 0
        self.in_table = False

    # -- inline --------------------------------------------------------------------------------

    def inline(self, nodes) -> str:
        return "".join(self.inline_node(node) for node in nodes)

    def inline_node(self, node) -> str:
        kind = node.type
        if kind == "text":
            return escape_text(node.content)
        if kind == "softbreak":
            return "\n"
        if kind == "hardbreak":
            return "\\\n"
        if kind == "code_inline":
            return _code_span(node.content, self.in_table)
        if kind in ("em", "strong", "s"):
            markup = node.markup or {"em": "*", "strong": "**", "s": "~~"}[kind]
            return f"{markup}{self.inline(node.children)}{markup}"
        if kind == "link":
            return self.link(node)
        if kind == "image":
            return self.image(node)
        if kind == "html_inline":
            return escape_text(node.content)
        # text_special, entities, anything a future parser adds: its text, escaped.
        return escape_text(node.content) + self.inline(node.children)

    def link(self, node) -> str:
        text = self.inline_children_in_link(node)
        href = safe_url(str(node.attrs.get("href", "")))
        if href is None or self.in_link:
            return text
        return f"[{text or escape_text(href)}]({_destination(href)})"

    def inline_children_in_link(self, node) -> str:
        self.in_link += 1
        try:
            return self.inline(node.children)
        finally:
            self.in_link -= 1

    def image(self, node) -> str:
        alt = escape_text(" ".join(node.content.split())) or "image"
        src = safe_url(str(node.attrs.get("src", "")), SAFE_IMAGE_SCHEMES)
        if src is None or self.in_link:
            return f"image: {alt}"
        return f"image: [{alt}]({_destination(src)})"

    # -- blocks --------------------------------------------------------------------------------

    def blocks(self, nodes, tight: bool = False) -> str:
        rendered = [self.block(node, tight) for node in nodes]
        return ("\n" if tight else "\n\n").join(r for r in rendered if r != "")

    def block(self, node, tight: bool = False) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.paragraph(node)
        if kind == "inline":
            return self.lines(self.inline(node.children))
        if kind == "heading":
            level = int(node.tag[1]) if node.tag[1:].isdigit() else 1
            text = " ".join(self.inline(node.children[0].children if node.children else []).split("\n"))
            return "#" * level + " " + text.strip()
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "blockquote":
            inner = self.blocks(node.children)
            return "\n".join(("> " + line) if line else ">" for line in inner.split("\n"))
        if kind in ("fence", "code_block"):
            return self.code_block(node)
        if kind == "html_block":
            return self.literal_lines(node.content)
        if kind == "hr":
            return "* * *"
        if kind == "table":
            return self.table(node)
        return self.lines(escape_text(node.content)) + self.blocks(node.children)

    @staticmethod
    def literal_lines(text: str) -> str:
        """Source text shown as escaped text, line for line (hard breaks; blank lines part paragraphs)."""
        paragraphs = [p for p in re.split(r"\n[ \t]*\n", text.strip("\n")) if p.strip()]
        return "\n\n".join("\\\n".join(escape_text(line.strip()) for line in p.split("\n")) for p in paragraphs)

    @staticmethod
    def lines(text: str) -> str:
        # No line may start with spaces: four would make it an indented code block.
        return "\n".join(line.lstrip(" \t") for line in text.split("\n"))

    def paragraph(self, node) -> str:
        inline = node.children[0] if node.children else None
        return self.lines(self.inline(inline.children)) if inline is not None else ""

    def list(self, node) -> str:
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1)) if ordered else 1
        delimiter = node.markup if node.markup in (".", ")", "-", "*", "+") else ("." if ordered else "-")
        tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
        items = []
        for number, item in enumerate(node.children, start=start):
            marker = f"{number}{delimiter} " if ordered else f"{delimiter} "
            body = self.blocks(item.children, tight=tight)
            indent = " " * len(marker)
            lines = body.split("\n") if body else [""]
            first = (marker + lines[0]).rstrip() if lines[0] else marker.rstrip()
            rest = [(indent + line) if line else "" for line in lines[1:]]
            items.append("\n".join([first, *rest]))
        return ("\n" if tight else "\n\n").join(items)

    @staticmethod
    def code_block(node) -> str:
        content = node.content
        if content and not content.endswith("\n"):
            content += "\n"
        longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
        fence = "`" * max(3, longest + 1)
        words = (node.info or "").split()
        language = words[0] if node.type == "fence" and words and _LANGUAGE.fullmatch(words[0]) else ""
        return f"{fence}{language}\n{content}{fence}"

    def table(self, node) -> str:
        rows = [row for section in node.children for row in section.children]
        if not rows:
            return ""
        width = len(rows[0].children)
        self.in_table = True
        try:
            cells = [
                [" ".join(self.inline(c.children[0].children if c.children else []).split("\n")) for c in row.children]
                for row in rows
            ]
        finally:
            self.in_table = False
        aligns = []
        for cell in rows[0].children:
            style = str(cell.attrs.get("style", ""))
            aligns.append(
                ":---:" if "center" in style else ":---" if "left" in style else "---:" if "right" in style else "---"
            )
        lines = []
        for k, row in enumerate(cells):
            row = (row + [""] * width)[:width]
            lines.append("| " + " | ".join(c.strip() for c in row) + " |")
            if k == 0:
                lines.append("| " + " | ".join(aligns) + " |")
        return "\n".join(lines)


def safe_markdown(text: str) -> str:
    """`text` as markdown that shows the same prose, lists, tables and code, and can fetch or run nothing."""
    text = str(text)
    if len(text) > MAX_PARSED_CHARS:
        return literal_markdown(text)
    tree = SyntaxTreeNode(_PARSER.parse(text))
    return _Writer().blocks(tree.children)


def literal_markdown(text: str) -> str:
    """Markdown that shows `text` exactly as written, line for line (no formatting at all)."""
    return _Writer.literal_lines(str(text))
