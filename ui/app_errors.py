"""Turn any failure into a clear message that names the fix; the app never shows a traceback."""

from __future__ import annotations

import streamlit as st

from ui.app_safety import plain


def describe(exc: BaseException) -> tuple[str, str]:
    """(what went wrong, how to fix it), in words for the user. Advice is given only where the
    cause is known; anything unexpected is logged with its traceback and says where the log is."""
    from answer.llm_settings import LLMConfigError
    from index.errors import IndexBuildError, IndexBusyError, IndexError_, IndexWriteError
    from ingest.errors import SettingError
    from retrieval.errors import QueryError
    from ui.log_setup import log_internal_error
    from userdata.errors import UserDataError

    if isinstance(exc, IndexBuildError):
        return f"The index could not be built: {exc}", "Check the files in `data/banks/` and run `qbank ingest`."
    if isinstance(exc, IndexBusyError):
        return str(exc), "Reload the page once that build has finished."
    if isinstance(exc, IndexWriteError):
        return str(exc), ""  # the message already names the fix (disk space, a writable folder)
    if isinstance(exc, IndexError_):
        # Index messages already end with the command that fixes them.
        return str(exc), "Use **Rebuild the index** below, or run `qbank index --rebuild` and reload the page."
    if isinstance(exc, QueryError):
        return f"That query cannot be searched: {exc}", "Rephrase it as a question about ML or GenAI."
    if isinstance(exc, LLMConfigError):
        return f"The LLM settings are not usable: {exc}", "Fix them in the sidebar, or switch to Offline answers."
    if isinstance(exc, UserDataError):
        return f"Your saved data could not be used: {exc}", ""
    if isinstance(exc, SettingError):
        return f"A setting is not usable: {exc}", "Fix it and restart `qbank ui`."
    return f"Something went wrong: {log_internal_error(exc, 'the app')}", ""


def show_error(exc: BaseException, *, where=st) -> None:
    what, fix = describe(exc)
    where.error(plain(what) + ("  \n" + fix if fix else ""), icon=":material/error:")
