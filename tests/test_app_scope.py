"""The sidebar scope: sections grouped by bank in the bank's order with case duplicates merged,
topics from the index, bank titles readable everywhere; the chat and the practice deck follow it."""

from __future__ import annotations

import pytest
from app_testing import (
    app_env,  # noqa: F401  (a fixture)
    app_index_dir,  # noqa: F401  (a fixture app_env needs)
    ask,
    assert_no_exception,
    start_app,
    unescape,
)

from ingest.entry import Entry, EntryKind
from ui.scope import section_choices, section_members

BANK_003 = "003_8da98e45320d8b09.txt"


def _entry(n: int, bank: str, section: tuple[str, ...]) -> Entry:
    return Entry(
        id=f"{bank}#{n}", bank_file=bank, bank_title=bank, section_path=section, number=str(n), question=f"Q{n}?",
        answer="A.", follow_ups=(), kind=EntryKind.QA, parent_id=None, line_start=n * 10, line_end=n * 10 + 5,
        token_count=3,
    )  # fmt: skip


def test_sections_keep_the_bank_order_merge_case_and_stay_in_their_bank():
    entries = [
        _entry(1, "a.md", ("1. Basics",)),
        _entry(2, "a.md", ("2. Models",)),
        _entry(10, "a.md", ("10. Serving",)),
        _entry(11, "a.md", ("10.  serving",)),  # a case/spacing duplicate
        _entry(3, "a.md", ("2. Models", "Trees")),
        _entry(1, "b.md", ("Fundamentals",)),
        _entry(2, "c.md", ("fundamentals",)),
    ]
    choices = section_choices(entries)
    assert [c.label for c in choices["a.md"]] == ["1. Basics", "2. Models", "Trees", "10. Serving"]
    assert list(choices) == ["a.md", "b.md", "c.md"]
    members = section_members(entries, {"a.md": ["10. serving"], "c.md": ["fundamentals"]})
    assert members == {"a.md#10", "a.md#11", "c.md#2"}, "b.md's Fundamentals is another bank's section"
    assert section_members(entries, {"a.md": []}) is None
    assert section_choices(entries, ["b.md"]).keys() == {"b.md"}


@pytest.mark.slow
@pytest.mark.usefixtures("app_env")
def test_sidebar_sections_topics_and_titles():
    at = start_app()
    total = int(at.sidebar.caption[1].value.split(" of ")[1].split()[0])
    # Bank titles: the untitled bank reads as a name, not as its file.
    banks = at.sidebar.multiselect(key="filter_banks")
    shown = list(banks.options)  # the labels the user reads
    assert any("Bank 002 — Deep Learning / ML Fundamentals" in o for o in shown), shown
    # Sections of one bank, in its order; choosing one narrows the scope to it.
    pills = at.sidebar.pills(key=f"filter_sections::{BANK_003}")
    labels = [unescape(getattr(o, "content", o)) for o in pills.options]  # labels are escaped markdown
    numbered = [label for label in labels if label[:1].isdigit()]
    assert numbered[:3] == ["1. AI, ML, DL Fundamentals", "2. Generative AI Concepts", "3. Mathematics for AI"]
    assert numbered.index("10. Generative Adversarial Networks (GANs)") > numbered.index(
        "9. VAE Applications & Comparisons"
    )
    pills.set_value(["2. generative ai concepts"]).run()
    assert_no_exception(at)
    caption = at.sidebar.caption[1].value
    assert caption.endswith(f"of {total} entries in scope") and int(caption.split()[0]) < 20
    pills.set_value([]).run()
    # A topic narrows the chat: every source of the answer is in the topic.
    from retrieval.searcher import Searcher
    from retrieval.topic_map import topic_map

    projection = topic_map(Searcher.open())
    attention = next(t for t in projection.topics if "attention" in t.name)
    at.sidebar.multiselect(key="filter_topics").set_value([attention.id]).run()
    assert_no_exception(at)
    assert at.sidebar.caption[1].value == f"{attention.size} of {total} entries in scope"
    turn = ask(at, "How does attention work in transformers?")
    members = projection.members([attention.id])
    assert turn.answer.citations and all(c.entry.id in members for c in turn.answer.citations)
    # The practice deck is the same scope: the count the sidebar shows is repeated there.
    at.sidebar.radio(key="view").set_value("Practice").run()
    assert any(f"among the {attention.size} entries in scope" in c.value for c in at.main.caption)
