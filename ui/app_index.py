"""Load the searcher once per process; build the index first, with visible progress, when it is
missing or out of date with the bank files."""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from ui.app_errors import show_error

_BUILD_LOCK = threading.Lock()  # one build at a time, whichever session asked first


_SERVED: dict[str, int | None] = {}  # index dir → mtime of the manifest of the index this process serves


def manifest_stamp(index_dir: Path) -> int | None:
    """When the index on disk was finished (its manifest is written last); None when there is none."""
    from index.manifest import MANIFEST_FILE

    try:
        return (Path(index_dir) / MANIFEST_FILE).stat().st_mtime_ns
    except OSError:
        return None


@st.cache_resource(show_spinner="Loading the embedding model and the index…")
def _load_searcher(index_dir: str, embedder: str):
    from retrieval.searcher import Searcher

    stamp = manifest_stamp(Path(index_dir))
    searcher = Searcher.open(Path(index_dir), embedder)
    _SERVED[index_dir] = stamp
    return searcher


def _reload() -> None:
    _load_searcher.clear()
    st.session_state.pop("index_checked", None)


def notice_changed_index() -> None:
    """Offer a reload when the index on disk is newer than the one served (one stat per run)."""
    from index.paths import default_index_dir

    index_dir = default_index_dir()
    served = _SERVED.get(str(index_dir))
    current = manifest_stamp(index_dir)
    if served is None or current is None or current == served:
        return
    with st.container(border=True):
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.warning(
            "The index changed on disk since this app loaded it (rebuilt or updated banks).", icon=":material/sync:"
        )
        button.button("Reload the index", key="reload-index", type="primary", on_click=_reload, width="stretch")


def _build_with_progress(index_dir: Path) -> bool:
    from index.build import build_index, entries_fingerprint_matches

    with st.status("Building the search index (first start, or the banks changed)…", expanded=True) as status:
        bar = st.progress(0.0, text="Waiting for another build to finish…")
        with _BUILD_LOCK:
            if not entries_fingerprint_matches(index_dir):  # another session may have built it meanwhile
                try:
                    report = build_index(
                        index_dir, progress=lambda message, fraction: bar.progress(fraction, text=message)
                    )
                except Exception as exc:
                    status.update(label="The index could not be built", state="error")
                    show_error(exc)
                    return False
                st.write(f"Indexed {report.entries} entries in {report.seconds:.0f} s.")
        bar.progress(1.0, text="Index ready")
        status.update(label="Index ready", state="complete", expanded=False)
    _load_searcher.clear()
    return True


def _offer_rebuild(index_dir: Path) -> None:
    if st.button("Rebuild the index", key="rebuild-index", type="primary"):
        from index.build import build_index

        with st.status("Rebuilding the search index…", expanded=True) as status:
            bar = st.progress(0.0)
            with _BUILD_LOCK:
                build_index(index_dir, progress=lambda message, fraction: bar.progress(fraction, text=message))
            status.update(label="Index ready", state="complete")
        _load_searcher.clear()
        st.session_state.pop("index_checked", None)
        st.rerun()


def get_searcher():
    """The shared Searcher, or None after showing what is wrong and how to fix it."""
    from index.build import entries_fingerprint_matches
    from index.embedder import configured_embedder_name
    from index.paths import default_index_dir

    index_dir = default_index_dir()
    checked_key = ("index_checked", str(index_dir))
    # The staleness check hashes the bank files: once per session is enough.
    if st.session_state.get("index_checked") != checked_key:
        if not entries_fingerprint_matches(index_dir) and not _build_with_progress(index_dir):
            return None
        st.session_state["index_checked"] = checked_key
    try:
        return _load_searcher(str(index_dir), configured_embedder_name())
    except Exception as exc:
        show_error(exc)
        _offer_rebuild(index_dir)
        return None
