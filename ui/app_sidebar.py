"""The sidebar: view switch, filters that scope chat/map/practice, answer mode and LLM backend, export."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from retrieval.types import SearchFilters
from ui.app_safety import plain
from ui.app_state import VIEWS
from ui.scope import bank_titles, in_scope, scope_filters, section_choices, section_members

SECTIONS_KEY = "filter_sections::"  # + bank file: that bank's chosen sections
TOPICS_KEY = "filter_topics"

INTENTS = {"Automatic": None, "Look up": "lookup", "Explain": "explain", "Compare": "compare"}
MODES = ("Offline (bank only)", "LLM backend")


@dataclass(frozen=True)
class Settings:
    filters: SearchFilters
    intent: str | None
    llm: object | None  # answer.llm_settings.LLMSettings when the LLM mode is on and configured
    llm_error: str | None = None
    export_slot: object | None = None  # a sidebar container for the conversation download


def _topics(searcher):
    from retrieval.topic_map import topic_map

    return topic_map(searcher)


def _section_scope(searcher, banks: list[str], titles: dict[str, str]) -> frozenset[str] | None:
    """One expander per bank, its sections as pills (full names, wrapped), in the bank's order."""
    chosen: dict[str, list[str]] = {}
    for bank, choices in section_choices(searcher.entries, banks).items():
        labels = {c.key: c.label for c in choices}
        key = f"{SECTIONS_KEY}{bank}"
        picked = [k for k in st.session_state.get(key) or [] if k in labels]
        title = plain(f"Sections — {titles[bank]}") + (f" ({len(picked)} chosen)" if picked else "")
        with st.expander(title, expanded=False):  # expander and pill labels are markdown: bank text is escaped
            chosen[bank] = st.pills(
                "Sections",
                list(labels),
                selection_mode="multi",
                key=key,
                format_func=lambda k, labels=labels: plain(labels[k]),
                label_visibility="collapsed",
            )
    return section_members(searcher.entries, chosen)


def _filters(searcher) -> SearchFilters:
    st.subheader("Scope", anchor=False)
    titles = bank_titles(searcher.entries)
    banks = st.multiselect(
        "Banks",
        list(titles),
        key="filter_banks",
        format_func=lambda f: titles[f],
        placeholder="All banks",
        help="\n".join(f"- {plain(title)} ({f})" for f, title in titles.items()),
    )
    sections = _section_scope(searcher, banks, titles)
    topics = _topics(searcher)
    topic_names = {t.id: f"{t.name} ({t.size})" for t in topics.topics}
    chosen_topics = st.multiselect(
        "Topics",
        list(topic_names),
        key=TOPICS_KEY,
        format_func=lambda t: topic_names.get(t, str(t)),
        placeholder="All topics",
        help="Groups of questions about the same thing, found at index time; click one on the topic map too.",
    )
    answered = st.toggle("Answered questions only", key="filter_answered")
    members = topics.members(chosen_topics) if chosen_topics else None
    filters = scope_filters(banks, sections, members, answered)
    st.caption(f"{in_scope(searcher.entries, filters)} of {len(searcher.entries)} entries in scope")
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
