"""The chat in AppTest on the real banks and model: cited answers, sources, follow-ups, compare,
out-of-scope replies, filters, and injection strings that stay text."""

from __future__ import annotations

import pytest
from app_testing import (
    all_markdown,
    app_env,  # noqa: F401  (a fixture, used through pytestmark)
    app_index_dir,  # noqa: F401  (a fixture app_env needs)
    ask,
    assert_no_exception,
    assistant_messages,
    renders_raw_html,
    shown_text,
    start_app,
    unescape,
)

from answer.types import AnswerStatus, Intent

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("app_env")]


def test_ask_gives_a_cited_answer_with_sources():
    at = start_app()
    assert at.chat_input, "the chat box is there"
    turn = ask(at, "What is KV caching?")
    answer = turn.answer
    assert answer.status is AnswerStatus.ANSWERED
    assert "[1]" in answer.markdown
    message = assistant_messages(at)[-1]
    assert any("[1]" in unescape(body) for body in all_markdown(message))  # shown as text: escaped markdown
    labels = [e.label for e in message.expander]
    for citation in answer.citations:
        assert any(label.startswith(f"\\[{citation.n}\\]") for label in labels), labels
    assert "kv cach" in answer.citations[0].entry.question.lower()
    # A feedback widget and the composer under the answer.
    assert len(message.get("feedback")) == 1
    assert any("offline composer" in c for c in all_markdown(message))


def test_opening_a_source_shows_the_whole_entry():
    at = start_app()
    turn = ask(at, "What is the implementation difference between MHA, MQA, and GQA?")
    citation = turn.answer.citations[0]
    entry = citation.entry
    source = next(e for e in assistant_messages(at)[-1].expander if e.label.startswith(f"\\[{citation.n}\\]"))
    text = shown_text(source)
    assert entry.bank_title in text and entry.bank_file in text and entry.section in text
    assert f"#{entry.number}" in text
    assert f"lines {entry.line_start}–{entry.line_end}" in text
    assert "**Question:**" in text
    if entry.id.startswith("001_accef8ba4d48adff#500"):
        assert "```" in text, "code blocks are kept as markdown code (highlighted by the browser)"


def test_source_lists_follow_ups_and_scenarios():
    at = start_app()
    turn = ask(at, "Explain the bias-variance tradeoff.")
    with_follow_ups = [c for c in turn.answer.citations if c.entry.follow_ups]
    assert with_follow_ups, [c.entry.id for c in turn.answer.citations]
    citation = with_follow_ups[0]
    source = next(e for e in assistant_messages(at)[-1].expander if e.label.startswith(f"\\[{citation.n}\\]"))
    text = shown_text(source)
    assert "**Follow-ups**" in text
    assert citation.entry.follow_ups[0] in text


def test_follow_up_is_answered_in_context():
    at = start_app()
    ask(at, "What is LoRA?")
    turn = ask(at, "What are its advantages?")
    search = turn.answer.search
    assert "lora" in search.standalone_query.lower()
    assert turn.answer.citations
    message = assistant_messages(at)[-1]
    assert any(c.startswith("Searched as:") for c in [c.value for c in message.caption])
    assert len(at.session_state["turns"]) == 4


def test_compare_shows_sides_in_columns():
    at = start_app()
    turn = ask(at, "LoRA vs prefix tuning")
    answer = turn.answer
    assert answer.intent is Intent.COMPARE
    assert len(answer.compare) >= 2
    message = assistant_messages(at)[-1]
    columns = message.columns
    assert len(columns) >= 2
    headings = [m.value for col in columns for m in col.markdown]
    for side in answer.compare:
        assert any(side.label.lower() in unescape(h).lower() for h in headings), (side.label, headings)


def test_variants_compare_is_one_click_away():
    at = start_app()
    turn = ask(at, "What is the difference between discriminative and generative models?")
    assert turn.answer.citations
    buttons = [b for b in at.button if b.key and b.key.startswith("compare-variants-")]
    assert buttons, [b.key for b in at.button]
    buttons[0].click().run()
    assert_no_exception(at)
    compared = at.session_state["turns"][-1].answer
    assert compared.intent is Intent.COMPARE
    assert compared.compare, "the versions are shown side by side"


def test_similar_question_click_asks_it():
    at = start_app()
    ask(at, "What is KV caching?")
    similar = [b for b in at.button if b.key and b.key.startswith("similar-")]
    assert similar
    similar[0].click().run()
    assert_no_exception(at)
    turns = at.session_state["turns"]
    assert len(turns) == 4
    assert turns[-1].answer is not None


def test_out_of_scope_says_so():
    at = start_app()
    turn = ask(at, "What is the best pizza topping in Naples?")
    answer = turn.answer
    assert answer.status is AnswerStatus.NOT_COVERED
    assert not answer.citations
    message = assistant_messages(at)[-1]
    assert not message.expander or all(not e.label.startswith("\\[") for e in message.expander)


def test_filters_scope_the_chat():
    at = start_app()
    bank = "000_4976b01af1e11b90.txt"
    at.sidebar.multiselect(key="filter_banks").set_value([bank]).run()
    assert_no_exception(at)
    assert any("scoped by the filters" in c.value for c in at.caption)
    turn = ask(at, "What is the attention mechanism?")
    assert turn.answer.citations
    assert {c.entry.bank_file for c in turn.answer.citations} == {bank}

    at.sidebar.multiselect(key="filter_banks").set_value([]).run()
    # Sections are picked per bank; bank 001's "Transformer Architecture" is one bank's section only.
    sections = at.sidebar.pills(key="filter_sections::001_accef8ba4d48adff.txt")
    sections.set_value(["transformer architecture"]).run()
    turn = ask(at, "What is the attention mechanism?")
    assert turn.answer.citations
    assert all(
        "Transformer Architecture" in c.entry.section_path and c.entry.bank_file == "001_accef8ba4d48adff.txt"
        for c in turn.answer.citations
    )

    at.sidebar.pills(key="filter_sections::001_accef8ba4d48adff.txt").set_value([]).run()
    at.sidebar.toggle(key="filter_answered").set_value(True).run()
    turn = ask(at, "Describe how backpropagation works.")  # asked word for word in a bank without answers
    assert turn.answer.citations
    assert all(c.entry.has_answer for c in turn.answer.citations)

    at.sidebar.toggle(key="filter_answered").set_value(False).run()
    turn = ask(at, "What is the attention mechanism?")
    assert len({c.entry.bank_file for c in turn.answer.citations}) > 1, "without filters other banks come back"


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "What is <img src=x onerror=alert(1)> attention?"],
)
def test_injection_strings_render_as_text(payload):
    at = start_app()
    at.chat_input[0].set_value(payload).run()
    assert_no_exception(at)
    user = [m for m in at.chat_message if m.name == "user"][-1]
    shown = user.markdown[0].value
    assert unescape(shown) == payload  # displayed literally
    assert not at.get("html"), "nothing is rendered as HTML"
    for node in at.get("markdown") + at.get("caption"):
        assert not node.proto.allow_html
        assert not renders_raw_html(node.value), node.value
    for expander in at.expander:
        assert not renders_raw_html(expander.label)
    for button in at.button:
        assert not renders_raw_html(button.label)


def test_example_question_is_one_click_away():
    at = start_app()
    at.button(key="example-0").click().run()
    assert_no_exception(at)
    turns = at.session_state["turns"]
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[-1].answer.citations
    assert not [b for b in at.button if b.key and b.key.startswith("example-")], "the welcome is gone"
