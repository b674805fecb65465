"""Cut bank answers into citable pieces, and check that composed markdown cites every claim.

A bank answer is markdown: paragraphs, bullets (sometimes nested), numbered steps and, rarely, a
fenced code block (read by the one block parser, textkit.markdown_blocks). Composers need it as a
sequence of *segments* that keep that structure (so a trimmed answer still renders as the bank
wrote it) and that can be cited one by one:

- a paragraph line is cut into sentences (textkit.sentences, the splitter `answer.support` uses
  too, so every sentence that checker sees carries its own marker);
- a bullet or numbered item is one segment, with its depth and its parent bullet;
- a fenced code block is one segment, never cut.

The other half checks composed answers: `claim_units` lists every claim (sentence, bullet, table
cell, code block) with the citation numbers it carries. Headings, table header rows and rules are
layout, not claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ingest.tokens import count_tokens
from textkit.markdown_blocks import Code, Heading, ListItem, Paragraph, Table, parse_blocks
from textkit.sentences import split_sentences


class SegmentKind(StrEnum):
    SENTENCE = "sentence"
    BULLET = "bullet"
    CODE = "code"
    HEADING = "heading"


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    text: str  # a sentence, a bullet's text without its list mark, or a whole fenced block
    line: int  # which line group of the answer it came from (sentences of one line share it)
    mark: str = ""  # the bullet's own list mark: "-", "1." …
    depth: int = 0  # nesting of a bullet (0 = top level)
    parent: int | None = None  # index of the enclosing bullet, for nested bullets

    @property
    def tokens(self) -> int:
        return count_tokens(self.text)


MARKER = re.compile(r"(?<!\\)\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def segments(answer: str) -> list[Segment]:
    """The answer as sentences, bullets and code blocks, in order, structure kept (textkit's
    markdown block parser reads the structure)."""
    out: list[Segment] = []
    at: dict[int, int] = {}  # block index of a list item → its segment index
    group = 0
    for index, block in enumerate(parse_blocks(answer)):
        group += 1
        if isinstance(block, Code):
            out.append(Segment(SegmentKind.CODE, block.text, group))
        elif isinstance(block, ListItem):
            parent = at.get(block.parent) if block.parent is not None else None
            depth = out[parent].depth + 1 if parent is not None else 0
            at[index] = len(out)
            out.append(Segment(SegmentKind.BULLET, block.text.strip(), group, block.mark, depth, parent))
        elif isinstance(block, Heading):
            out.append(Segment(SegmentKind.HEADING, f"{'#' * block.level} {block.text}", group))
        elif isinstance(block, Table):
            for row in block.rows:  # a row read as one statement: "Header: cell; Header: cell"
                text = "; ".join(f"{h}: {c}" if h else c for h, c in zip(block.header, row) if c)
                out.append(Segment(SegmentKind.SENTENCE, text, group))
                group += 1
        else:
            for line in block.text.split("\n"):  # each source line of a paragraph is a group of its own
                out.extend(Segment(SegmentKind.SENTENCE, s, group) for s in split_sentences(line.strip()))
                group += 1
    return [s for s in out if s.text.strip()]


def block_of(segs: list[Segment], index: int) -> list[int]:
    """A bullet and every bullet nested under it (indices into `segs`)."""
    members = [index]
    for k in range(index + 1, len(segs)):
        parent = segs[k].parent
        if parent is not None and parent in members:
            members.append(k)
        elif segs[k].kind is not SegmentKind.BULLET or segs[k].depth <= segs[index].depth:
            break
    return members


# -- escaping bank text ------------------------------------------------------------------------------

_BRACKETED_NUMBERS = re.compile(r"\[(\s*\d[\d\s,.;]*)\]")


def escape_text(text: str) -> str:
    """Bank prose made safe to cite: a literal "[0, 1]" must not read as a citation marker."""
    return _BRACKETED_NUMBERS.sub(lambda m: "\\[" + m.group(1) + "\\]", text)


def escape_cell(text: str) -> str:
    """Text for one markdown table cell: one line, pipes escaped."""
    return re.sub(r"(?<!\\)\|", r"\\|", " ".join(escape_text(text).split()))


Cite = int | tuple[int, ...]
"""One citation number, or several when the same claim is stated by several entries (merged)."""


def marker(n: Cite) -> str:
    """The citation marker: "[1]", or "[1] [3]" for a claim several entries state (one number per
    marker, as every reader of [n] expects)."""
    numbers = (n,) if isinstance(n, int) else tuple(sorted(set(n)))
    return " ".join(f"[{k}]" for k in numbers)


_CLOSING = re.compile(r"[.!?]+[\"'”’)\]]*$")


def cite_sentence(sentence: str, n: Cite) -> str:
    """One sentence with its marker before the closing stop: "… generation [1]."."""
    sentence = sentence.rstrip()
    end = _CLOSING.search(sentence)
    if end is None:
        return f"{sentence} {marker(n)}"
    return f"{sentence[: end.start()].rstrip()} {marker(n)}{sentence[end.start() :]}"


def cite_sentences(text: str, n: Cite) -> str:
    """Prose with the marker [n] in every sentence."""
    return " ".join(cite_sentence(s, n) for s in split_sentences(escape_text(text)))


def cite_line(text: str, n: Cite) -> str:
    """A bullet or cell: one marker at its end."""
    return f"{escape_text(text).rstrip()} {marker(n)}"


def cite_code(block: str, n: Cite) -> str:
    """A fenced code block kept whole; the marker sits in the fence's info string (after the
    language, so highlighting still works) and on a line of its own below it, where readers see it."""
    lines = block.split("\n")
    lines[0] = f"{lines[0].rstrip()} {marker(n)}"
    return "\n".join(lines) + f"\n\n{marker(n)}"


# -- checking composed markdown ------------------------------------------------------------------------


class ClaimKind(StrEnum):
    SENTENCE = "sentence"
    BULLET = "bullet"
    CELL = "cell"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Claim:
    kind: ClaimKind
    text: str
    markers: tuple[int, ...]


_MARKERS_ONLY = re.compile(r"^(?:\s*" + MARKER.pattern + r")+\s*$")
_WORDISH = re.compile(r"[^\W_]", re.UNICODE)
_ROW_LABEL = re.compile(r"^\*\*[^*\[\]]+\*\*$")


def markers_in(text: str) -> tuple[int, ...]:
    found: list[int] = []
    for match in MARKER.finditer(text):
        found.extend(int(n) for n in re.split(r"\s*[,;]\s*", match.group(1)))
    return tuple(found)


def claim_units(markdown: str) -> list[Claim]:
    """Every claim of a composed answer with the citation numbers it carries.

    Layout is not a claim: headings, table header rows and row labels ("**Strengths**"), and a
    paragraph holding only markers (it cites the code block just above it)."""
    claims: list[Claim] = []
    blocks = parse_blocks(markdown)
    for k, block in enumerate(blocks):
        if isinstance(block, Code):
            found = markers_in(block.info)
            following = blocks[k + 1] if k + 1 < len(blocks) else None
            if isinstance(following, Paragraph) and _MARKERS_ONLY.match(following.text):
                found = found + markers_in(following.text)
            claims.append(Claim(ClaimKind.CODE, block.text, tuple(dict.fromkeys(found))))
        elif isinstance(block, ListItem):
            claims.append(Claim(ClaimKind.BULLET, block.text.strip(), markers_in(block.text)))
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    if _ROW_LABEL.match(cell):
                        continue
                    if _WORDISH.search(MARKER.sub("", cell)):
                        claims.append(Claim(ClaimKind.CELL, cell, markers_in(cell)))
        elif isinstance(block, Paragraph):
            if _MARKERS_ONLY.match(block.text):
                continue
            for sentence in split_sentences(" ".join(p.strip() for p in block.text.split("\n"))):
                if _WORDISH.search(MARKER.sub("", sentence)):
                    claims.append(Claim(ClaimKind.SENTENCE, sentence, markers_in(sentence)))
    return claims
