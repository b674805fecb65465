"""Parse a markdown/text question bank into draft entries.

Handles the formats found in the shipped banks (and common variants of them):
- `### N. Question` headings followed by `**Answer:**` paragraphs or bullets;
- `**N. Question**` lines followed by bullet answers (fenced code kept intact);
- `### 🔹 **N. Question**` / `### **N. Question**` headings with `**Follow-ups:**` bullets;
- numbered lists of (bold or plain) questions with no answers;
- `**Scenario Question N.M:**` / `**Scenario Answer N.M:**` pairs nested in an entry.
Anything that looks like a question but fits none of these is reported, never silently dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ingest.entry import EntryKind
from textkit.markdown_blocks import FENCE

# A closing run of #s only counts when a space precedes it, so "### What is C#" keeps its "#".
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FENCE = FENCE  # the one fence rule (textkit)
_BOLD_NUMBERED = re.compile(r"^\*\*(\d+)\.\s+(.+?)\*\*\s*$")
_LIST_ITEM = re.compile(r"^(\d+)[.)]\s+(.+?)\s*$")
_NUMBERED_TEXT = re.compile(r"^(\d+)\.\s+(.+)$")
# A line that reads like a numbered question in some format the parser does not know.
_NUMBERED_ANY = re.compile(r"^(\d+(?:\.\d+)*)[.):]\s+(.+)$")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Underscore emphasis never starts or ends inside a word (CommonMark), so snake__case stays.
_UNDERSCORE_BOLD = re.compile(r"(?<!\w)__(.+?)__(?!\w)")
_SPAN_MARK = "\ufdd0"
_TOC_LINK = re.compile(r"^\[[^\]]*\]\(#[^)]*\)")
_ANSWER_MARK = re.compile(r"^\*\*Answer:?\*\*:?\s*", re.IGNORECASE)
_FOLLOWUPS_MARK = re.compile(r"^\*\*Follow[- ]?ups?(?: questions)?:?\*\*:?\s*$", re.IGNORECASE)
_SCENARIO_Q = re.compile(r"^\*\*Scenario Question\s+(\d+(?:\.\d+)*):?\*\*:?\s*(.*)$", re.IGNORECASE)
_SCENARIO_A = re.compile(r"^\*\*Scenario Answer\s+(\d+(?:\.\d+)*):?\*\*:?\s*(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")

# Words that open an imperative interview prompt even without a question mark.
_PROMPT_WORDS = frozenset(
    """what why how when where which who whom whose explain describe compare contrast define discuss
    walk tell design derive implement outline summarize summarise give list name difference differences
    tradeoff tradeoffs trade-off role can could do does did is are should would will have has suppose
    imagine""".split()
)
# A numbered list counts as a list of questions when at least this share of its items look like ones.
_QUESTION_LIST_SHARE = 0.6


@dataclass
class DraftEntry:
    number: str
    question: str
    kind: EntryKind
    section_path: tuple[str, ...]
    line_start: int
    line_end: int
    answer: str = ""
    follow_ups: tuple[str, ...] = ()
    children: list[DraftEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UnparsedLine:
    line: int
    text: str


@dataclass
class ParsedBank:
    title: str | None
    entries: list[DraftEntry]
    unparsed: list[UnparsedLine]


def _unbold(text: str) -> str:
    """Drop bold markers outside inline code spans (`__init__` and `**kwargs` stay as written)."""
    if _SPAN_MARK in text:  # cannot hide spans safely; a Unicode noncharacter never occurs in a bank
        return _UNDERSCORE_BOLD.sub(r"\1", _BOLD.sub(r"\1", text))
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"{_SPAN_MARK}{len(spans) - 1}{_SPAN_MARK}"

    # Code spans become opaque placeholders, so bold around them (**`x`**) still unbolds.
    text = _CODE_SPAN.sub(hide, text)
    text = _UNDERSCORE_BOLD.sub(r"\1", _BOLD.sub(r"\1", text))
    return re.sub(f"{_SPAN_MARK}(\\d+){_SPAN_MARK}", lambda m: spans[int(m.group(1))], text)


def _strip_wrapping(text: str) -> str:
    """Strip leftover emphasis markers around the text, but never the inside of a code span."""
    text = text.strip()
    if not text.startswith("`"):
        text = text.lstrip("*_ ")
    if not text.endswith("`"):
        text = text.rstrip("*_ ")
    return text.strip()


def strip_inline_markup(text: str) -> str:
    """Drop bold/italic markers and leading emoji or symbols, keeping the words."""
    text = _strip_wrapping(_unbold(text.strip()))
    # Leading decoration such as 🔹, ⚡ or variation selectors is not part of a title. Only
    # non-ASCII symbols count: a backtick or caret opens real content (`torch.no_grad()` ...).
    while text and ord(text[0]) > 127 and unicodedata.category(text[0]) in {"So", "Sk", "Mn", "Cf", "Co", "Zs"}:
        text = text[1:]
    return _strip_wrapping(_unbold(text.strip()))


def looks_like_question(text: str) -> bool:
    text = strip_inline_markup(text)
    if len(text.split()) < 2:
        return False
    if text.rstrip().endswith("?"):
        return True
    first = re.split(r"[\s,:]", text, maxsplit=1)[0].lower()
    return first in _PROMPT_WORDS


class _Lines:
    """The file's lines with fenced-code state precomputed (1-based access)."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.in_fence: list[bool] = []
        fence: str | None = None
        for line in self.lines:
            match = _FENCE.match(line)
            if fence is None:
                # A backtick fence's info string may not contain backticks (CommonMark).
                opens = bool(match) and not (match.group(1)[0] == "`" and "`" in match.group(2))
                self.in_fence.append(opens)
                if opens:
                    fence = match.group(1)
            else:
                self.in_fence.append(True)
                # Only a run of the same character, at least as long and with no info string, closes.
                if (
                    match
                    and match.group(1)[0] == fence[0]
                    and len(match.group(1)) >= len(fence)
                    and not match.group(2).strip()
                ):
                    fence = None

    def __len__(self) -> int:
        return len(self.lines)

    def text(self, n: int) -> str:
        return self.lines[n - 1]

    def fenced(self, n: int) -> bool:
        return self.in_fence[n - 1]

    def is_heading(self, n: int) -> bool:
        return not self.fenced(n) and bool(_HEADING.match(self.text(n)))

    def is_boundary(self, n: int) -> bool:
        """A line that ends the body of the entry above it."""
        if self.fenced(n):
            return False
        line = self.text(n)
        return bool(_HEADING.match(line) or _RULE.match(line) or _BOLD_NUMBERED.match(line))

    def next_nonblank(self, n: int) -> int | None:
        while n <= len(self):
            if self.text(n).strip():
                return n
            n += 1
        return None


