"""App benchmark in a real headless Chromium: cold start to first answer, and warm answer latency.

Run: `python -m eval.bench_app [--cold N] [--warm N] [--screenshot docs/screenshot.png]`.

- cold start: from launching `qbank ui` (a new process: Streamlit, the model, the index) until the
  first answer is fully shown in the browser; median over N fresh server processes;
- warm answer: from pressing Enter on a question in an open page until its answer is fully shown
  (the line under it reads "… source(s)"); median and p95 over N questions.

Each run appends one row to the "App" section of eval/BENCHMARKS.md (the other sections belong
to other benchmarks and are left alone). Figures are measurements on the machine that runs this,
never asserted by tests. The browser helpers here are also what tests/test_browser_e2e.py uses.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent / "BENCHMARKS.md"
SECTION = "App"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_DONE = "source(s)"  # the caption under every finished answer: "offline composer · 3 source(s)"
WARM_QUESTIONS = (
    "What is KV caching?",
    "Explain dropout simply",
    "LoRA vs prefix tuning",
    "What is the attention mechanism?",
    "How does beam search work?",
    "What is RLHF?",
    "What is batch normalization?",
    "What is retrieval augmented generation?",
)


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def qbank_command() -> list[str]:
    script = Path(sys.executable).parent / "qbank"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    launched: float  # perf_counter at launch
    log: Path


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def app_server(env: dict[str, str] | None = None, port: int | None = None, timeout: float = 120) -> Iterator[Server]:
    """`qbank ui` on loopback in its own process group; stopped (the whole group) on exit."""
    port = port or free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"qbank-ui-{port}.log"
    environment = {**os.environ, **(env or {})}
    launched = time.perf_counter()
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [*qbank_command(), "ui", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"qbank ui exited with {process.returncode}: {log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"qbank ui did not come up within {timeout:.0f}s; see {log}")
            time.sleep(0.1)
        yield Server(url=url, process=process, launched=launched, log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# -- the browser -------------------------------------------------------------------------------


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_app(browser, url: str, timeout_s: float = 120, viewport=(1400, 1000)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for(state="visible", timeout=timeout_s * 1000)
    return page


def finished_answers(page):
    return (
        page.get_by_test_id("stChatMessage")
        .filter(has=page.get_by_test_id("stChatMessageAvatarAssistant"))
        .filter(has_text=ANSWER_DONE)
    )


def ask(page, question: str, timeout_s: float = 120):
    """Type a question, press Enter, wait until its answer is complete; returns (message, seconds)."""
    answers = finished_answers(page)
    before = answers.count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(state="visible", timeout=timeout_s * 1000)
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        """([before, done]) => [...document.querySelectorAll('[data-testid="stChatMessage"]')]
              .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]')
                           && m.innerText.includes(done)).length > before""",
        arg=[before, ANSWER_DONE],
        timeout=timeout_s * 1000,
    )
    seconds = time.perf_counter() - started
    return answers.nth(before), seconds


def open_first_source(message):
    """Expand source [1] under an answer and return its details element."""
    expander = message.get_by_test_id("stExpander").filter(has=message.page.locator("summary", has_text="[1] ")).first
    expander.locator("summary").click()
    details = expander.get_by_test_id("stExpanderDetails")
    details.wait_for(state="visible")
    return details


# -- the benchmark -----------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


def ensure_index() -> None:
    """Build the default index first if it is missing or stale, so that no timed start builds it."""
    from index.build import build_index, entries_fingerprint_matches
    from index.paths import default_index_dir

    if not entries_fingerprint_matches(default_index_dir()):
        build_index(default_index_dir())


def measure(cold_runs: int, warm_questions: int, screenshot: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    ensure_index()
    cold: list[float] = []
    first_answer: list[float] = []
    warm: list[float] = []
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for run in range(cold_runs):
                with app_server() as server:
                    page = open_app(browser, server.url)
                    _, seconds = ask(page, WARM_QUESTIONS[0])
                    cold.append(time.perf_counter() - server.launched)
                    first_answer.append(seconds)
                    if run == cold_runs - 1:
                        questions = [WARM_QUESTIONS[(i + 1) % len(WARM_QUESTIONS)] for i in range(warm_questions)]
                        for question in questions:
                            warm.append(ask(page, question)[1])
                        if screenshot is not None:
                            clean = open_app(browser, server.url)  # a new session: one question on screen
                            take_screenshot(clean, screenshot)
                            clean.close()
                    page.close()
        finally:
            browser.close()
    return {
        "cold_median": _median(cold),
        "cold_all": cold,
        "first_answer_median": _median(first_answer),
        "warm_median": _median(warm),
        "warm_p95": _p95(warm),
        "warm_n": len(warm),
        "cold_n": len(cold),
    }


def take_screenshot(page, path: Path, question: str = "What is KV caching?") -> None:
    """A picture for the README: a question, its cited answer, and source [1] opened."""
    message, _ = ask(page, question)
    open_first_source(message)
    page.wait_for_timeout(800)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=False)


def _row(results: dict) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}"
    return (
        f"| {stamp} | {results['cold_median']:.1f} s (n={results['cold_n']}) | "
        f"{results['first_answer_median']:.2f} s | {results['warm_median']:.2f} s | {results['warm_p95']:.2f} s "
        f"(n={results['warm_n']}) | {machine} |"
    )


HEADER = f"""## {SECTION}

Measured by `python -m eval.bench_app` in headless Chromium against `qbank ui` on loopback (offline
composer). *Cold start* runs from launching `qbank ui` to the first answer fully shown (Streamlit
start, model and index load, page load, first question); *first answer* is the part of it after
pressing Enter; *warm answer* is Enter → answer fully shown for later questions in the same page.
One row per run, newest last.

| run | cold start → first answer (median) | first answer after Enter | warm answer (median) | warm (p95) | machine |
| --- | --- | --- | --- | --- | --- |
"""


def write_row(row: str) -> None:
    """Append a row to the App section of BENCHMARKS.md, creating the file or section if needed."""
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    start = text.find(f"## {SECTION}\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + HEADER + row + "\n"
    else:
        end = text.find("\n## ", start + 1)
        section = text[start:] if end == -1 else text[start : end + 1]
        updated = section.rstrip("\n") + "\n" + row + "\n"
        text = text[:start] + updated + ("" if end == -1 else "\n" + text[end + 1 :])
    BENCHMARKS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=3, help="fresh server starts to time (default 3)")
    parser.add_argument("--warm", type=int, default=8, help="questions to time in a warm page (default 8)")
    parser.add_argument("--screenshot", type=Path, help="also save a screenshot of the app here")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    results = measure(max(args.cold, 1), max(args.warm, 1), args.screenshot)
    row = _row(results)
    print(row)
    if not args.no_write:
        write_row(row)
        print(f"appended to {BENCHMARKS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
