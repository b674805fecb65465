"""End to end in headless Chromium: `qbank ui` on loopback, a question typed into the chat box, a
cited answer, its first source opened, a screenshot saved to test-artifacts/.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`; `make test` installs it
when missing) and Playwright's Python package, which drives it (Playwright's own browser download
does not work here).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_testing import REPO, app_index_dir  # noqa: F401  (a fixture)

from eval.bench_app import CHROMIUM, app_server, ask, finished_answers, launch_browser, open_app, open_first_source

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def browser_page(app_index_dir, tmp_path_factory):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    env = {
        "QBANK_INDEX_DIR": str(app_index_dir),
        "QBANK_USER_DB": str(tmp_path_factory.mktemp("userdata") / "userdata.sqlite3"),
    }
    requests: list[str] = []
    with app_server(env) as server, playwright_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            page = open_app(browser, server.url)
            page.on("request", lambda request: requests.append(request.url))
            yield page, server, requests
        finally:
            browser.close()


def test_question_answer_source_and_screenshot(browser_page):
    page, server, requests = browser_page
    message, _ = ask(page, "What is KV caching?")
    assert "[1]" in message.inner_text()
    details = open_first_source(message)
    text = details.inner_text()
    assert "Question:" in text and "KV" in text
    assert re.search(r"lines \d+–\d+", text)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "e2e-answer-with-source.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    remote = [url for url in requests if not url.startswith(server.url) and not url.startswith("data:")]
    assert not remote, f"the page fetched from other hosts: {remote[:5]}"


def test_injection_shows_as_text_in_the_browser(browser_page):
    page, _, _ = browser_page
    payload = '<img src=x onerror="window.__qbank_pwned=1"> <script>window.__qbank_pwned=2</script>'
    ask(page, payload)
    user_messages = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id("stChatMessageAvatarUser"))
    assert payload in user_messages.last.inner_text()
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("window.__qbank_pwned === undefined")


def test_follow_up_in_the_browser(browser_page):
    page, _, _ = browser_page
    ask(page, "What is LoRA?")
    message, _ = ask(page, "What are its advantages?")
    assert "Searched as:" in message.inner_text() and "LoRA" in message.inner_text()
    assert finished_answers(page).count() >= 2


def test_topic_map_hover_shows_and_click_asks_the_question(browser_page):
    page, _, _ = browser_page
    before = finished_answers(page).count()
    page.get_by_test_id("stSidebar").get_by_text("Topic map").click()
    points = page.locator(".js-plotly-plot .scatterlayer .trace .points path")
    points.first.wait_for(state="attached", timeout=30_000)
    assert points.count() > 1000, "every entry is a point"
    box = points.nth(200).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    hovered = page.locator(".hoverlayer").text_content() or ""
    question = hovered.split("?")[0]
    assert len(question) > 5, hovered
    page.mouse.click(x, y)
    page.wait_for_function(
        "(before) => [...document.querySelectorAll('[data-testid=\"stChatMessage\"]')]"
        ".filter(m => m.innerText.includes('source(s)')).length > before",
        arg=before,
        timeout=60_000,
    )
    users = page.get_by_test_id("stChatMessage").filter(has=page.get_by_test_id("stChatMessageAvatarUser"))
    assert question in users.last.inner_text()


def test_screenshot_artifact_path_is_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert "test-artifacts/" in ignored
    assert Path(ARTIFACTS).name == "test-artifacts"