def parse_markdown(text: str) -> ParsedBank:
    lines = _Lines(text)
    title: str | None = None
    stack: list[tuple[int, str]] = []
    entries: list[DraftEntry] = []
    unparsed: list[UnparsedLine] = []

    def section_path() -> tuple[str, ...]:
        return tuple(name for _, name in stack)

    n = 1
    while n <= len(lines):
        line = lines.text(n)
        if lines.fenced(n) or not line.strip():
            n += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            level, raw = len(heading.group(1)), heading.group(2)
            cleaned = strip_inline_markup(raw)
            numbered = _NUMBERED_TEXT.match(cleaned)
            if numbered and not _is_numbered_section(lines, n + 1, numbered.group(2)):
                entry, n = _parse_entry(lines, n, numbered.group(1), numbered.group(2), section_path())
                entries.append(entry)
                continue
            if level == 1 and title is None and not entries:
                title = cleaned
            else:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, cleaned))
            n += 1
            continue
        bold = _BOLD_NUMBERED.match(line)
        if bold:
            entry, n = _parse_entry(lines, n, bold.group(1), bold.group(2), section_path())
            entries.append(entry)
            continue
        if _LIST_ITEM.match(line):
            items, n = _collect_list(lines, n)
            listed, dropped = _questions_from_list(items, section_path())
            entries.extend(listed)
            unparsed.extend(dropped)
            continue
        if _is_stray_question(line):
            unparsed.append(UnparsedLine(n, line.strip()))
        n += 1
    return ParsedBank(title=title, entries=entries, unparsed=unparsed)


def _is_stray_question(line: str) -> bool:
    """A line outside every entry that a reader would take for a question."""
    cleaned = strip_inline_markup(line)
    if looks_like_question(cleaned) and cleaned.endswith("?"):
        return True
    numbered = _NUMBERED_ANY.match(cleaned)
    return bool(numbered) and looks_like_question(numbered.group(2))


def _is_numbered_section(lines: _Lines, n: int, heading_text: str) -> bool:
    """Whether a numbered heading (`## 3. Mathematics for AI`) titles a section rather than asks.

    It does when its body opens with a numbered list, unless the heading is itself a question and
    the list is not one of questions: `### 5. What are the stages of RAG?` + `1. Retrieve ...`
    is a question answered by a list of steps.
    """
    first = lines.next_nonblank(n)
    if first is None or lines.fenced(first) or not _LIST_ITEM.match(lines.text(first)):
        return False
    if not looks_like_question(heading_text):
        return True
    items, _ = _collect_list(lines, first)
    return sum(looks_like_question(text) for _, _, text in items) >= _QUESTION_LIST_SHARE * len(items)


