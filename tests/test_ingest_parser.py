"""Targeted regressions for parse_markdown and the mojibake repair: one example per pitfall."""

from __future__ import annotations

from ingest.entry import EntryKind
from ingest.markdown_parser import parse_markdown, strip_inline_markup
from ingest.text_repair import find_mojibake, repair_mojibake


def entries(text: str) -> list[tuple[str, str, str]]:
    return [(e.number, e.question, e.answer) for e in parse_markdown(text).entries]


def test_hash_at_the_end_of_a_question_is_kept() -> None:
    # A closing run of #s needs a space before it; "C#" and "F#" are words.
    text = "### 1. When would you pick C#\n**Answer:** On .NET.\n\n## Tools ##\n\n### 2. What is F#?\n**Answer:** ML."
    parsed = parse_markdown(text)
    assert [(e.question, e.section_path) for e in parsed.entries] == [
        ("When would you pick C#", ()),
        ("What is F#?", ("Tools",)),
    ]


def test_inline_code_keeps_underscores_stars_and_leading_backtick() -> None:
    assert strip_inline_markup("What does `__init__` do?") == "What does `__init__` do?"
    assert strip_inline_markup("Why pass `**kwargs`?") == "Why pass `**kwargs`?"
    assert strip_inline_markup("`torch.no_grad()` — when is it needed?") == "`torch.no_grad()` — when is it needed?"
    assert strip_inline_markup("What is **`vmap`** for?") == "What is `vmap` for?"
    assert strip_inline_markup("Is snake__case__name bold?") == "Is snake__case__name bold?"
    # Real emphasis and leading emoji decoration still go.
    assert strip_inline_markup("🔹 **1. What is __RAG__?**") == "1. What is RAG?"
    assert strip_inline_markup("🛠️ **Practical ML**") == "Practical ML"
    text = "**1. `torch.no_grad()` — when is it needed?**\n- At inference\n"
    assert entries(text) == [("1", "`torch.no_grad()` — when is it needed?", "- At inference")]


def test_numbered_heading_over_a_question_list_is_a_section() -> None:
    # Bank 003: `## 3. Mathematics for AI` titles the list of questions below it.
    text = "## 3. Mathematics for AI\n14. Why is probability fundamental?\n15. Explain mean and variance.\n"
    parsed = parse_markdown(text)
    assert [(e.number, e.kind, e.section_path) for e in parsed.entries] == [
        ("14", EntryKind.QUESTION_ONLY, ("3. Mathematics for AI",)),
        ("15", EntryKind.QUESTION_ONLY, ("3. Mathematics for AI",)),
    ]
    # Also when the section title itself starts like a question, as long as the list is questions.
    text = "## 2. How transformers work\n1. What is attention?\n2. Why multiple heads?\n"
    assert [e.section_path for e in parse_markdown(text).entries] == [("2. How transformers work",)] * 2


def test_question_heading_answered_by_a_numbered_list_of_steps_is_an_entry() -> None:
    # Before: the heading was taken for a section title and the steps were silently dropped.
    text = (
        "### 5. What are the stages of RAG?\n"
        "1. Retrieval of relevant chunks\n"
        "2. Augmentation of the prompt\n"
        "3. Generation of the answer\n"
        "\n"
        "### 6. What is a reranker?\n"
        "**Answer:** A second-stage scorer.\n"
    )
    parsed = parse_markdown(text)
    assert [(e.number, e.kind, e.line_start, e.line_end) for e in parsed.entries] == [
        ("5", EntryKind.QA, 1, 4),
        ("6", EntryKind.QA, 6, 7),
    ]
    assert parsed.entries[0].answer == (
        "1. Retrieval of relevant chunks\n2. Augmentation of the prompt\n3. Generation of the answer"
    )
    assert parsed.unparsed == []


