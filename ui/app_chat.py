"""The chat: history, streamed answers with [n] citations, and everything shown under an answer."""

from __future__ import annotations

import time

import streamlit as st

from ui.app_compare import render_compare
from ui.app_errors import describe
from ui.app_feedback import render_feedback
from ui.app_safety import label, plain, safe_markdown
from ui.app_similar import render_related
from ui.app_sources import render_sources, source_caption
from ui.app_state import Turn, add_turn, ask_later, conversation, take_pending, turns
from ui.input_limits import chat_too_long, empty_scope_message

PLACEHOLDER = "Ask about an ML / GenAI interview topic — e.g. “what is KV caching?” or “LoRA vs prefix tuning”"
EXAMPLES = (
    "What is KV caching?",
    "Explain dropout simply",
    "LoRA vs prefix tuning",
    "How do the banks differ on generative vs discriminative models?",
)
STREAM_REFRESH_S = 0.05
CURSOR = " ▌"


def _stream(searcher, query: str, intent: str | None, settings):
    """The answer service's stream, through this session's conversation (which keeps the history)."""
    from answer.types import Intent

    chosen = intent or settings.intent
    return conversation().stream(
        searcher,
        query,
        intent=Intent(chosen) if chosen else None,
        filters=settings.filters,
        llm_settings=settings.llm,
    )


def _welcome() -> None:
    with st.chat_message("assistant"):
        st.markdown(
            "Ask anything the interview-question banks cover. Every answer cites the bank entries it comes "
            "from as **[n]**; open a source below an answer to read the whole entry."
        )
        columns = st.columns(2)
        for i, example in enumerate(EXAMPLES):
            columns[i % 2].button(
                label(example), key=f"example-{i}", on_click=ask_later, args=(example,), width="stretch"
            )


def _render_answer(turn: Turn, searcher, settings) -> None:
    answer = turn.answer
    if turn.error:
        st.error(turn.error, icon=":material/error:")
    search = getattr(answer, "search", None)
    search_notices = tuple(search.notices) if search is not None else ()
    for notice in (*turn.notices, *(getattr(answer, "notices", ()) or ())):
        if notice in search_notices:
            continue  # shown as a caption below
        if "LLM" in notice:  # the LLM fell back, was cut, or had sentences removed: worth a warning
            st.warning(plain(notice), icon=":material/warning:")
        else:
            st.info(plain(notice), icon=":material/info:")
    if answer is None:
        return
    if search is not None:
        if search.standalone_query and search.standalone_query != search.query:
            st.caption("Searched as: " + plain(search.standalone_query))
        for notice in search_notices:
            st.caption(plain(notice))
    st.markdown(safe_markdown(answer.markdown))
    render_compare(answer)
    if answer.suggestions:
        st.markdown("**Ask one of these instead**")
        for entry in answer.suggestions:
            st.button(
                label(entry.question, 110),
                key=f"suggest-{turn.id}-{entry.id}",
                help=plain(source_caption(entry)),
                on_click=ask_later,
                args=(entry.question,),
                icon=":material/arrow_outward:",
                type="tertiary",
            )
    render_sources(answer, searcher, turn.id)
    if answer.found:
        render_related(answer, searcher, settings.filters, turn.id)
    left, right = st.columns([1, 3], vertical_alignment="center")
    with left:
        render_feedback(turn.id, answer.query)
    with right:
        composer = "offline composer" if answer.composer == "offline" else f"LLM: {answer.composer}"
        st.caption(plain(f"{composer} · {len(answer.citations)} source(s)"))


def _render_turn(turn: Turn, searcher, settings) -> None:
    with st.chat_message(turn.role):
        if turn.role == "user":
            st.markdown(plain(turn.content))
        else:
            _render_answer(turn, searcher, settings)


def _ask(searcher, query: str, intent: str | None, settings) -> None:
    _render_turn(add_turn("user", query), searcher, settings)
    notices = ()
    if settings.llm_error:
        notices = ("The LLM settings are not usable, so this answer is offline: " + settings.llm_error,)
    with st.chat_message("assistant"):
        slot = st.empty()
        slot.caption("Searching the banks…" if settings.llm is None else "Searching the banks and asking the LLM…")
        text, answer, error, shown = "", None, None, 0.0
        try:
            stream = _stream(searcher, query, intent, settings)
            for chunk in stream:
                text += chunk
                if time.monotonic() - shown > STREAM_REFRESH_S:
                    slot.markdown(safe_markdown(text + CURSOR))
                    shown = time.monotonic()
            answer = stream.result()
        except Exception as exc:
            what, fix = describe(exc)
            error = plain(what) + ("  \n" + fix if fix else "")
        if answer is None and error is None:
            error = "The answer service ended without an answer: " + describe(RuntimeError("no final answer"))[0]
        turn = add_turn("assistant", answer.markdown if answer else "", answer=answer, error=error, notices=notices)
        slot.empty()
        with slot.container():
            _render_answer(turn, searcher, settings)


def _in_scope(searcher, filters) -> int:
    return sum(1 for e in searcher.entries if filters.admits(e)) if filters.active else len(searcher.entries)


def _answer_empty_scope(query: str, searcher, settings) -> None:
    """With no entry in scope, say that the filters exclude everything (not "not covered")."""
    filters = settings.filters
    message = empty_scope_message(filters.banks, filters.sections, filters.answered_only)
    _render_turn(add_turn("user", query), searcher, settings)
    _render_turn(add_turn("assistant", "", notices=(message,)), searcher, settings)


def render_chat(searcher, settings) -> None:
    # No max_chars here: the browser would cut or drop a long paste without a word. The length is
    # checked below, where the limit can be said.
    typed = st.chat_input(PLACEHOLDER, key="chat_input")
    pending = take_pending()
    too_long = chat_too_long(typed.strip()) if typed and typed.strip() else None
    if typed and typed.strip() and too_long is None:
        pending = (typed.strip(), None)
    if settings.filters.active:
        st.caption("The chat is scoped by the filters in the sidebar.")
    if not turns() and not pending:
        _welcome()
    for turn in turns():
        _render_turn(turn, searcher, settings)
    if too_long:
        st.warning(too_long, icon=":material/warning:")
        st.code(typed.strip(), language=None, wrap_lines=True)  # plain text, nothing lost
    if pending:
        if _in_scope(searcher, settings.filters) == 0:
            _answer_empty_scope(pending[0], searcher, settings)
        else:
            _ask(searcher, pending[0], pending[1], settings)
