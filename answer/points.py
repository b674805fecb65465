"""The citable points of an entry's answer: sentences, bullets with the bullets nested under them
(a short "It involves:" with the list it introduces), and whole code blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from answer.sentences import Segment, SegmentKind, block_of, segments
from ingest.entry import Entry
from ingest.tokens import count_tokens
from textkit.markdown_blocks import strip_fence_lines


@dataclass(frozen=True, slots=True)
class Point:
    """One citable piece of an entry's answer: a sentence, a bullet with the bullets nested under
    it, or a whole code block."""

    entry: Entry
    kind: SegmentKind
    text: str  # the sentence, the bullet's own text, or the fenced block
    children: tuple[str, ...] = ()  # nested bullets' texts
    position: int = 0  # order inside the entry's answer
    span: tuple[int, ...] = ()  # the answer's segments it is made of (answer.sentences.segments indices)
    also: tuple[Entry, ...] = ()  # other entries that state the same point (merged: one claim, several citations)

    @property
    def sources(self) -> tuple[Entry, ...]:
        """Every entry the point is cited to: its own first."""
        return (self.entry, *(e for e in self.also if e.id != self.entry.id))

    @property
    def plain(self) -> str:
        """Words a reader sees, for embedding and word overlap."""
        text = " ".join((self.text, *self.children))
        text = strip_fence_lines(text + "\n")  # the closing fence too
        text = re.sub(r"(\*\*|__|`)", "", text)
        return " ".join(text.split())

    @property
    def tokens(self) -> int:
        return count_tokens(" ".join((self.text, *self.children)))

    @property
    def flat(self) -> str:
        """One line: the bullet and its nested bullets joined ("Generative: …; Examples: …")."""
        head = self.text.rstrip()
        if not self.children:
            return head[:-1].rstrip() + "." if head.endswith(":") else head
        joiner = " " if head.endswith(":") else "; "
        return head + joiner + "; ".join(c.strip() for c in self.children)


def points_of(entry: Entry, *, code: bool = False) -> list[Point]:
    segs: list[Segment] = segments(entry.answer)
    out: list[Point] = []
    consumed: set[int] = set()
    for k, seg in enumerate(segs):
        if k in consumed or seg.kind is SegmentKind.HEADING:
            continue
        if seg.kind is SegmentKind.SENTENCE and _is_short_intro(seg.text) and _list_follows(segs, k):
            # "It involves:" means nothing alone: it and the list it introduces are one point.
            members = [m for m in range(k + 1, len(segs)) if _in_list(segs, k + 1, m)]
            consumed.update(members)
            children = tuple(segs[m].text for m in members)
            out.append(Point(entry, SegmentKind.BULLET, seg.text, children, k, (k, *members)))
        elif seg.kind is SegmentKind.BULLET:
            members = block_of(segs, k)
            consumed.update(members)
            children = tuple(segs[m].text for m in members[1:])
            out.append(Point(entry, seg.kind, seg.text, children, k, tuple(members)))
        elif seg.kind is SegmentKind.CODE:
            if code:
                out.append(Point(entry, seg.kind, seg.text, (), k, (k,)))
        elif _has_words(seg.text):
            out.append(Point(entry, seg.kind, seg.text, (), k, (k,)))
    return out


_WORDISH = re.compile(r"[^\W_]{2,}", re.UNICODE)
SHORT_INTRO_WORDS = 6


def _is_short_intro(text: str) -> bool:
    return text.rstrip().endswith(":") and len(text.split()) < SHORT_INTRO_WORDS


def _list_follows(segs: list[Segment], k: int) -> bool:
    return k + 1 < len(segs) and segs[k + 1].kind is SegmentKind.BULLET and segs[k + 1].depth == 0


def _in_list(segs: list[Segment], first: int, m: int) -> bool:
    """Is segment m part of the list that starts at `first` (no prose or code in between)?"""
    return all(segs[j].kind is SegmentKind.BULLET for j in range(first, m + 1))


def _has_words(text: str) -> bool:
    return bool(_WORDISH.search(text))


_DEFINITION = re.compile(
    r"(?ix)^(?:\*\*)?[\w\s()\-/.'’,]{1,80}?(?:\*\*)?:?\s+(?:is|are|refers?\s+to|means|describes?|denotes?|"
    r"stands\s+for|consists?\s+of|is\s+called)\b"
)


def is_definition(point: Point) -> bool:
    """A sentence that says what something is: "KV caching stores …", "LoRA is …", "X refers to …"."""
    if point.kind is SegmentKind.CODE:
        return False
    text = point.text.strip()
    if _DEFINITION.match(text):
        return True
    # The first sentence or bullet answering "What is X?" defines X, whatever its verb.
    question = point.entry.question.lower().lstrip()
    return point.position == 0 and question.startswith(("what is", "what are", "what's", "define", "explain"))
