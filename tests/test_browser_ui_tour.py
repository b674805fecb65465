"""A new user's tour in headless Chromium, one step after another, a screenshot of each in
test-artifacts/: the chat box focused on load; the topic map with its topic names; a click on a
topic narrows the chat scope; a practice session of 3 cards, graded and rated Again/Good; the app
restarted, the same cards found rescheduled and the due count moved; a section picked from the
list grouped by bank; 5,000 characters pasted into the chat and the length message.

Needs Debian's chromium at /usr/bin/chromium and Playwright's Python package (see test_browser_e2e.py).
"""

from __future__ import annotations

import json
import re

import pytest
from app_testing import REPO, app_index_dir, wait_idle  # noqa: F401  (a fixture)

from eval.bench_app import CHROMIUM, app_server, launch_browser, open_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
]
ARTIFACTS = REPO / "test-artifacts"
BANK_003_TITLE = "Generative AI Professional Program - Interview Questions"
WAIT = 60_000


def _shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"tour-{name}.png"
    if full_page:  # the app scrolls inside its main pane, so a taller window shows more of it
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": 1500})
        page.wait_for_timeout(500)
        page.screenshot(path=str(path))
        page.set_viewport_size(size)
    else:
        page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def _scope_caption(page) -> str:
    caption = page.get_by_test_id("stSidebar").get_by_text(re.compile(r"^\d+ of \d+ entries in scope$"))
    caption.wait_for(timeout=WAIT)
    return caption.inner_text()


def _wait_scope_change(page, before: str) -> str:
    page.wait_for_function(
        """(before) => [...document.querySelectorAll('[data-testid="stSidebar"] p')]
              .some(p => /^\\d+ of \\d+ entries in scope$/.test(p.innerText) && p.innerText !== before)""",
        arg=before,
        timeout=WAIT,
    )
    return _scope_caption(page)