def test_longer_fences_and_info_strings_follow_commonmark() -> None:
    text = "\n".join(
        [
            "**1. How do you show a code sample in markdown?**",
            "````markdown",
            "```python",
            "# not a heading",
            "**2. Not an entry**",
            "```",
            "````",
            "",
            "**3. What closes a fence?**",
            "```",
            "```python",  # an opening line with an info string cannot close the fence
            "### 4. still code",
            "```",
        ]
    )
    parsed = parse_markdown(text)
    assert [(e.number, e.line_start, e.line_end) for e in parsed.entries] == [("1", 1, 7), ("3", 9, 13)]
    assert parsed.entries[0].answer == "\n".join(text.split("\n")[1:7])
    assert parsed.entries[1].answer == "\n".join(text.split("\n")[9:13])


def test_unknown_numbered_question_formats_are_reported_not_dropped() -> None:
    text = (
        "# Bank\n\n"
        "**1. What is bagging?** (easy)\n\n"  # trailing note after the bold
        "  2. Why does boosting reduce bias?\n\n"  # indented list item
        "3) Explain stacking\n\n"  # `)` numbering, no question mark, outside any list context
        "Some closing prose.\n"
    )
    parsed = parse_markdown(text)
    assert [(u.line, u.text) for u in parsed.unparsed] == [
        (3, "**1. What is bagging?** (easy)"),
        (5, "2. Why does boosting reduce bias?"),
    ]
    # `3) Explain stacking` is a one-item question list, so it is an entry.
    assert entries(text) == [("3", "Explain stacking", "")]


def test_scenario_with_multi_line_question_and_answer() -> None:
    text = "\n".join(
        [
            "### 7. What is temperature?",
            "**Answer:** It scales logits.",
            "",
            "**Scenario Question 7.1:** Outputs are repetitive.",
            "What would you change?",
            "",
            "**Scenario Answer 7.1:**",
            "Raise the temperature.",
            "",
            "Or use nucleus sampling.",
            "",
            "**Scenario Question 7.2:** Outputs are random. Why?",
            "**Scenario Answer 7.2:** Temperature too high.",
        ]
    )
    [entry] = parse_markdown(text).entries
    assert (entry.answer, entry.line_start, entry.line_end) == ("It scales logits.", 1, 13)
    assert [(c.number, c.question, c.answer, c.line_start, c.line_end) for c in entry.children] == [
        (
            "7.1",
            "Outputs are repetitive. What would you change?",
            "Raise the temperature.\n\nOr use nucleus sampling.",
            4,
            10,
        ),
        ("7.2", "Outputs are random. Why?", "Temperature too high.", 12, 13),
    ]
    assert all(c.kind is EntryKind.SCENARIO for c in entry.children)


def test_follow_ups_with_wrapped_lines_and_an_answer() -> None:
    text = "\n".join(
        [
            "### **4. What is dropout?**",
            "**Answer:** Random zeroing.",
            "**Follow-ups:**",
            "- Why does it help",
            "  generalisation?",
            "* What changes at inference?",
        ]
    )
    [entry] = parse_markdown(text).entries
    assert (entry.kind, entry.answer) == (EntryKind.QA, "Random zeroing.")
    assert entry.follow_ups == ("Why does it help generalisation?", "What changes at inference?")


def test_title_is_the_first_h1_before_any_entry() -> None:
    parsed = parse_markdown(
        "Intro\n\n# Bank Title\n\n### 1. What?\n**Answer:** x\n\n# Part Two\n\n### 2. Why?\n**Answer:** y"
    )
    assert parsed.title == "Bank Title"
    assert [e.section_path for e in parsed.entries] == [(), ("Part Two",)]


def test_repair_leaves_legitimate_latin1_pairs_alone() -> None:
    # "×²" and "ß“" are valid cp1252 bytes for Hebrew/NKo letters; a repair there would be damage.
    for text in ("n×² growth", "Straß“e”", "3×10⁹ tokens, café, naïve — ok"):
        assert repair_mojibake(text) == text
        assert find_mojibake(text) == []


def test_repair_does_not_run_a_second_pass_over_its_own_output() -> None:
    # "×²" mangled through Mac Roman is "√ó¬≤"; one repair gives "×²" back and must stop there.
    assert repair_mojibake("n√ó¬≤") == "n×²"
    # Windows double encoding of ’ is undone in two steps.
    assert repair_mojibake("it\u00c3\u00a2\u00e2\u201a\u00ac\u00e2\u201e\u00a2s") == "it’s"
