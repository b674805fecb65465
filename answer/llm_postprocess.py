"""Checking a generated answer against its sources: citations validated, unsupported claims dropped or flagged.

First, what the model echoed from the prompt is removed: source headers, the banks' questions
("Q: ..."), quote markers ("> ") and "A:" prefixes (the quoted text itself stays and is checked).
Then per unit (sentence, bullet, table row, code block) of the model's markdown:
- citation markers are normalized to `[n]`; numbers that point at no packed source are removed;
- a unit is kept with the cited sources that support it (`answer.support`);
- a unit with no citation, or whose citations do not support it, is re-cited to the packed source
  that supports it best, if one does;
- otherwise it is dropped (or, with `unsupported="flag"`, kept with a visible flag);
- a unit that echoes the prompt's instructions is always dropped; questions and units without a
  content word are not claims and go too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from answer.llm_prompt import BOILERPLATE
from answer.support import CITATION, SupportChecker, Unit, UnitKind, content_words, join_units, split_units
from ingest.entry import Entry
from textkit.markdown_blocks import FENCE

UNSUPPORTED_FLAG = "⚠️ *(not supported by the bank)*"
LEAK_OVERLAP = 0.6  # share of a unit's content words that come from the system prompt
LEAK_MIN_WORDS = 4

# "[Source 1]", "[1, 2]", "[1-3]", "【1】", "[^1]", "(Source 2)" → "[1][2]..."
_LOOSE_CITATION = re.compile(
    r"[\[【]\s*\^?\s*(?:sources?|src|ref|refs)?\s*(\d+(?:\s*(?:[,;]|and|[-–])\s*(?:sources?\s*)?\d+)*)\s*[\]】]"
    r"|\(\s*(?:sources?|src)\s+(\d+(?:\s*[,;]\s*\d+)*)\s*\)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+")
_MARKER = re.compile(r"\[(\d+)\]")
_TRAILING_PUNCT = re.compile(r"([.!?:;]+[\"')\]*_]*)$")
_PROMPT_WORDS = content_words(BOILERPLATE)
# Echoes of the prompt's source listing: "[1] Bank title (file.txt), section: …, question 12",
# "> Q: What is …?", 'Question: "…"'.
_SOURCE_HEADER = re.compile(
    r"^\s*(?:source\s*)?(?:\[\d+\])?.*\(\S+\.(?:txt|md|markdown|csv|tsv|json|jsonl)\),\s*section:", re.I
)
_QUOTE_MARK = re.compile(r"^(\s*>)+\s?")
_QA_PREFIX = re.compile(r"^\s*(?:\*\*)?(q|a|question|answer)(?:\*\*)?\s*:(?:\*\*)?\s*", re.I)
_LEADING_LABEL = re.compile(r"^\s*(?:source\s*)?(?:\[\d+\])+\s*:?\s*", re.I)


class UnitStatus(StrEnum):
    KEPT = "kept"  # supported by (some of) the entries it cites
    RECITED = "recited"  # uncited or miscited, supported by another packed source: citation replaced
    FLAGGED = "flagged"  # unsupported, kept with a visible flag
    DROPPED = "dropped"  # unsupported, removed
    LEAK = "leak"  # echoes the prompt's instructions, removed
    NOT_A_CLAIM = "not_a_claim"  # a question, or no content word ("Yes."), removed
    LAYOUT = "layout"  # headings and table rules: no claim


@dataclass(frozen=True, slots=True)
class CheckedUnit:
    original: str
    text: str  # as it stands in the final answer ("" when removed)
    kind: UnitKind
    status: UnitStatus
    cited: tuple[int, ...]  # citations in the final text
    score: float  # best support score (max of word overlap and cosine)


@dataclass(frozen=True, slots=True)
class CheckedAnswer:
    markdown: str
    cited: tuple[int, ...]  # source numbers cited in the final markdown, ascending
    units: tuple[CheckedUnit, ...]
    invalid_citations: int  # markers removed because they pointed at no source
    echoed_lines: int = 0  # lines of the prompt's source listing the model repeated, removed
    cut_tail: bool = False  # the answer hit the token limit and its unfinished last unit was removed

    def count(self, *statuses: UnitStatus) -> int:
        return sum(u.status in statuses for u in self.units)

    @property
    def claims(self) -> tuple[CheckedUnit, ...]:
        return tuple(u for u in self.units if u.status in (UnitStatus.KEPT, UnitStatus.RECITED, UnitStatus.FLAGGED))

    def notices(self) -> tuple[str, ...]:
        out = []
        if self.invalid_citations:
            out.append(f"removed {self.invalid_citations} citation(s) to sources that were not given to the model")
        dropped = self.count(UnitStatus.DROPPED)
        if dropped:
            out.append(f"removed {dropped} sentence(s) of the model's answer that no bank entry supports")
        flagged = self.count(UnitStatus.FLAGGED)
        if flagged:
            out.append(f"flagged {flagged} sentence(s) of the model's answer that no bank entry supports")
        if self.count(UnitStatus.LEAK):
            out.append("removed text that repeated the assistant's instructions")
        if self.cut_tail:
            out.append("the model hit its token limit; its unfinished last sentence was removed")
        if self.echoed_lines:
            out.append(f"removed {self.echoed_lines} line(s) that repeated the source listing")
        return tuple(out)


def normalize_citations(text: str) -> str:
    """Every citation style the models use, rewritten as adjacent `[n]` markers."""

    def repl(match: re.Match[str]) -> str:
        body = match.group(1) or match.group(2)
        numbers = [int(n) for n in _NUMBER.findall(body)]
        if len(numbers) == 2 and re.search(r"[-–]", body) and 0 < numbers[1] - numbers[0] < 10:
            numbers = list(range(numbers[0], numbers[1] + 1))
        return "".join(f"[{n}]" for n in dict.fromkeys(numbers))

    return _LOOSE_CITATION.sub(repl, text)


def cited_numbers(text: str) -> list[int]:
    return [int(n) for n in dict.fromkeys(_MARKER.findall(text))]


def without_markers(text: str) -> str:
    """The text without citation markers, including a leading "[1]" or "Source [1]:" label (not a bullet's dash)."""
    bullet = re.match(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+", text)
    head, body = (text[: bullet.end()], text[bullet.end() :]) if bullet else ("", text)
    body = _LEADING_LABEL.sub("", body)
    return (head + re.sub(r"\s*" + CITATION.pattern, "", body)).strip()


def with_markers(text: str, numbers: tuple[int, ...], kind: UnitKind) -> str:
    """`text` with its markers replaced by `numbers`, placed before the closing punctuation (after code)."""
    bare = without_markers(text)
    markers = "".join(f"[{n}]" for n in numbers)
    if not markers:
        return bare
    if kind is UnitKind.CODE:
        return f"{bare}\n{markers}"
    if kind is UnitKind.TABLE_ROW:
        cells = bare.rstrip().rstrip("|").rstrip()
        return f"{cells} {markers} |"
    match = _TRAILING_PUNCT.search(bare)
    if match and not bare.endswith(("**", "*")):
        return f"{bare[: match.start()].rstrip()} {markers}{match.group(1)}"
    return f"{bare} {markers}"


def is_leak(text: str) -> bool:
    mine = content_words(text)
    return len(mine) >= LEAK_MIN_WORDS and len(mine & _PROMPT_WORDS) / len(mine) >= LEAK_OVERLAP


def strip_echo(text: str) -> tuple[str, int]:
    """The text without repeated source headers and bank questions, quote markers and "A:" prefixes removed."""
    lines: list[str] = []
    removed = 0
    in_code = False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            in_code = not in_code
        if in_code:
            lines.append(line)
            continue
        if _SOURCE_HEADER.match(line):
            removed += 1
            continue
        line = _QUOTE_MARK.sub("", line)
        label = _QA_PREFIX.match(line)
        if label:
            if label.group(1).lower() in ("q", "question"):
                removed += 1
                continue
            line = line[label.end() :]
        lines.append(line)
    return "\n".join(lines), removed


def drop_unfinished_tail(text: str) -> tuple[str, bool]:
    """Text cut off by the token limit, without its last unit unless that one ends like a finished one."""
    units = split_units(text)
    if not units:
        return text, False
    last = units[-1]
    if last.kind is UnitKind.CODE:
        finished = sum(bool(FENCE.match(line.lstrip())) for line in last.text.split("\n")) >= 2
    else:
        finished = bool(re.search(r"[.!?|]$", without_markers(last.text).rstrip(" *_\"')")))
    if finished:
        return text, False
    return join_units(units, [True] * (len(units) - 1) + [False]), True


def check_answer(
    text: str,
    sources: Mapping[int, Entry],
    checker: SupportChecker,
    unsupported: Literal["drop", "flag"] = "drop",
    truncated: bool = False,
) -> CheckedAnswer:
    """`truncated`: generation stopped at the token limit, so the last unit may be unfinished."""
    cleaned, echoed = strip_echo(normalize_citations(text))
    cut = False
    if truncated:
        cleaned, cut = drop_unfinished_tail(cleaned)
    units = split_units(cleaned)
    header_rows = {k - 1 for k, u in enumerate(units) if u.kind is UnitKind.TABLE_RULE}
    checked: list[CheckedUnit] = []
    invalid = 0
    for k, unit in enumerate(units):
        if unit.kind in (UnitKind.HEADING, UnitKind.TABLE_RULE) or k in header_rows:
            checked.append(CheckedUnit(unit.text, unit.text, unit.kind, UnitStatus.LAYOUT, (), 0.0))
            continue
        numbers = cited_numbers(unit.text)
        valid = tuple(n for n in numbers if n in sources)
        invalid += len(numbers) - len(valid)
        checked.append(_check_unit(unit, valid, sources, checker, unsupported))
    checked = _drop_orphan_layout(checked)
    keep = [bool(c.text) for c in checked]
    final_units = [Unit(c.text, u.kind, u.sep) for c, u in zip(checked, units)]
    markdown = join_units(final_units, keep).strip()
    cited = tuple(sorted({n for c in checked for n in c.cited}))
    return CheckedAnswer(markdown, cited, tuple(checked), invalid, echoed, cut)


def _check_unit(
    unit: Unit,
    valid: tuple[int, ...],
    sources: Mapping[int, Entry],
    checker: SupportChecker,
    unsupported: Literal["drop", "flag"],
) -> CheckedUnit:
    claim = without_markers(unit.text)
    if is_leak(claim):
        return CheckedUnit(unit.text, "", unit.kind, UnitStatus.LEAK, (), 0.0)
    if not content_words(claim) or _is_question(claim, unit.kind):  # "Yes.", a marker, a question: no claim
        return CheckedUnit(unit.text, "", unit.kind, UnitStatus.NOT_A_CLAIM, (), 0.0)
    numbers = list(sources)
    scores = checker.check_each(claim, [sources[n] for n in numbers])
    support = dict(zip(numbers, scores))
    best_score = max((s.score for s in scores), default=0.0)
    backing = tuple(n for n in valid if support[n].supported)
    if backing:
        return CheckedUnit(
            unit.text, with_markers(unit.text, backing, unit.kind), unit.kind, UnitStatus.KEPT, backing, best_score
        )
    others = [n for n in numbers if support[n].supported]
    if others:
        best = max(others, key=lambda n: support[n].score)
        text = with_markers(unit.text, (best,), unit.kind)
        return CheckedUnit(unit.text, text, unit.kind, UnitStatus.RECITED, (best,), best_score)
    if unsupported == "flag":
        text = f"{with_markers(unit.text, valid, unit.kind)} {UNSUPPORTED_FLAG}"
        return CheckedUnit(unit.text, text, unit.kind, UnitStatus.FLAGGED, valid, best_score)
    return CheckedUnit(unit.text, "", unit.kind, UnitStatus.DROPPED, (), best_score)


def _is_question(claim: str, kind: UnitKind) -> bool:
    return kind in (UnitKind.SENTENCE, UnitKind.BULLET) and claim.rstrip(" *_\"'”)").endswith("?")


def _drop_orphan_layout(units: list[CheckedUnit]) -> list[CheckedUnit]:
    """Headings and table headers with no kept claim under them go too."""
    out = list(units)
    for k, unit in enumerate(out):
        if unit.status is not UnitStatus.LAYOUT:
            continue
        following: list[CheckedUnit] = []
        for u in out[k + 1 :]:
            if unit.kind is UnitKind.HEADING and u.kind is UnitKind.HEADING:
                break
            if unit.kind is not UnitKind.HEADING and u.kind not in (UnitKind.TABLE_ROW, UnitKind.TABLE_RULE):
                break
            following.append(u)
        if not any(u.text and u.status is not UnitStatus.LAYOUT for u in following):
            out[k] = CheckedUnit(unit.original, "", unit.kind, UnitStatus.LAYOUT, (), 0.0)
    return out