def _view(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()


def _metric(page, label: str) -> int:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    metric.first.wait_for(timeout=WAIT)
    return int(metric.first.get_by_test_id("stMetricValue").inner_text())


def _wait_idle(page) -> None:
    wait_idle(page, WAIT)


def _answers(index_dir) -> dict[str, str]:
    """question → answer of every entry, read straight from the index's store (no model needed)."""
    from index.store import STORE_FILE, Store

    store = Store(index_dir / STORE_FILE)
    try:
        return {e.question: e.answer for e in store.entries()}
    finally:
        store.close()


def test_ui_tour(app_index_dir, tmp_path_factory):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    env = {
        "QBANK_INDEX_DIR": str(app_index_dir),
        "QBANK_USER_DB": str(tmp_path_factory.mktemp("tour") / "userdata.sqlite3"),
    }
    topics = json.loads((app_index_dir / "topics.json").read_text())["topics"]
    answers = _answers(app_index_dir)
    with playwright_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            with app_server(env) as server:
                page = open_app(browser, server.url, viewport=(1500, 1000))
                # The cursor is in the chat box on page load.
                page.wait_for_function(
                    "() => document.activeElement?.getAttribute('data-testid') === 'stChatInputTextArea'",
                    timeout=WAIT,
                )
                total = _scope_caption(page)

                # Practice before anything: the whole deck is new, nothing is due.
                _view(page, "Practice")
                new_before = _metric(page, "New")
                assert _metric(page, "Due now") == 0 and _metric(page, "Due later today") == 0

                # 1. The topic map, with every topic's name drawn on it.
                _view(page, "Topic map")
                names = page.locator(".js-plotly-plot .scatterlayer .trace .textpoint text")
                names.first.wait_for(state="attached", timeout=WAIT)
                drawn = {t.strip() for t in names.all_text_contents()}
                assert len(drawn) >= 8
                assert drawn == {t["name"] for t in topics}
                _shot(page, "1-topic-map")

                # 2. A click on a topic's name narrows the chat scope to it.
                topic = max(topics, key=lambda t: t["size"])
                label = names.filter(has_text=topic["name"]).first
                marker = page.locator(".js-plotly-plot .scatterlayer .trace").last.locator(".points path")
                box = marker.nth(topics.index(topic)).bounding_box()
                assert box and label.count() == 1
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(300)
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                scoped = _wait_scope_change(page, total)
                assert scoped.startswith(f"{topic['size']} of ")
                page.get_by_text("Scope narrowed to the topic").wait_for(timeout=WAIT)
                _shot(page, "2-topic-scope")

                # 3. A practice session of 3 cards: graded, then rated Again, Good, Good.
                _view(page, "Practice")
                size = page.get_by_label("Cards per session")
                size.wait_for(timeout=WAIT)
                size.fill("3")
                size.press("Enter")
                _wait_idle(page)
                page.get_by_role("button", name="Start a session").click()
                practised: list[str] = []
                for n, rating in enumerate(("Again", "Good", "Good"), start=1):
                    page.get_by_text(f"Card {n} of 3").wait_for(timeout=WAIT)
                    # The previous card's elements stay, greyed, until the run ends: wait for the new card alone.
                    page.wait_for_function(
                        """() => { const boxes = document.querySelectorAll('textarea[aria-label="Your answer"]');
                                   return boxes.length === 1 && boxes[0].value === ''; }""",
                        timeout=WAIT,
                    )
                    _wait_idle(page)
                    question = page.locator("h4").first.inner_text().strip()
                    practised.append(question)
                    reply = (
                        "Bananas are yellow and grow on trees in warm countries."
                        if rating == "Again"
                        else answers.get(question, "")
                    )
                    box = page.get_by_label("Your answer")
                    box.fill(reply)
                    box.press("Tab")
                    _wait_idle(page)
                    page.get_by_role("button", name="Check my answer").click()
                    page.get_by_text("How well did you know it?").wait_for(timeout=WAIT)
                    assert page.get_by_text("Key points covered").count() >= 1
                    if n == 2:
                        _wait_idle(page)
                        _shot(page, "3-practice-card-graded", full_page=True)
                    page.get_by_role("button", name=re.compile(rf"^{rating} · ")).click()
                    if n < 3:
                        page.get_by_text(f"Card {n + 1} of 3").wait_for(timeout=WAIT)
                page.get_by_text("Session summary").wait_for(timeout=WAIT)
                _wait_idle(page)
                assert (
                    _metric(page, "Cards reviewed") == 3 and _metric(page, "Again") == 1 and _metric(page, "Good") == 2
                )
                _shot(page, "3-practice-summary")

            # 4. Restart the app: the same cards, rescheduled; the due count moved by three.
            with app_server(env) as server:
                page = open_app(browser, server.url, viewport=(1500, 1000))
                _view(page, "Practice")
                assert _metric(page, "New") == new_before - 3
                assert _metric(page, "Due now") + _metric(page, "Due later today") == 3
                page.get_by_text("Your cards (3)").click()
                for question in practised:
                    line = page.locator("li").filter(has_text=question[:50]).first
                    line.wait_for(timeout=WAIT)
                    assert re.search(r"learning, due (now|in \d+ min), last rated (Again|Good)", line.inner_text())
                _shot(page, "4-after-restart")

                # 5. A section from the list grouped by bank.
                before = _scope_caption(page)
                sidebar = page.get_by_test_id("stSidebar")
                sidebar.get_by_text(f"Sections — {BANK_003_TITLE}").click()
                sidebar.get_by_role("button", name="2. Generative AI Concepts").click()
                after = _wait_scope_change(page, before)
                assert int(after.split()[0]) < int(before.split()[0])
                _shot(page, "5-section-scope")

                # 6. 5,000 characters pasted into the chat.
                _view(page, "Chat")
                chat = page.get_by_test_id("stChatInputTextArea")
                chat.wait_for(timeout=WAIT)
                chat.fill(("What is attention? " * 300)[:5000])
                chat.press("Enter")
                page.wait_for_timeout(3000)
                _wait_idle(page)
                _shot(page, "6-long-paste")
                main = page.locator("body").inner_text()
                assert re.search(r"5[,.\u202f ]?000 characters; the limit is", main), main[-500:]
        finally:
            browser.close()
