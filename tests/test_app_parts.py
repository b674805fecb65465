"""Fast tests of the app's parts that need no model: feedback store, export, launcher, topic map,
practice grading (with the hashing test embedder)."""

from __future__ import annotations

import socket
from datetime import datetime

import numpy as np

from answer.practice import pick_question, practice_pool
from answer.types import Answer, AnswerStatus, Citation, CompareSide, Intent
from index.clusters import project
from ingest.entry import Entry, EntryKind
from retrieval.types import SearchFilters
from ui.app_browse import hover_text, picked_from_selection, question_from_selection
from ui.app_export import conversation_markdown
from ui.app_launch import app_url, port_free, run_app, streamlit_command
from ui.app_state import Turn
from ui.cli import build_parser


def make_entry(n: int, question: str, answer: str = "", bank: str = "b1.md", section=("S",), **kw) -> Entry:
    return Entry(
        id=f"{bank}#{n}",
        bank_file=bank,
        bank_title=f"Bank {bank}",
        section_path=tuple(section),
        number=str(n),
        question=question,
        answer=answer,
        follow_ups=(),
        kind=kw.pop("kind", EntryKind.QA if answer else EntryKind.QUESTION_ONLY),
        parent_id=None,
        line_start=10 * n,
        line_end=10 * n + 3,
        token_count=10,
        **kw,
    )


# -- export ------------------------------------------------------------------------------------


def test_conversation_markdown_has_questions_answers_and_sources():
    lora = make_entry(3, "What is LoRA?", "Low-rank adapters.", section=("Fine-tuning", "PEFT"))
    prefix = make_entry(7, "What is prefix tuning?", "Trainable prefixes.", bank="b2.md")
    answer = Answer(
        query="LoRA vs prefix tuning",
        intent=Intent.COMPARE,
        status=AnswerStatus.ANSWERED,
        markdown="LoRA adds low-rank adapters [1]; prefix tuning learns prefixes [2].",
        citations=(Citation(1, lora), Citation(2, prefix)),
        compare=(CompareSide("LoRA", (("low-rank adapters", 1),), (("no inference latency", 1),)),),
        notices=("the LLM backend failed; offline answer shown",),
    )
    turns = [
        Turn(1, "user", "LoRA vs prefix tuning"),
        Turn(2, "assistant", answer.markdown, answer=answer),
        Turn(3, "user", "pizza?"),
        Turn(4, "assistant", "", error="Something went wrong"),
    ]
    text = conversation_markdown(turns, now=datetime(2025, 1, 2, 3, 4))
    assert text.startswith("# qbank conversation — 2025-01-02 03:04")
    assert "## Q: LoRA vs prefix tuning" in text
    assert "LoRA adds low-rank adapters [1]" in text
    assert "[1] What is LoRA? — Bank b1.md · b1.md · Fine-tuning › PEFT · #3 · lines 30–33" in text
    assert "[2] What is prefix tuning?" in text
    assert "**LoRA**: low-rank adapters [1] — adds: no inference latency [1]" in text
    assert "> Note: the LLM backend failed; offline answer shown" in text
    assert "> Error: Something went wrong" in text


def test_exported_sources_are_a_list_labels_are_not_doubled_and_fences_hold_no_citations():
    lora = make_entry(3, "What is LoRA?", "Low-rank adapters.")
    prefix = make_entry(7, "What is prefix tuning?", "Trainable prefixes.", bank="b2.md")
    markdown = "LoRA in code [1]:\n\n```python [1] [2]\nmodel = get_peft_model(model, config)\n```\n"
    answer = Answer(
        query="LoRA vs prefix tuning",
        intent=Intent.COMPARE,
        status=AnswerStatus.ANSWERED,
        markdown=markdown,
        citations=(Citation(1, lora), Citation(2, prefix)),
        compare=(CompareSide("LoRA", (("**LoRA**: low-rank adapters", 1),), ()),),
    )
    text = conversation_markdown(
        [Turn(1, "user", "LoRA vs prefix tuning"), Turn(2, "assistant", markdown, answer=answer)]
    )
    sources = text.split("**Sources**", 1)[1].strip().splitlines()
    assert sources[0].startswith("- [1] What is LoRA?") and sources[1].startswith("- [2] What is prefix tuning?")
    assert "**LoRA**: low-rank adapters [1]" in text and "**LoRA**: **LoRA**:" not in text
    assert "```python\n" in text and "[1] [2]\n\n```python" in text
    assert not any(line.startswith("```") and "[" in line for line in text.splitlines())


# -- launcher ----------------------------------------------------------------------------------


def test_streamlit_command_is_headless_without_usage_stats():
    command = streamlit_command("127.0.0.1", 8765)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("ui/app.py")
    for flag in (
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--server.address=127.0.0.1",
        "--server.port=8765",
        "--client.showErrorDetails=none",
    ):
        assert flag in command


def test_ui_subcommand_defaults():
    args = build_parser().parse_args(["ui"])
    assert (args.host, args.port) == ("127.0.0.1", 8501)
    args = build_parser().parse_args(["ui", "--port", "9000", "--host", "0.0.0.0"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    assert app_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert app_url("::1", 9000) == "http://[::1]:9000"


def test_busy_port_is_reported(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not port_free("127.0.0.1", port)
        assert run_app("127.0.0.1", port) == 2
    assert "in use" in capsys.readouterr().err


# -- topic map ---------------------------------------------------------------------------------


def test_projection_is_pca_and_stable():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 16)).astype(np.float32)
    base[:, 0] *= 10  # the widest direction
    base[:, 1] *= 5
    xy = project(base)
    assert xy.shape == (200, 2)
    assert xy[:, 0].var() > xy[:, 1].var() > 0
    assert abs(np.corrcoef(xy[:, 0], base[:, 0])[0, 1]) > 0.99
    again = project(base.copy())
    assert np.allclose(xy, again)
    empty = project(np.zeros((0, 16), dtype=np.float32))
    assert empty.shape == (0, 2)


def test_hover_text_is_escaped():
    entry = make_entry(1, "<img src=x onerror=alert(1)> what is it?", "a")
    text = hover_text(entry)
    assert "<img" not in text and "&lt;img" in text


def test_clicked_point_gives_its_question():
    assert question_from_selection({"points": [{"customdata": ["question", "What is LoRA?"]}]}) == "What is LoRA?"
    assert question_from_selection({"points": [{"point_index": 3}, {"customdata": ["question", "Q?"]}]}) == "Q?"
    assert question_from_selection({"points": [{"customdata": ["topic", "3"]}]}) is None, "a topic is no question"
    assert picked_from_selection({"points": [{"customdata": ["topic", "3"]}]}) == ("topic", "3")
    assert question_from_selection({"points": []}) is None
    assert question_from_selection(None) is None


# -- practice ----------------------------------------------------------------------------------


def test_practice_pool_and_pick():
    entries = [
        make_entry(1, "Answered?", "- Some answer here"),
        make_entry(2, "Unanswered?"),
        make_entry(3, "Other bank?", "- Another answer here", bank="b2.md"),
    ]
    assert [e.number for e in practice_pool(entries)] == ["1", "3"]
    assert [e.number for e in practice_pool(entries, SearchFilters(banks=frozenset({"b2.md"})))] == ["3"]
    import random

    rng = random.Random(1)
    assert pick_question(entries, None, rng, exclude=["b1.md#1"]).number == "3"
    assert pick_question(entries, None, rng, exclude=["b1.md#1", "b2.md#3"]) is not None  # all seen: start over
    assert pick_question(entries, SearchFilters(banks=frozenset({"nope"}))) is None
