"""Cut bank answers into citable pieces, and check that composed markdown cites every claim.

A bank answer is markdown: paragraphs, bullets (sometimes nested), numbered steps and, rarely, a
fenced code block. Composers need it as a sequence of *segments* that keep that structure (so a
trimmed answer still renders as the bank wrote it) and that can be cited one by one:

- a paragraph line is cut into sentences (same boundary rule as `answer.support`, so every
  sentence that checker sees carries its own marker);
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


_FENCE = re.compile(r"^\s*(```+|~~~+)")
_BULLET = re.compile(r"^(?P<indent>\s*)(?P<mark>[-*+•]|\d{1,3}[.)])\s+(?P<text>.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
# A sentence ends at . ! ? (plus closing quotes/brackets and any citation markers) before a space
# and a capital, a digit or an opening mark — but not before a citation marker, which belongs to
# the sentence it follows. answer.support splits claims with this same rule. Composed prose puts
# its markers before the closing stop ("… generation [1].").
_END = re.compile(r"([.!?]+[\"')\]]*)((?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*)(\s+)(?!\[\s*\d)(?=[\"'(\[*`]?[A-Z0-9])")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "approx", "fig", "eq", "cf", "al", "dr", "mr", "no", "resp"})
MARKER = re.compile(r"(?<!\\)\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph; markers after a full stop stay with their sentence."""
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        before = text[start : match.start()].rsplit(None, 1)
        last_word = before[-1].lower().rstrip(".") if before else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        sentences.append(text[start : match.end(2)].strip())
        start = match.end(3)
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def segments(answer: str) -> list[Segment]:
    """The answer as sentences, bullets and code blocks, in order, structure kept."""
    out: list[Segment] = []
    lines = answer.replace("\r\n", "\n").split("\n")
    stack: list[tuple[int, int]] = []  # (indent, segment index) of the open bullets
    group = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            stack.clear()
            i += 1
            continue
        group += 1
        fence = _FENCE.match(line)
        if fence:
            block = [line.rstrip()]
            i += 1
            while i < len(lines):
                block.append(lines[i].rstrip())
                i += 1
                if lines[i - 1].strip().startswith(fence.group(1)):
                    break
            else:
                if not block[-1].strip().startswith(fence.group(1)):
                    block.append(fence.group(1))  # an unclosed fence is closed, not left to swallow the rest
            out.append(Segment(SegmentKind.CODE, "\n".join(block), group))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            indent = len(bullet.group("indent").expandtabs(4))
            text = bullet.group("text").strip()
            i += 1
            while i < len(lines) and lines[i].strip() and lines[i][:1].isspace() and not _BULLET.match(lines[i]):
                text += " " + lines[i].strip()  # indented continuation of the bullet
                i += 1
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else None
            depth = len(stack)
            out.append(Segment(SegmentKind.BULLET, text, group, bullet.group("mark"), depth, parent))
            stack.append((indent, len(out) - 1))
            continue
        stack.clear()
        if _HEADING.match(line):
            out.append(Segment(SegmentKind.HEADING, line.strip(), group))
        else:
            out.extend(Segment(SegmentKind.SENTENCE, s, group) for s in split_sentences(line.strip()))
        i += 1
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


def marker(n: int) -> str:
    return f"[{n}]"


_CLOSING = re.compile(r"[.!?]+[\"'”’)\]]*$")


def cite_sentence(sentence: str, n: int) -> str:
    """One sentence with its marker before the closing stop: "… generation [1]."."""
    sentence = sentence.rstrip()
    end = _CLOSING.search(sentence)
    if end is None:
        return f"{sentence} {marker(n)}"
    return f"{sentence[: end.start()].rstrip()} {marker(n)}{sentence[end.start() :]}"


def cite_sentences(text: str, n: int) -> str:
    """Prose with the marker [n] in every sentence."""
    return " ".join(cite_sentence(s, n) for s in split_sentences(escape_text(text)))


def cite_line(text: str, n: int) -> str:
    """A bullet or cell: one marker at its end."""
    return f"{escape_text(text).rstrip()} {marker(n)}"


def cite_code(block: str, n: int) -> str:
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


_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]*-{3,}[\s:|-]*\|?\s*$")
_MARKERS_ONLY = re.compile(r"^(?:\s*" + MARKER.pattern + r")+\s*$")
_WORDISH = re.compile(r"[^\W_]", re.UNICODE)
_ROW_LABEL = re.compile(r"^\*\*[^*\[\]]+\*\*$")


def markers_in(text: str) -> tuple[int, ...]:
    found: list[int] = []
    for match in MARKER.finditer(text):
        found.extend(int(n) for n in re.split(r"\s*[,;]\s*", match.group(1)))
    return tuple(found)


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)]


def claim_units(markdown: str) -> list[Claim]:
    """Every claim of a composed answer with the citation numbers it carries.

    Layout is not a claim: headings, table header rows and rules, blank lines, and a line holding
    only markers (it cites the code block just above it)."""
    claims: list[Claim] = []
    lines = markdown.replace("\r\n", "\n").split("\n")
    i = 0
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            for sentence in split_sentences(" ".join(p.strip() for p in paragraph)):
                if _WORDISH.search(MARKER.sub("", sentence)):
                    claims.append(Claim(ClaimKind.SENTENCE, sentence, markers_in(sentence)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            block = [line]
            i += 1
            while i < len(lines):
                block.append(lines[i])
                i += 1
                if lines[i - 1].strip().startswith(fence.group(1)):
                    break
            found = markers_in(block[0])
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and _MARKERS_ONLY.match(lines[j]):
                found = found + markers_in(lines[j])
                i = j + 1
            claims.append(Claim(ClaimKind.CODE, "\n".join(block), tuple(dict.fromkeys(found))))
            continue
        if _HEADING.match(line):
            flush()
            i += 1
            continue
        if line.lstrip().startswith("|"):
            flush()
            header = i + 1 < len(lines) and bool(_TABLE_RULE.match(lines[i + 1]))
            if not header and not _TABLE_RULE.match(line):
                for cell in _cells(line):
                    if _ROW_LABEL.match(cell):  # "**Strengths**": a row's label is layout, not a claim
                        continue
                    if _WORDISH.search(MARKER.sub("", cell)):
                        claims.append(Claim(ClaimKind.CELL, cell, markers_in(cell)))
            i += 1
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            text = bullet.group("text")
            claims.append(Claim(ClaimKind.BULLET, text.strip(), markers_in(text)))
            i += 1
            continue
        if _MARKERS_ONLY.match(line):
            i += 1
            continue
        paragraph.append(line)
        i += 1
    flush()
    return claims
