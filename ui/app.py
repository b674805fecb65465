"""qbank's Streamlit app. Start it with `qbank ui` (or `make run`); this file is what `streamlit run` runs.

The app only renders and calls `answer` / `retrieval`: the views live in `ui/app_*.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts ui/ on the path, not the checkout
    sys.path.insert(0, str(ROOT))
for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads: no telemetry, no DNS lookups

import streamlit as st  # noqa: E402

from ui import app_state  # noqa: E402
from ui.app_errors import show_error  # noqa: E402

# A file in the checkout: an emoji or :material: page icon makes the browser fetch it from a CDN.
PAGE_ICON = ROOT / "ui" / "assets" / "qbank-icon.png"


def main() -> None:
    from ui.log_setup import setup_logging

    setup_logging()  # once per process; unexpected errors go to the log with their traceback
    st.set_page_config(page_title="qbank — interview Q&A", page_icon=str(PAGE_ICON), layout="wide")
    app_state.init()
    # Something to read while the first run imports the model and opens the index (seconds after a
    # restart), instead of a blank page.
    loading = st.empty()
    loading.info("Loading qbank: the search index and the embedding model…", icon=":material/hourglass_top:")
    try:
        from ui.app_index import get_searcher, notice_changed_index

        searcher = get_searcher()
        loading.empty()
        if searcher is None:
            return
        notice_changed_index()
        from ui.app_sidebar import render_sidebar

        settings = render_sidebar(searcher)
        view = st.session_state.get("view", app_state.VIEWS[0])
        if view == "Topic map":
            from ui.app_browse import render_topic_map

            render_topic_map(searcher, settings)
        elif view == "Practice":
            from ui.app_practice import render_practice

            render_practice(searcher, settings)
        else:
            from ui.app_chat import render_chat
            from ui.focus import focus_chat_once

            render_chat(searcher, settings)
            focus_chat_once()
        from ui.app_export import render_export

        render_export(settings.export_slot)
        from ui.app_userdata import render_ratings

        render_ratings()
    except Exception as exc:  # the last line of defence: a message with the fix, never a traceback
        show_error(exc)


main()
