"""Property-based round trips for parse_markdown, one generator per bank format.

Each test builds a bank from generated questions, answers and follow-ups, remembering the line
every entry was written on, then checks that parse_markdown gives back exactly those entries:
number, question, answer, follow-ups, kind, section path and line range, and nothing unparsed.
The formats are the ones the shipped banks use (see the ingest acceptance tests in
test_ingest_banks.py):

- `### N. Question` + `**Answer:** ...`                                (banks 000 and 004)
- `**N. Question**` + bullet answers, sometimes with fenced code         (bank 001)
- numbered list of bold questions `N. **Question**`                    (bank 002, first part)
- plain numbered question list under `## N. Section` headings          (bank 003)
- `### 🔹 **N. Question**` / `### **N. Question**` + `**Follow-ups:**`   (bank 002)
- `**Scenario Question N.M:**` / `**Scenario Answer N.M:**` in an entry (bank 004)
"""

from __future__ import annotations

import codecs
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ingest.entry import EntryKind
from ingest.markdown_parser import DraftEntry, parse_markdown
from ingest.reader import read_bank_text
from ingest.text_repair import find_mojibake, repair_mojibake

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words that open a question (all in the parser's prompt-word list, so lists read as questions).
OPENERS = ["What", "Why", "How", "Explain", "Describe", "Compare", "When", "Which", "Can", "Is"]
# Body words, including the awkward tokens real banks contain: inline code with underscores and
# stars, C#, P(y|x), Unicode maths, curly quotes, accents, an emoji inside a sentence.
WORDS = [
    "model",
    "attention",
    "gradient",
    "LoRA",
    "RAG",
    "C#",
    "P(y|x)",
    "O(n²)",
    "`__init__`",
    "`**kwargs`",
    "x_i",
    "naïve",
    "café",
    "it’s",
    "“drift”",
    "—",
    "ε-greedy",
    "k-means",
    "10,000",
    "2.5×",
    "e.g.,",
    "(BPE)",
    "F1-score",
    "🔹",
    "softmax",
    "the",
    "and",
    "of",
    "in",
]
# Words that open answer lines and section names; none is a prompt word, a marker or markup.
PLAIN = ["Training", "Models", "Attention", "Data", "Overfitting", "Scaling", "Tokens", "Layers", "Batch", "Loss"]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)


@st.composite
def questions(draw) -> tuple[str, str]:
    """(as written in the bank, as the parser should return it): one word may be set in bold."""
    body = draw(words)
    end = draw(st.sampled_from(["?", ".", "?"]))
    plain = " ".join([draw(st.sampled_from(OPENERS)), *body]) + end
    tokens = plain[:-1].split(" ")
    bold = draw(st.none() | st.integers(0, len(tokens) - 1))
    if bold is not None and not tokens[bold].startswith(("*", "_")):
        tokens[bold] = f"**{tokens[bold]}**"
    return " ".join(tokens) + end, plain


@st.composite
def prose_lines(draw, min_lines: int = 1, max_lines: int = 3) -> list[str]:
    count = draw(st.integers(min_lines, max_lines))
    return [" ".join([draw(st.sampled_from(PLAIN)), *draw(words)]) + "." for _ in range(count)]


@st.composite
def code_block(draw) -> list[str]:
    """A fenced block whose lines look like headings, entries and rules but are code."""
    fence = draw(st.sampled_from(["```", "~~~", "````"]))
    inner = draw(
        st.lists(
            st.sampled_from(
                [
                    "# MHA: Separate K,V per head",
                    "### 3. not a heading",
                    "**4. Not an entry?**",
                    "---",
                    "1. What is not a list item?",
                    "**Answer:** still code",
                    "**Follow-ups:**",
                    "K = [K_1, K_2]  # h matrices",
                    "```" if fence == "````" else "x = 1",
                ]
            ),
            min_size=1,
            max_size=6,
        )
    )
    return [fence + draw(st.sampled_from(["", "python"])), *inner, fence]


@st.composite
def answers(draw) -> list[str]:
    """Answer lines: paragraphs, bullets, numbered steps and fenced code, blank-line separated."""
    blocks: list[list[str]] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["prose", "bullets", "steps", "code"]))
        if kind == "prose":
            blocks.append(draw(prose_lines()))
        elif kind == "bullets":
            blocks.append([f"- {line}" for line in draw(prose_lines(1, 4))])
        elif kind == "steps":
            blocks.append([f"{i}. {line}" for i, line in enumerate(draw(prose_lines(1, 4)), start=1)])
        else:
            blocks.append(draw(code_block()))
    lines: list[str] = []
    for block in blocks:
        if lines:
            lines.append("")
        lines.extend(block)
    return lines


