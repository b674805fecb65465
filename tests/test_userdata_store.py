"""The user-data store, one suite run against both backends: the embedded SQLite file and a real
PostgreSQL server (tests/pg_server.py). Feedback, practice cards (real fsrs.Card states), the
review log, bookmarks, export/import, idempotent schema creation, and replicas writing at once.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from userdata.errors import UserDataError
from userdata.postgres_store import PostgresStore
from userdata.sql_base import SqlUserStore
from userdata.sqlite_store import SQLiteStore
from userdata.store import DEFAULT_USER, open_store

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(make_store):
    return make_store()


# -- feedback ----------------------------------------------------------------------------------


def test_feedback_is_recorded_replaced_and_deleted(store):
    assert store.feedback() == []
    store.record_feedback(session="s", message=2, rating=1, query="what is lora", entry_ids=["a#1", "b#2"], status="ok")
    store.record_feedback(session="s", message=4, rating=0, query="q2")
    store.record_feedback(session="s", message=2, rating=0, query="what is lora", entry_ids=["a#1", "b#2"])
    rows = store.feedback()
    assert sorted((r.message, r.rating) for r in rows) == [(2, 0), (4, 0)]
    first = next(r for r in rows if r.message == 2)
    assert first.entry_ids == ("a#1", "b#2") and first.standalone_query == "what is lora"
    assert first.user_key == DEFAULT_USER and first.created_at.tzinfo is not None
    store.record_feedback(session="s", message=4, rating=None, query="q2")
    assert [r.message for r in store.feedback()] == [2]
    assert store.feedback("someone-else") == []


# -- practice progress -------------------------------------------------------------------------


def test_a_real_fsrs_card_round_trips_with_its_due_time(store):
    fsrs = pytest.importorskip("fsrs")
    scheduler = fsrs.Scheduler()
    card, log = scheduler.review_card(fsrs.Card(), fsrs.Rating.Good, review_datetime=T0)
    store.record_review(
        DEFAULT_USER, "e#1", rating=int(log.rating), reviewed_at=T0, grade_score=0.62, card=card.to_dict(), due=card.due
    )
    saved = store.card(DEFAULT_USER, "e#1")
    assert saved.card == card.to_dict() and saved.due == card.due and saved.updated_at == T0
    again = fsrs.Card.from_dict(saved.card)
    assert again.due == card.due and again.stability == card.stability
    [review] = store.reviews(DEFAULT_USER)
    assert (review.entry_id, review.rating, review.reviewed_at, review.grade_score) == ("e#1", 3, T0, 0.62)


def test_due_cards_come_back_in_due_order_and_only_when_due(store):
    for n, days in enumerate((3, 1, 2, 10)):
        store.record_review("u", f"e#{n}", rating=3, reviewed_at=T0, card={"n": n}, due=T0 + timedelta(days=days))
    due = store.due_cards("u", T0 + timedelta(days=2, hours=1))
    assert [c.entry_id for c in due] == ["e#1", "e#2"]
    assert [c.entry_id for c in store.due_cards("u", T0 + timedelta(days=30), limit=3)] == ["e#1", "e#2", "e#0"]
    assert store.due_cards(DEFAULT_USER, T0 + timedelta(days=30)) == []


def test_an_older_card_state_never_overwrites_a_newer_one(store):
    store.record_review("u", "e", rating=4, reviewed_at=T0 + timedelta(hours=2), card={"v": "new"}, due=T0)
    store.record_review("u", "e", rating=1, reviewed_at=T0, card={"v": "old"}, due=T0)  # arrives late
    assert store.card("u", "e").card == {"v": "new"}
    assert [r.rating for r in store.reviews("u", "e")] == [1, 4]  # both gradings are in the log, in time order


def test_bad_reviews_are_refused_with_a_message(store):
    with pytest.raises(UserDataError, match="1 \\(again\\) to 4 \\(easy\\)"):
        store.record_review("u", "e", rating=5, reviewed_at=T0)
    with pytest.raises(UserDataError, match="no time zone"):
        store.record_review("u", "e", rating=3, reviewed_at=datetime(2026, 1, 1))
    assert store.reviews("u") == []


def test_bookmarks(store):
    store.set_bookmark("u", "e#2")
    store.set_bookmark("u", "e#1")
    store.set_bookmark("u", "e#2")  # twice is once
    assert sorted(b.entry_id for b in store.bookmarks("u")) == ["e#1", "e#2"]
    store.set_bookmark("u", "e#2", on=False)
    assert [b.entry_id for b in store.bookmarks("u")] == ["e#1"]


# -- export / import ---------------------------------------------------------------------------


def test_export_then_import_into_another_user_and_again_changes_nothing(store):
    store.record_review("u", "e#1", rating=3, reviewed_at=T0, grade_score=0.5, card={"s": 1}, due=T0)
    store.record_review("u", "e#1", rating=4, reviewed_at=T0 + timedelta(days=1), grade_score=0.9)
    store.set_bookmark("u", "e#7")
    store.record_feedback(session="s1", message=1, rating=1, query="q", entry_ids=["e#1"], user_key="u")
    exported = json.loads(json.dumps(store.export_user("u")))  # through JSON, as a file would be
    assert exported["format"] == "qbank-userdata" and len(exported["reviews"]) == 2

    counts = store.import_user(exported, user_key="v")
    assert (counts.cards, counts.reviews, counts.bookmarks) == (1, 2, 1)
    assert store.card("v", "e#1").card == {"s": 1}
    assert [r.grade_score for r in store.reviews("v")] == [0.5, 0.9]
    again = store.import_user(exported, user_key="v")
    assert (again.cards, again.reviews, again.bookmarks) == (1, 0, 0)  # the same state re-applied, no new rows
    assert len(store.reviews("v")) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": "something else"}, "not a qbank export"),
        ({"format": "qbank-userdata", "version": 99, "user": "u"}, "version 99"),
        (
            {"format": "qbank-userdata", "version": 1, "user": "u", "reviews": [{"entry_id": "e", "rating": 3}]},
            "reviews\\[0\\] has no 'reviewed_at'",
        ),
        (
            {
                "format": "qbank-userdata",
                "version": 1,
                "user": "u",
                "cards": [{"entry_id": "e", "card": {}, "due": "tomorrow", "updated_at": "2026-01-01T00:00:00+00:00"}],
            },
            "not an ISO time",
        ),
    ],
)
def test_a_bad_import_file_is_refused_whole(store, data, message):
    with pytest.raises(UserDataError, match=message):
        store.import_user(data)
    assert store.reviews("u") == [] and store.cards("u") == []


# -- many replicas ---------------------------------------------------------------------------------


def at_once(replica, count: int) -> list[BaseException]:
    """Run replica(0) … replica(count - 1) in threads started together; the errors they raised."""
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            replica(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_schema_creation_is_idempotent_and_safe_for_replicas_starting_together(make_store):
    def start_replica(n: int) -> None:
        replica = make_store()
        replica._ready.discard(replica.describe())  # as a fresh process would: create the schema
        replica.set_bookmark("u", f"e#{n}")

    assert at_once(start_replica, 6) == []
    assert len(make_store().bookmarks("u")) == 6


def test_replicas_writing_the_same_rows_at_once_lose_nothing(make_store):
    def replica(n: int) -> None:
        store = make_store()
        for i in range(15):
            store.record_feedback(session="shared", message=i, rating=n % 2, query=f"q{i}")
            store.record_review("u", f"e#{i}", rating=1 + n % 4, reviewed_at=T0 + timedelta(seconds=n * 100 + i))
            store.record_review(
                "u", "hot", rating=3, reviewed_at=T0 + timedelta(minutes=n, seconds=i), card={"by": n, "i": i}, due=T0
            )

    assert at_once(replica, 4) == []
    store = make_store()
    assert len(store.feedback()) == 15  # one row per (session, message), whoever wrote last
    assert len(store.reviews("u")) == 4 * 15 + 4 * 15
    assert store.card("u", "hot").card == {"by": 3, "i": 14}  # the latest review wins, whatever the write order


# -- configuration and failures ----------------------------------------------------------------


def test_open_store_picks_the_backend_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("QBANK_DATABASE_URL", raising=False)
    monkeypatch.setenv("QBANK_USER_DB", str(tmp_path / "u.sqlite3"))
    assert isinstance(open_store(), SQLiteStore) and open_store().path == tmp_path / "u.sqlite3"
    monkeypatch.delenv("QBANK_USER_DB")
    monkeypatch.setenv("QBANK_FEEDBACK_DB", str(tmp_path / "old.sqlite3"))  # the older name still works
    assert open_store().path == tmp_path / "old.sqlite3"
    monkeypatch.delenv("QBANK_FEEDBACK_DB")
    assert open_store().path.parts[-2:] == ("data", "userdata.sqlite3")
    monkeypatch.setenv("QBANK_DATABASE_URL", "postgresql://qbank:secret@db.internal:5433/qbank")
    store = open_store()
    assert isinstance(store, PostgresStore)
    assert store.describe() == "PostgreSQL at db.internal:5433/qbank" and "secret" not in store.describe()
    monkeypatch.setenv("QBANK_DATABASE_URL", "mysql://x")
    with pytest.raises(UserDataError, match="postgresql://"):
        open_store()


def test_an_unreachable_postgres_is_one_line_without_the_password():
    from pg_server import _free_port

    store = PostgresStore(f"postgresql://qbank:hunter2@127.0.0.1:{_free_port()}/qbank")
    with pytest.raises(UserDataError) as caught:
        store.feedback()
    message = str(caught.value)
    assert "\n" not in message and "hunter2" not in message
    assert message.startswith("PostgreSQL at 127.0.0.1:") and "QBANK_DATABASE_URL" in message


def test_an_unwritable_sqlite_file_is_one_line_naming_the_variable(tmp_path):
    store = SQLiteStore(tmp_path)  # a directory: SQLite cannot open it
    with pytest.raises(UserDataError, match="QBANK_USER_DB"):
        store.record_feedback(session="s", message=1, rating=1, query="q")


def test_an_old_feedback_file_gains_the_user_column_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as conn:  # the table as ui/feedback_store.py made it
        conn.execute(
            "CREATE TABLE feedback (session TEXT NOT NULL, message INTEGER NOT NULL, created_at TEXT NOT NULL, "
            "rating INTEGER NOT NULL, query TEXT NOT NULL, standalone_query TEXT NOT NULL, entry_ids TEXT NOT NULL, "
            "composer TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (session, message))"
        )
        conn.execute(
            "INSERT INTO feedback VALUES ('s', 1, '2026-11-30T10:00:00+00:00', 1, 'q', 'q', '[\"e#1\"]', 'offline', '')"
        )
    conn.close()
    [row] = SQLiteStore(path).feedback()
    assert (row.query, row.entry_ids, row.user_key, row.comment) == ("q", ("e#1",), DEFAULT_USER, "")


def test_a_thumbs_down_keeps_its_comment_and_older_databases_gain_the_column(make_store):
    store = make_store()
    if isinstance(store, PostgresStore):  # a database from before comments: the table without the column
        import psycopg

        with psycopg.connect(store.url) as conn:
            conn.execute(
                "CREATE TABLE feedback (session TEXT NOT NULL, message INTEGER NOT NULL, "
                "created_at TIMESTAMPTZ NOT NULL, rating INTEGER NOT NULL, query TEXT NOT NULL, "
                "standalone_query TEXT NOT NULL, entry_ids TEXT NOT NULL, "
                "composer TEXT NOT NULL, status TEXT NOT NULL, user_key TEXT NOT NULL DEFAULT 'local', "
                "PRIMARY KEY (session, message))"
            )
        SqlUserStore._ready.discard(store.describe())
    store.record_feedback(session="s", message=1, rating=0, query="q", comment="  cites the   wrong entry ")
    store.record_feedback(session="s", message=2, rating=1, query="q2")
    assert [(r.message, r.comment) for r in make_store().feedback()] == [(1, "cites the wrong entry"), (2, "")]
    exported = store.export_user(DEFAULT_USER)
    assert exported["feedback"][0]["comment"] == "cites the wrong entry"
    del exported["feedback"][1]["comment"]  # an export from before comments still imports
    store.import_user(exported, "other")
    assert [r.comment for r in store.feedback("other")] == ["cites the wrong entry", ""]
