"""Two app replicas, one PostgreSQL: what a user does through one replica shows in the other.

Two `qbank ui` processes on different loopback ports share a throwaway PostgreSQL server
(tests/pg_server.py) through QBANK_DATABASE_URL, and the same read-only index. Headless Chromium
rates an answer in replica A and sees the rating listed in replica B's sidebar; it grades a
practice answer in replica B and sees it in replica A's practice history. The store both use
agrees.
"""

from __future__ import annotations

import re

import pytest
from app_testing import app_index_dir, wait_idle  # noqa: F401  (a fixture)

from eval.bench_app import CHROMIUM, app_server, ask, launch_browser, open_app
from userdata.postgres_store import PostgresStore

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
]
QUESTION = "What is KV caching?"
TIMEOUT_MS = 90_000


def _sidebar(page):
    return page.get_by_test_id("stSidebar")


def _open_view(page, name: str) -> None:
    _sidebar(page).get_by_text(name, exact=True).click()


def test_feedback_and_practice_given_in_one_replica_show_in_the_other(app_index_dir, postgres_server, tmp_path):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    database = postgres_server.new_database()
    env = {
        "QBANK_INDEX_DIR": str(app_index_dir),
        "QBANK_DATABASE_URL": database,
        "QBANK_USER_DB": str(tmp_path / "unused" / "never-written.sqlite3"),  # proves nothing falls back to SQLite
    }
    with app_server(env) as replica_a, app_server(env) as replica_b, playwright_api.sync_playwright() as playwright:
        assert replica_a.url != replica_b.url
        browser = launch_browser(playwright)
        try:
            page_a = open_app(browser, replica_a.url)
            page_b = open_app(browser, replica_b.url)

            # A: rate an answer.
            message, _ = ask(page_a, QUESTION)
            message.get_by_role("radio", name="Thumbs up").click()
            page_a.get_by_text("Thanks — feedback saved.").wait_for(timeout=TIMEOUT_MS)

            # B: a new page view lists it under "Your ratings".
            page_b.reload()
            ratings = _sidebar(page_b).get_by_test_id("stMarkdown").filter(has_text=QUESTION)
            ratings.first.wait_for(timeout=TIMEOUT_MS)
            assert "1 helpful · 0 not helpful" in _sidebar(page_b).inner_text()

            # B: a practice card graded and rated.
            _open_view(page_b, "Practice")
            page_b.get_by_role("button", name="Start a session").click()
            page_b.get_by_role("button", name="Check my answer").wait_for(timeout=TIMEOUT_MS)
            question = page_b.get_by_test_id("stMain").locator("h4").first.inner_text().strip()
            page_b.get_by_label("Your answer").fill("It caches the keys and values of earlier tokens.")
            page_b.get_by_label("Your answer").press("Tab")
            page_b.get_by_role("button", name="Check my answer").click()
            page_b.get_by_text("How well did you know it?").wait_for(timeout=TIMEOUT_MS)
            page_b.get_by_role("button", name=re.compile(r"^Good · ")).click()
            page_b.get_by_text(re.compile(r"Card 2 of \d+")).wait_for(timeout=TIMEOUT_MS)  # rated and stored

            # A: its card list, read from the shared store, has B's card.
            page_a.reload()
            _open_view(page_a, "Practice")
            page_a.get_by_text("Your cards (1)").wait_for(timeout=TIMEOUT_MS)
            wait_idle(page_a, TIMEOUT_MS)  # the expander opened during the view's run could be closed again by it
            page_a.get_by_text("Your cards (1)").click()
            line = page_a.get_by_test_id("stMain").locator("li").filter(has_text=question[:40]).first
            line.wait_for(timeout=TIMEOUT_MS)
            assert "last rated Good" in line.inner_text()
        finally:
            browser.close()

    store = PostgresStore(database)
    [rating] = store.feedback()
    assert (rating.query, rating.rating) == (QUESTION, 1)
    [review] = store.reviews("local")
    assert review.grade_score is not None and 1 <= review.rating <= 4
    assert not (tmp_path / "unused").exists()