@dataclass
class Bank:
    """A bank under construction: its lines and the entries the parser should find in it."""

    lines: list[str] = field(default_factory=list)
    expected: list[dict] = field(default_factory=list)

    def add(self, *lines: str) -> int:
        """Append lines; return the 1-based number of the first one."""
        start = len(self.lines) + 1
        self.lines.extend(lines)
        return start

    @property
    def last(self) -> int:
        return len(self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def flatten(entries: list[DraftEntry]) -> list[dict]:
    out = []
    for entry in entries:
        out.append(as_dict(entry))
        out.extend(as_dict(child) for child in entry.children)
    return out


def as_dict(entry: DraftEntry) -> dict:
    return {
        "number": entry.number,
        "question": entry.question,
        "answer": entry.answer,
        "follow_ups": entry.follow_ups,
        "kind": entry.kind,
        "section_path": entry.section_path,
        "lines": (entry.line_start, entry.line_end),
    }


def expect(bank: Bank, number, question, answer, follow_ups, kind, section, start, end) -> None:
    bank.expected.append(
        {
            "number": str(number),
            "question": question,
            "answer": answer,
            "follow_ups": tuple(follow_ups),
            "kind": kind,
            "section_path": section,
            "lines": (start, end),
        }
    )


# -- one writer per format ---------------------------------------------------------------------


def write_heading_answer(draw, bank: Bank, section: tuple[str, ...], first: int, count: int) -> None:
    """`### N. Question` / `**Answer:** first line` / more answer lines."""
    for number in range(first, first + count):
        written, plain = draw(questions())
        body = draw(answers())
        inline = draw(st.booleans()) and not body[0].startswith(("```", "~~~", "- ", "1. "))
        start = bank.add(f"### {number}. {written}")
        if inline:
            bank.add(f"**Answer:** {body[0]}", *body[1:])
        else:
            bank.add("**Answer:**", *body)
        expect(bank, number, plain, "\n".join(body), (), EntryKind.QA, section, start, bank.last)
        bank.add("")


def write_bold_bullets(draw, bank: Bank, section: tuple[str, ...], first: int, count: int) -> None:
    """`**N. Question**` followed directly by bullet answers (and sometimes a code block)."""
    for number in range(first, first + count):
        written, plain = draw(questions())
        body = [f"- {line}" for line in draw(prose_lines(1, 4))]
        if draw(st.booleans()):
            body = draw(st.sampled_from([body, []])) + draw(code_block())
        start = bank.add(f"**{number}. {written}**", *body)
        expect(bank, number, plain, "\n".join(body), (), EntryKind.QA, section, start, bank.last)
        bank.add("")


def write_list(draw, bank: Bank, section: tuple[str, ...], first: int, count: int, bold: bool) -> None:
    """A numbered list of questions, bold or plain; items may be separated by blank lines."""
    spaced = draw(st.booleans())
    for number in range(first, first + count):
        written, plain = draw(questions())
        line = bank.add(f"{number}. **{written}**" if bold else f"{number}. {written}")
        expect(bank, number, plain, "", (), EntryKind.QUESTION_ONLY, section, line, line)
        if spaced:
            bank.add("")
    bank.add("")


def write_follow_ups(draw, bank: Bank, section: tuple[str, ...], first: int, count: int) -> None:
    """`### 🔹 **N. Question**` or `### **N. Question**`, then `**Follow-ups:**` bullets."""
    emoji = draw(st.sampled_from(["🔹 ", ""]))
    ruled = draw(st.booleans())
    for number in range(first, first + count):
        written, plain = draw(questions())
        follow_ups = [q for _, q in draw(st.lists(questions(), min_size=1, max_size=4))]
        start = bank.add(f"### {emoji}**{number}. {written}**")
        bank.add(*([""] if ruled else []), "**Follow-ups:**", *[f"- {f}" for f in follow_ups])
        expect(bank, number, plain, "", follow_ups, EntryKind.QUESTION_ONLY, section, start, bank.last)
        bank.add("", *(["---", ""] if ruled else []))


def write_scenarios(draw, bank: Bank, section: tuple[str, ...], first: int, count: int) -> None:
    """`### N. Question` + answer, then `**Scenario Question N.M:**` / `**Scenario Answer N.M:**`."""
    for number in range(first, first + count):
        written, plain = draw(questions())
        body = draw(prose_lines(1, 3))
        start = bank.add(f"### {number}. {written}", f"**Answer:** {body[0]}", *body[1:])
        parent = len(bank.expected)
        expect(bank, number, plain, "\n".join(body), (), EntryKind.QA, section, start, bank.last)
        for sub in range(1, draw(st.integers(0, 2)) + 1):
            _, scenario_q = draw(questions())
            scenario_a = draw(prose_lines(1, 3))
            bank.add("")
            q_line = bank.add(f"**Scenario Question {number}.{sub}:** {scenario_q}")
            bank.add("", f"**Scenario Answer {number}.{sub}:** {scenario_a[0]}", *scenario_a[1:])
            expect(
                bank,
                f"{number}.{sub}",
                scenario_q,
                "\n".join(scenario_a),
                (),
                EntryKind.SCENARIO,
                section,
                q_line,
                bank.last,
            )
            bank.expected[parent]["lines"] = (start, bank.last)
        bank.add("")


WRITERS = {
    "heading_answer": write_heading_answer,
    "bold_bullets": write_bold_bullets,
    "bold_list": lambda draw, bank, section, first, count: write_list(draw, bank, section, first, count, True),
    "plain_list": lambda draw, bank, section, first, count: write_list(draw, bank, section, first, count, False),
    "follow_ups": write_follow_ups,
    "scenarios": write_scenarios,
}


@st.composite
def banks(draw, formats: list[str]) -> Bank:
    """A titled bank of 1-4 sections, each holding 1-5 numbered entries in one of `formats`."""
    bank = Bank()
    bank.add("# Interview Bank", "", "Intro text for the bank.", "")
    number = 1
    for index in range(draw(st.integers(1, 4))):
        fmt = draw(st.sampled_from(formats))
        name = " ".join(draw(st.lists(st.sampled_from(PLAIN), min_size=1, max_size=3)))
        # Bank 003 style: a numbered section heading over a question list titles a section.
        if fmt.endswith("_list") and draw(st.booleans()):
            name = f"{index + 1}. {name}"
        bank.add(f"## {name}", "")
        # Numbering either continues across sections or restarts at 1.
        number = draw(st.sampled_from([1, number]))
        count = draw(st.integers(1, 5))
        WRITERS[fmt](draw, bank, (name,), number, count)
        number += count
        if draw(st.booleans()):
            bank.add("---", "")
    return bank


def check_round_trip(bank: Bank) -> None:
    parsed = parse_markdown(bank.text)
    assert parsed.title == "Interview Bank"
    assert parsed.unparsed == []
    assert flatten(parsed.entries) == bank.expected


@SETTINGS
@given(banks(["heading_answer"]))
def test_heading_and_answer_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(["bold_bullets"]))
def test_bold_question_with_bullets_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(["bold_list"]))
def test_numbered_list_of_bold_questions_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(["plain_list"]))
def test_plain_numbered_question_list_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(["follow_ups"]))
def test_follow_ups_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(["scenarios"]))
def test_scenario_pairs_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(list(WRITERS)))
def test_mixed_formats_round_trip(bank: Bank) -> None:
    check_round_trip(bank)


