"""The sidebar: view switch, filters that scope chat/map/practice, answer mode and LLM backend, export."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from retrieval.types import SearchFilters
from ui.app_safety import plain, shorten
from ui.app_state import VIEWS

INTENTS = {"Automatic": None, "Look up": "lookup", "Explain": "explain", "Compare": "compare"}
MODES = ("Offline (bank only)", "LLM backend")


@dataclass(frozen=True)
class Settings:
    filters: SearchFilters
    intent: str | None
    llm: object | None  # answer.llm_settings.LLMSettings when the LLM mode is on and configured
    llm_error: str | None = None
    export_slot: object | None = None  # a sidebar container for the conversation download


def _bank_titles(searcher) -> dict[str, str]:
    titles: dict[str, str] = {}
    for entry in searcher.entries:
        titles.setdefault(entry.bank_file, entry.bank_title)
    return dict(sorted(titles.items()))


def _sections(searcher, banks: frozenset[str]) -> list[str]:
    names: dict[str, None] = {}
    for entry in searcher.entries:
        if not banks or entry.bank_file in banks:
            for name in entry.section_path:
                names.setdefault(name, None)
    return sorted(names, key=str.lower)


def _filters(searcher) -> SearchFilters:
    st.subheader("Scope", anchor=False)
    titles = _bank_titles(searcher)
    banks = st.multiselect(
        "Banks",
        list(titles),
        key="filter_banks",
        format_func=lambda f: shorten(f"{titles[f]} ({f})", 70),
        placeholder="All banks",
    )
    sections = st.multiselect(
        "Sections", _sections(searcher, frozenset(banks)), key="filter_sections", placeholder="All sections"
    )
    answered = st.toggle("Answered questions only", key="filter_answered")
    filters = SearchFilters(banks=frozenset(banks), sections=frozenset(sections), answered_only=answered)
    in_scope = sum(1 for e in searcher.entries if filters.admits(e))
    st.caption(f"{in_scope} of {len(searcher.entries)} entries in scope")
    return filters


def _configured_llm() -> tuple[object | None, str | None]:
    """The LLM configured by `QBANK_LLM_*` or qbank.toml (None if none), and why it is unusable."""
    from answer.llm_settings import LLMConfigError, LLMSettings

    try:
        return LLMSettings.from_env(), None
    except LLMConfigError as exc:
        return None, str(exc)


def _llm_settings(configured, problem: str | None) -> tuple[object | None, str | None]:
    """Backend settings edited in the sidebar, on top of the configured ones (budgets, deadlines…)."""
    from answer.llm_settings import DEFAULT_BASE_URL, DEFAULT_OPENAI_MODEL, PROVIDERS, LLMConfigError, browser_settings

    provider = st.selectbox(
        "Provider",
        PROVIDERS,
        index=PROVIDERS.index(configured.provider) if configured else 0,
        key="llm_provider",
        format_func=lambda p: {"openai": "OpenAI-compatible (llama.cpp, vLLM, LM Studio…)", "ollama": "Ollama"}[p],
    )
    same = configured is not None and configured.provider == provider
    default_model = DEFAULT_OPENAI_MODEL if provider == "openai" else ""
    base_url = st.text_input(
        "Base URL", value=configured.base_url if same else DEFAULT_BASE_URL[provider], key=f"llm_base_url_{provider}"
    )
    model = st.text_input(
        "Model",
        value=configured.model if same else default_model,
        key=f"llm_model_{provider}",
        placeholder="e.g. smollm2:135m",
    )
    # The configured key stays on the server: the field starts empty and says whether one is set.
    server_key = configured is not None and same and configured.api_key != "not-needed"
    api_key = st.text_input(
        "API key",
        value="",
        type="password",
        key=f"llm_key_{provider}",
        placeholder="set on the server" if server_key else "",
        help="Leave empty to use the server's key, which is sent only to the server's configured base URL. "
        "Another base URL gets only a key typed here.",
    )
    timeout = st.number_input(
        "Timeout (s)", 1.0, 300.0, float(configured.timeout_s) if configured else 20.0, step=1.0, key="llm_timeout"
    )
    if problem:
        st.warning(plain(f"The configured LLM settings are not usable: {problem}"))
    try:
        settings = browser_settings(
            configured, provider=provider, base_url=base_url, model=model, api_key=api_key, timeout_s=timeout
        )
    except LLMConfigError as exc:
        return None, str(exc)
    return settings, None


def render_sidebar(searcher) -> Settings:
    with st.sidebar:
        st.title("qbank", anchor=False)
        st.caption("Cited answers from ML & GenAI interview-question banks, offline.")
        st.radio("View", VIEWS, key="view", horizontal=True)
        filters = _filters(searcher)

        st.subheader("Answers", anchor=False)
        intent_name = st.selectbox("Answer style", list(INTENTS), key="intent")
        configured, problem = _configured_llm()
        mode = st.radio(
            "Answer with",
            MODES,
            index=1 if configured else 0,  # an LLM set up in qbank.toml or QBANK_LLM_* is used
            key="answer_mode",
            help="The LLM falls back to the offline composer, with a notice, if it fails or is too slow.",
        )
        llm, llm_error = None, None
        if mode == MODES[1]:
            with st.expander("LLM backend settings", expanded=True):
                llm, llm_error = _llm_settings(configured, problem)
            if llm_error:
                st.error(plain(llm_error) + "  \nAnswers stay offline until this is fixed.")

        export_slot = st.container()  # filled by render_export once this run's answer is in
    return Settings(filters=filters, intent=INTENTS[intent_name], llm=llm, llm_error=llm_error, export_slot=export_slot)
