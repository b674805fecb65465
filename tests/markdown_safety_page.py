"""A Streamlit page for tests/test_app_markdown_safety.py: the tricky-markdown corpus through the app's renderers.

Run by the test with `streamlit run`; QBANK_CORPUS_HOST is the loopback request logger's host:port.
First a control — one image markdown *not* sanitized, which the browser must fetch (proving the
logger sees fetches) — then every corpus case as a bank entry (`ui.app_sources.render_entry`, what
a source expander shows) and as an answer (`safe_markdown` into `st.markdown`, what the chat
shows), then a marker line the test waits for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import streamlit as st  # noqa: E402
from llm_server import make_entry  # noqa: E402
from markdown_corpus import load_corpus  # noqa: E402

from ui.app_safety import safe_markdown  # noqa: E402
from ui.app_sources import render_entry  # noqa: E402

host = os.environ["QBANK_CORPUS_HOST"]
cases = load_corpus(host)
st.markdown(f"Control: ![control](http://{host}/control.png)")
for n, case in enumerate(cases, start=1):
    st.markdown(f"#### {n}. {case['name']}")
    render_entry(make_entry(n, case["name"], case["markdown"]))
    st.markdown(safe_markdown(case["markdown"]))
st.markdown(f"corpus rendered: {len(cases)} cases")
