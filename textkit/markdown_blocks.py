"""The one markdown block parser: bank answers and composed answers as typed blocks, on
markdown-it-py (CommonMark plus tables).

Blocks come in document order: headings, paragraphs, list items (with their depth, list mark and
enclosing item), fenced code (whole, never cut) and tables (header and rows). Text is the source
markdown of the block (inline emphasis and code kept), so a block can be shown again as written.

Two deliberate departures from CommonMark, because bank text is written by hand:
- indented code blocks are off: an indented continuation line is text, not code;
- a bullet written "•" is a list item like "-".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

# An opening or closing code fence (``` or ~~~, three or more, indented at most three) and its info string.
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
_BULLET_DOT = re.compile(r"^(\s*)•(\s+)", re.MULTILINE)
_FENCE_LINE = re.compile(r"```[^\n]*\n")


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int
    line: int  # first source line (0-based)


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str  # soft line breaks kept as "\n"
    line: int


@dataclass(frozen=True, slots=True)
class ListItem:
    text: str  # the item's own paragraphs, joined by a space; nested items are blocks of their own
    mark: str  # "-", "*", "1.", "2)" …
    depth: int  # 0 for a top-level item
    parent: int | None  # index (in the block list) of the enclosing item
    line: int


@dataclass(frozen=True, slots=True)
class Code:
    text: str  # the whole fenced block, fences included
    info: str  # the fence's info string ("python", "python [3]")
    line: int


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    line: int


Block = Heading | Paragraph | ListItem | Code | Table


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("code")


def parse_blocks(markdown: str) -> list[Block]:
    """The blocks of a markdown text, in order."""
    source = _BULLET_DOT.sub(r"\1-\2", markdown.replace("\r\n", "\n"))
    lines = source.split("\n")
    tokens = _parser().parse(source)
    blocks: list[Block] = []
    items: list[int] = []  # block indices of the open list items
    marks: list[str] = []  # the mark of each open list
    k = 0
    while k < len(tokens):
        token = tokens[k]
        kind = token.type
        if kind == "heading_open":
            blocks.append(Heading(tokens[k + 1].content.strip(), int(token.tag[1]), _line(token)))
            k += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            marks.append(token.markup)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            marks.pop()
        elif kind == "list_item_open":
            mark = f"{token.info}{token.markup}"  # "-" for a bullet, "2." for an ordered item
            blocks.append(ListItem("", mark, len(items), items[-1] if items else None, _line(token)))
            items.append(len(blocks) - 1)
        elif kind == "list_item_close":
            items.pop()
        elif kind == "paragraph_open":
            text = tokens[k + 1].content
            if items and _directly_in_item(tokens, k):
                index = items[-1]
                item = blocks[index]
                assert isinstance(item, ListItem)
                joined = f"{item.text} {' '.join(text.split())}".strip()
                blocks[index] = ListItem(joined, item.mark, item.depth, item.parent, item.line)
            else:
                blocks.append(Paragraph(text, _line(token)))
            k += 3
            continue
        elif kind == "fence":
            start, end = token.map or (0, 0)
            block = "\n".join(lines[start:end]).rstrip()
            if not _closed(block, token.markup):
                block = f"{block}\n{token.markup}"  # an unclosed fence is closed, not left to swallow the rest
            blocks.append(Code(block, token.info.strip(), start))
        elif kind == "table_open":
            k = _table(tokens, k, blocks)
            continue
        k += 1
    return blocks


def _line(token: Token) -> int:
    return token.map[0] if token.map else 0


def _directly_in_item(tokens: list[Token], k: int) -> bool:
    """Is the paragraph at k a child of a list item (not of a blockquote inside it)?"""
    level = tokens[k].level
    for j in range(k - 1, -1, -1):
        if tokens[j].level == level - 1 and tokens[j].nesting == 1:
            return tokens[j].type == "list_item_open"
    return False


def _closed(block: str, markup: str) -> bool:
    lines = block.split("\n")
    return len(lines) > 1 and lines[-1].strip().startswith(markup)


def _table(tokens: list[Token], k: int, blocks: list[Block]) -> int:
    line = _line(tokens[k])
    header: list[str] = []
    rows: list[list[str]] = []
    in_head = False
    while tokens[k].type != "table_close":
        kind = tokens[k].type
        if kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open" and not in_head:
            rows.append([])
        elif kind == "inline":
            (header if in_head else rows[-1]).append(tokens[k].content.strip())
        k += 1
    blocks.append(Table(tuple(header), tuple(tuple(r) for r in rows), line))
    return k + 1


def strip_fence_lines(markdown: str) -> str:
    """Text with the fence lines of code blocks removed (the code itself kept): what a reader of
    the words sees, for embedding and word matching."""
    return _FENCE_LINE.sub("", markdown)
