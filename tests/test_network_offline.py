"""Nothing leaves the machine: a CLI batch and the app, run under strace, connect only to loopback.

`strace -f` records every connect/sendto/sendmsg of the process tree (the app: `qbank ui` and the
Streamlit server it starts, while a headless Chromium loads the page and asks a question). Any
connect to a non-loopback address, anything to port 53 and any use of a resolver socket fails the
test. A positive control (a real `getaddrinfo` under the same strace) shows that a DNS query is seen.

The variables that keep libraries quiet (ORT_DISABLE_TELEMETRY, HF_HUB_OFFLINE, …) are taken out of
the environment first: the code must set them itself, before onnxruntime loads.

Runs in the default `pytest` run (`make test`). Skipped only when strace is missing or cannot trace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from security_testing import REPO, clean_environment, seeded_index_dir, wait_healthy  # noqa: F401  (a fixture)

from eval.bench_app import CHROMIUM, free_port

STRACE = shutil.which("strace")
TRACED = "trace=connect,sendto,sendmsg,sendmmsg"
QUESTIONS = ("What is KV caching?", "Explain dropout simply", "LoRA vs prefix tuning", "What is RLHF?")

_INET4 = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([^"]+)"')
_UNIX = re.compile(r'sa_family=AF_UNIX, sun_path=@?"([^"]+)"')
_RESOLVER_SOCKETS = ("nscd", "resolve")  # glibc's nscd socket, systemd-resolved's varlink/dbus sockets


def _strace_problem() -> str | None:
    if STRACE is None:
        return "strace is missing: apt-get install -y strace"
    probe = subprocess.run([STRACE, "-f", "-o", os.devnull, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"strace cannot trace here: {probe.stderr.strip()[:200]}"
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(_strace_problem() is not None, reason=str(_strace_problem()))]


def _loopback(address: str) -> bool:
    return (
        address.startswith("127.")
        or address in ("::1", "0.0.0.0", "::")
        or address.startswith("::ffff:127.")
        or address == "localhost"
    )


def outside_calls(trace: str) -> list[str]:
    """The strace lines that reach past loopback: other hosts, DNS (port 53) or a resolver socket."""
    bad = []
    for line in trace.splitlines():
        for port, address in [*_INET4.findall(line), *_INET6.findall(line)]:
            if int(port) == 53 or not _loopback(address):
                bad.append(line.strip())
        for path in _UNIX.findall(line):
            if any(word in path for word in _RESOLVER_SOCKETS):
                bad.append(line.strip())
    return bad


def _traced(command: list[str], trace_file: Path) -> list[str]:
    return [STRACE, "-f", "-qq", "-e", TRACED, "-o", str(trace_file), *command]


def _qbank() -> list[str]:
    script = Path(sys.executable).parent / "qbank"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


def test_the_detector_sees_a_dns_query(tmp_path):
    trace = tmp_path / "control.trace"
    lookup = "import socket\ntry: socket.getaddrinfo('qbank-probe.example', 80)\nexcept OSError: pass"
    subprocess.run(_traced([sys.executable, "-c", lookup], trace), timeout=60)
    assert outside_calls(trace.read_text()), "a getaddrinfo under strace must show up as a DNS query"


def test_the_code_turns_onnxruntime_telemetry_off():
    code = "import os, ui.cli; print(os.environ.get('ORT_DISABLE_TELEMETRY'))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=clean_environment(), capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "1", out.stderr


@pytest.mark.parametrize("command", ["search", "ask"])
def test_a_cli_batch_stays_on_the_machine(command, seeded_index_dir, tmp_path):  # noqa: F811
    batch = tmp_path / "in.jsonl"
    batch.write_text("".join(json.dumps({"query": q}) + "\n" for q in QUESTIONS), encoding="utf-8")
    trace = tmp_path / "cli.trace"
    result = subprocess.run(
        _traced([*_qbank(), command, "--batch", str(batch)], trace),
        cwd=tmp_path,
        env=clean_environment(QBANK_INDEX_DIR=str(seeded_index_dir)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(QUESTIONS) and all(line.get("found") for line in lines), "the batch really ran"
    assert outside_calls(trace.read_text()) == []


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        found += [int(c) for c in children]
    return found


def _load_in_browser(url: str) -> dict[str, list[str]]:
    """Chromium loads the app and asks questions; what it requested, and the page's icon links."""
    from playwright.sync_api import sync_playwright

    from eval.bench_app import ask, launch_browser

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))  # from the first request on
            page.goto(url)
            page.get_by_test_id("stChatInputTextArea").wait_for(state="visible", timeout=180_000)
            for question in QUESTIONS[:2]:
                ask(page, question)
            page.wait_for_load_state("networkidle")
            icons = page.eval_on_selector_all("link[rel~='icon']", "els => els.map(e => e.href)")
            resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        finally:
            browser.close()
    return {"requests": requests, "icons": icons, "resources": resources}


def _load_without_browser(url: str) -> dict[str, list[str]]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    return {"requests": [url], "icons": [], "resources": []}


def test_the_app_stays_on_the_machine(seeded_index_dir, tmp_path):  # noqa: F811
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    trace = tmp_path / "app.trace"
    env = clean_environment(QBANK_INDEX_DIR=str(seeded_index_dir), QBANK_USER_DB=str(tmp_path / "user.sqlite3"))
    command = [STRACE, "-f", "-qq", "-v", "-s", "200", "-e", TRACED + ",execve", "-o", str(trace)]
    process = subprocess.Popen(
        [*command, *_qbank(), "ui", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_healthy(url, process)
        seen = _load_in_browser(url) if CHROMIUM.exists() else _load_without_browser(url)
    finally:
        for child in _children(process.pid):  # `qbank ui` stops its Streamlit server; strace then exits
            os.kill(child, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = trace.read_text()
    streamlit_start = [line for line in text.splitlines() if "execve(" in line and "streamlit" in line]
    assert streamlit_start, "the trace covers the Streamlit server"
    assert all("ORT_DISABLE_TELEMETRY=1" in line for line in streamlit_start), "telemetry off before onnxruntime"
    assert outside_calls(text) == []
    local = (url, "data:", "blob:")
    assert [u for u in seen["requests"] + seen["resources"] if not u.startswith(local)] == []
    if CHROMIUM.exists():
        assert seen["icons"] and all(icon.startswith(url) for icon in seen["icons"]), seen["icons"]