def _collect_list(lines: _Lines, n: int) -> tuple[list[tuple[int, str, str]], int]:
    """Consecutive numbered items (blank lines between are allowed) as (line, number, text)."""
    items: list[tuple[int, str, str]] = []
    while n <= len(lines):
        line = lines.text(n)
        if not line.strip():
            n += 1
            continue
        match = _LIST_ITEM.match(line)
        if lines.fenced(n) or not match:
            break
        items.append((n, match.group(1), match.group(2)))
        n += 1
    return items, n


def _questions_from_list(
    items: list[tuple[int, str, str]], path: tuple[str, ...]
) -> tuple[list[DraftEntry], list[UnparsedLine]]:
    if all(_TOC_LINK.match(text) for _, _, text in items):
        return [], []
    question_like = [looks_like_question(text) for _, _, text in items]
    if sum(question_like) >= _QUESTION_LIST_SHARE * len(items):
        return [
            DraftEntry(
                number=number,
                question=strip_inline_markup(text),
                kind=EntryKind.QUESTION_ONLY,
                section_path=path,
                line_start=line,
                line_end=line,
            )
            for line, number, text in items
        ], []
    dropped = [UnparsedLine(line, f"{number}. {text}") for (line, number, text), q in zip(items, question_like) if q]
    return [], dropped


def _parse_entry(
    lines: _Lines, start: int, number: str, raw_question: str, path: tuple[str, ...]
) -> tuple[DraftEntry, int]:
    end = start + 1
    while end <= len(lines) and not lines.is_boundary(end):
        end += 1
    body = list(range(start + 1, end))
    entry = DraftEntry(
        number=number,
        question=strip_inline_markup(raw_question),
        kind=EntryKind.QUESTION_ONLY,
        section_path=path,
        line_start=start,
        line_end=_last_nonblank(lines, body, default=start),
    )
    _fill_body(lines, entry, body)
    if entry.answer.strip():
        entry.kind = EntryKind.QA
    return entry, end


def _last_nonblank(lines: _Lines, numbers: list[int], default: int) -> int:
    for n in reversed(numbers):
        if lines.text(n).strip():
            return n
    return default


def _fill_body(lines: _Lines, entry: DraftEntry, body: list[int]) -> None:
    answer: list[str] = []
    follow_ups: list[str] = []
    scenario: DraftEntry | None = None
    scenario_lines: list[int] = []
    scenario_answer: list[str] = []
    mode = "answer"

    def close_scenario() -> None:
        if scenario is not None:
            scenario.answer = _join(scenario_answer)
            scenario.line_end = _last_nonblank(lines, scenario_lines, scenario.line_start)
            entry.children.append(scenario)

    for n in body:
        line = lines.text(n)
        if not lines.fenced(n):
            if _ANSWER_MARK.match(line) and mode != "scenario":
                mode = "answer"
                line = _ANSWER_MARK.sub("", line)
                if not line.strip():
                    continue
            elif _FOLLOWUPS_MARK.match(line):
                mode = "follow_ups"
                continue
            elif match := _SCENARIO_Q.match(line):
                close_scenario()
                scenario = DraftEntry(
                    number=match.group(1),
                    question=strip_inline_markup(match.group(2)),
                    kind=EntryKind.SCENARIO,
                    section_path=entry.section_path,
                    line_start=n,
                    line_end=n,
                )
                scenario_lines, scenario_answer = [n], []
                mode = "scenario"
                continue
            elif (match := _SCENARIO_A.match(line)) and scenario is not None:
                scenario_lines.append(n)
                scenario_answer.append(match.group(2))
                mode = "scenario"
                continue
        if mode == "scenario":
            scenario_lines.append(n)
            if scenario_answer:
                scenario_answer.append(line)
            elif line.strip() and scenario is not None:
                scenario.question = f"{scenario.question} {line.strip()}".strip()
        elif mode == "follow_ups":
            bullet = _BULLET.match(line)
            if bullet and not lines.fenced(n):
                follow_ups.append(bullet.group(1).strip())
            elif line.strip() and follow_ups:
                follow_ups[-1] = f"{follow_ups[-1]} {line.strip()}"
        else:
            answer.append(line)
    close_scenario()
    entry.answer = _join(answer)
    entry.follow_ups = tuple(follow_ups)


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()