@SETTINGS
@given(banks(list(WRITERS)), st.booleans(), st.booleans())
def test_bom_crlf_and_missing_final_newline_read_the_same(bank: Bank, bom: bool, final_newline: bool) -> None:
    raw = ("\r\n".join(bank.lines) + ("\r\n" if final_newline else "")).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.md"
        path.write_bytes((codecs.BOM_UTF8 if bom else b"") + raw)
        text = read_bank_text(path)
    assert "\r" not in text
    assert not text.startswith("\ufeff")
    assert flatten(parse_markdown(text).entries) == bank.expected


# Tokens of the kind the banks really carry: curly quotes, dashes, accents, maths, emoji (with
# a variation selector). Non-ASCII characters only touch where they do in real prose.
TOKENS = st.sampled_from(
    [
        *["it’s", "“drift”", "—", "–", "café", "naïve", "Größe", "’”"],
        *["2×", "n²", "ε-greedy", "√d", "∂L/∂w", "→", "αβ", "🔹", "🛠️", "⚡"],
        *["model", "the", "?", ",", "(x)"],
    ]
)
bank_text = st.lists(TOKENS, min_size=1, max_size=12).map(" ".join)


@SETTINGS
@given(bank_text, st.sampled_from(["mac_roman", "cp1252", "latin-1"]))
def test_mojibake_repair_round_trip(text: str, codec: str) -> None:
    # Bank 002 is UTF-8 that was decoded as Mac Roman; cp1252 and Latin-1 are the other usual culprits.
    mangled = text.encode("utf-8").decode(codec, errors="strict") if codec != "cp1252" else _cp1252(text)
    assume(mangled is not None and not text.isascii())
    assert mangled != text
    assert find_mojibake(mangled)
    assert repair_mojibake(mangled) == text
    assert find_mojibake(repair_mojibake(mangled)) == []


@SETTINGS
@given(bank_text)
def test_doubly_encoded_windows_mojibake_is_repaired(text: str) -> None:
    # Only Windows/Latin-1 double encoding ("Ã¢â‚¬â„¢") is undone twice. Doubly-mangled Mac Roman
    # is not: its first repair yields text such as "√∂", which is real maths as often as it is
    # a mangled "ö", so the repair stops there (see ingest/text_repair.py).
    once = _cp1252(text)
    twice = _cp1252(once) if once is not None else None
    assume(twice is not None)
    assert repair_mojibake(twice) == text


@SETTINGS
@given(bank_text)
def test_clean_text_is_left_byte_for_byte_alone(text: str) -> None:
    assert repair_mojibake(text) == text
    assert find_mojibake(text) == []


def _cp1252(text: str) -> str | None:
    """Text mangled through cp1252, or None when a byte is one of the five cp1252 leaves undefined."""
    try:
        return text.encode("utf-8").decode("cp1252")
    except UnicodeDecodeError:
        return None
