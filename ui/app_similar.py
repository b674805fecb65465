"""Closest other questions and the same question in other banks, each one click from being asked."""

from __future__ import annotations

import streamlit as st

from ingest.entry import Entry
from ui.app_safety import label, plain, shorten
from ui.app_sources import bank_short
from ui.app_state import ask_later

SIMILAR_K = 5


def _ask_button(entry: Entry, key: str, intent: str | None = None, prefix: str = "") -> None:
    st.button(
        label(prefix + entry.question, 140),
        key=key,
        help=plain(shorten(f"{entry.bank_title} · #{entry.number} · {entry.section}", 200)),
        on_click=ask_later,
        args=(entry.question, intent),
        icon=":material/arrow_outward:",
        type="tertiary",
    )


def render_related(answer, searcher, filters, turn_id: int) -> None:
    """For the entry an answer rests on: its versions in other banks and its nearest neighbours."""
    if not answer.citations:
        return
    top = answer.citations[0].entry
    variants = [v for v in searcher.variants(top.id) if v.bank_file != top.bank_file]
    cited = {c.entry.id for c in answer.citations}
    variant_ids = {v.id for v in variants}
    similar = [
        e for e in searcher.similar(top.id, k=SIMILAR_K + len(variants), filters=filters) if e.id not in variant_ids
    ]
    similar = [e for e in similar if e.id not in cited][:SIMILAR_K] or similar[:SIMILAR_K]
    if not variants and not similar:
        return
    title = f"Similar questions ({len(similar)})" + (f" · in other banks ({len(variants)})" if variants else "")
    with st.expander(title, icon=":material/travel_explore:"):
        if variants:
            st.markdown("**The same question in other banks**")
            for v in variants:
                _ask_button(v, f"variant-{turn_id}-{v.id}", prefix=f"{bank_short(v)} #{v.number}: ")
            st.button(
                f"Compare the {len(variants) + 1} versions side by side",
                key=f"compare-variants-{turn_id}",
                on_click=ask_later,
                args=(compare_variants_query(top), "compare"),
                icon=":material/compare_arrows:",
            )
        if similar:
            st.markdown("**Closest other questions**")
            for e in similar:
                _ask_button(e, f"similar-{turn_id}-{e.id}")


def compare_variants_query(entry: Entry) -> str:
    return f"How do the banks differ on: {entry.question.rstrip('?')}?"
