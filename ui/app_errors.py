"""Turn any failure into a clear message that names the fix; the app never shows a traceback."""

from __future__ import annotations

import streamlit as st

from ui.app_safety import plain

GENERIC_FIX = "Try again. If it keeps happening, rebuild the index with `qbank index --rebuild` and restart `qbank ui`."


def describe(exc: BaseException) -> tuple[str, str]:
    """(what went wrong, how to fix it), in words for the user."""
    from answer.llm_settings import LLMConfigError
    from index.errors import IndexBuildError, IndexError_
    from retrieval.errors import QueryError

    if isinstance(exc, IndexBuildError):
        return f"The index could not be built: {exc}", "Check the files in `data/banks/` and run `qbank ingest`."
    if isinstance(exc, IndexError_):
        # Index messages already end with the command that fixes them.
        return str(exc), "Use **Rebuild the index** below, or run `qbank index --rebuild` and reload the page."
    if isinstance(exc, QueryError):
        return f"That query cannot be searched: {exc}", "Rephrase it as a question about ML or GenAI."
    if isinstance(exc, LLMConfigError):
        return f"The LLM settings are not usable: {exc}", "Fix them in the sidebar, or switch to Offline answers."
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return (
            f"A backend could not be reached ({type(exc).__name__}: {exc})",
            "Start the LLM server or switch the answer mode to Offline in the sidebar.",
        )
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return f"Something went wrong ({type(exc).__name__}{': ' + detail if detail else ''})", GENERIC_FIX


def show_error(exc: BaseException, *, where=st) -> None:
    what, fix = describe(exc)
    where.error(plain(what) + "  \n" + fix, icon=":material/error:")
