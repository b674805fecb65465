"""Practice mode in AppTest: a spaced-repetition session (grade, then Again/Good), the cards kept
across an app restart, bookmarks, "ask about this", vanished entries; and grading with the real model."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from app_testing import (
    app_env,  # noqa: F401  (a fixture, used through pytestmark)
    app_index_dir,  # noqa: F401  (a fixture app_env needs)
    assert_no_exception,
    shown_text,
    start_app,
)

from answer.practice import RestatedQuestion, grade_answer, references_for
from practice.scheduler import suggested_rating
from userdata.sqlite_store import SQLiteStore

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("app_env")]
BANK = "000_4976b01af1e11b90.txt"


def _practice(at) -> dict:
    return at.session_state["practice"]


def _store() -> SQLiteStore:
    return SQLiteStore(Path(os.environ["QBANK_USER_DB"]))


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _open_practice(at):
    at.sidebar.radio(key="view").set_value("Practice").run()
    at.sidebar.multiselect(key="filter_banks").set_value([BANK]).run()
    assert_no_exception(at)
    return at


def _current(at) -> str:
    state = _practice(at)
    return state["queue"][state["position"]]


def test_a_session_grades_rates_and_reschedules_and_survives_a_restart():
    from retrieval.searcher import Searcher

    searcher = Searcher.open()
    at = _open_practice(start_app())
    assert not at.chat_input, "the chat box belongs to the chat view"
    before = _metrics(at)
    assert before["Due now"] == "0" and before["Due later today"] == "0"
    new_before = int(before["New"])
    assert new_before == int(before["In deck"]) > 0
    at.number_input(key="practice-size").set_value(3).run()
    at.button(key="practice-start").click().run()
    assert_no_exception(at)
    assert len(_practice(at)["queue"]) == 3

    rated = {}
    for rating, answer_with_reference in ((1, False), (3, True), (3, True)):
        entry_id = _current(at)
        entry = searcher.entry(entry_id)
        assert entry.bank_file == BANK and entry.has_answer
        assert entry.question in shown_text(at.main)
        assert not [b for b in at.button if b.key and b.key.startswith("practice-rate-")], "rate after grading"
        text = entry.answer if answer_with_reference else "Bananas are yellow and grow on trees in warm countries."
        at.text_area(key=f"practice-answer-{entry_id}").set_value(text).run()
        at.button(key="practice-check").click().run()
        assert_no_exception(at)
        grade = _practice(at)["grade"]
        assert grade is not None and grade.points
        assert grade.score > 0.3 if answer_with_reference else grade.score < 0.5
        page = shown_text(at.main)
        assert "Covered" in page and "Missed" in page and "How well did you know it?" in page
        suggested = at.button(key=f"practice-rate-{suggested_rating(grade.score)}")
        assert suggested.proto.type == "primary", "the grade suggests a rating"
        at.button(key=f"practice-rate-{rating}").click().run()
        assert_no_exception(at)
        rated[entry_id] = (rating, grade.score)

    page = shown_text(at.main)
    assert "Session summary" in page
    assert _metrics(at)["Cards reviewed"] == "3" and _metrics(at)["Again"] == "1" and _metrics(at)["Good"] == "2"
    cards = {c.entry_id: c for c in _store().cards("local")}
    assert set(cards) == set(rated)
    now = datetime.now(UTC)
    for entry_id, (rating, _) in rated.items():
        gap = cards[entry_id].due - now
        assert timedelta(0) < gap <= timedelta(minutes=10 if rating == 3 else 1)
    reviews = _store().reviews("local")
    assert {(r.entry_id, r.rating, r.grade_score) for r in reviews} == {(e, r, s) for e, (r, s) in rated.items()}
    after = _metrics(at)
    assert int(after["New"]) == new_before - 3
    assert int(after["Due now"]) + int(after["Due later today"]) == 3

    # A restart: a new app process state, the same user database.
    again = _open_practice(start_app())
    metrics = _metrics(again)
    assert int(metrics["New"]) == new_before - 3
    assert int(metrics["Due now"]) + int(metrics["Due later today"]) == 3
    listed = shown_text(again.main)
    for entry_id, (rating, _) in rated.items():
        question = searcher.entry(entry_id).question
        line = next(line for line in listed.splitlines() if question[:60] in line and "due " in line)
        assert f"last rated {({1: 'Again', 3: 'Good'})[rating]}" in line and "learning" in line


def test_bookmark_ask_about_this_and_vanished_cards():
    at = _open_practice(start_app())
    at.number_input(key="practice-size").set_value(2).run()
    at.button(key="practice-start").click().run()
    first = _current(at)
    at.button(key="practice-bookmark").click().run()
    assert_no_exception(at)
    assert [b.entry_id for b in _store().bookmarks("local")] == [first]
    assert at.button(key="practice-bookmark").label.startswith("Saved")
    at.segmented_control(key="practice-deck").set_value("Bookmarks").run()
    assert _metrics(at)["In deck"] == "1"
    # A card whose entry is not in the index: reported, kept.
    _store().record_review(
        "local",
        "999_gone.txt#7",
        rating=3,
        reviewed_at=datetime.now(UTC),
        card={"state": 2},
        due=datetime.now(UTC) + timedelta(days=1),
    )
    at.run()
    assert any("no longer in the banks" in w.value and "999\\_gone" in w.value for w in at.warning)
    assert "999_gone.txt#7" in {c.entry_id for c in _store().cards("local")}
    # "Ask about this" takes the card's question to the chat.
    question = at.session_state["practice"]["queue"][0]
    at.button(key="practice-ask").click().run()
    assert_no_exception(at)
    assert at.session_state["view"] == "Chat"
    from retrieval.searcher import Searcher

    assert at.session_state["turns"][-2].content == Searcher.open().entry(question).question


def _concept_drift(searcher):
    entry = next(e for e in searcher.entries if e.question.startswith("What is concept drift") and e.has_answer)
    return references_for(searcher, entry)


def test_grading_with_the_real_model(real_searcher):
    searcher = real_searcher
    references = _concept_drift(searcher)
    with pytest.raises(RestatedQuestion):
        grade_answer(references[0].question, references, searcher.embed)  # repeating the question is refused
    vague = grade_answer("It's when the data distribution shifts.", references, searcher.embed)
    off = grade_answer("Bananas are yellow and grow on trees.", references, searcher.embed)
    assert vague.score > off.score
    assert off.score == 0.0


@pytest.mark.xfail(
    strict=True,
    reason="known weakness (issue 9 practice grading): an answer that restates the question's wording is "
    "discounted, so this correct answer opening with 'Concept drift is when' scores below a vague one",
)
def test_a_good_answer_that_restates_the_question_beats_a_vague_one(real_searcher):
    references = _concept_drift(real_searcher)
    good = grade_answer(
        "Concept drift is when the relationship between the inputs and the target changes over time, so P(y|x) "
        "in production differs from training. It is worse than data drift and you need to retrain, e.g. when "
        "fraud patterns change.",
        references,
        real_searcher.embed,
    )
    vague = grade_answer("It's when the data distribution shifts.", references, real_searcher.embed)
    assert good.score > vague.score
