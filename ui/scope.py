"""The scope a user picks in the sidebar — banks, sections, topics — as SearchFilters.

Sections are listed per bank in the order the bank gives them (so "1., 2., … 10." read as numbered),
with names that differ only in case or spacing merged into one choice. A section choice belongs to
its bank: "Fundamentals" of one bank does not pull in another bank's "Fundamentals". Sections and
topics become the set of entry ids they cover, which every stage filters on the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ingest.entry import Entry
from retrieval.types import SearchFilters


@dataclass(frozen=True)
class SectionChoice:
    label: str  # the first spelling met in the bank
    key: str  # the merged form: case and spacing folded


def section_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def bank_titles(entries: Iterable[Entry]) -> dict[str, str]:
    """bank file → its title, in file order."""
    titles: dict[str, str] = {}
    for entry in entries:
        titles.setdefault(entry.bank_file, entry.bank_title)
    return dict(sorted(titles.items()))


def section_choices(entries: Iterable[Entry], banks: Iterable[str] = ()) -> dict[str, list[SectionChoice]]:
    """bank file → its sections in document order, case duplicates merged (all banks when `banks` is empty)."""
    wanted = set(banks)
    ordered = sorted(
        (e for e in entries if not wanted or e.bank_file in wanted), key=lambda e: (e.bank_file, e.line_start)
    )
    choices: dict[str, dict[str, SectionChoice]] = {}
    for entry in ordered:
        bank = choices.setdefault(entry.bank_file, {})
        for name in entry.section_path:
            key = section_key(name)
            if key and key not in bank:
                bank[key] = SectionChoice(label=" ".join(name.split()), key=key)
    return {bank: list(by_key.values()) for bank, by_key in sorted(choices.items())}


def section_members(entries: Iterable[Entry], chosen: Mapping[str, Iterable[str]]) -> frozenset[str] | None:
    """Ids of the entries under any chosen section ({bank file: section keys}); None when none is chosen."""
    wanted = {bank: set(keys) for bank, keys in chosen.items() if keys}
    if not wanted:
        return None
    return frozenset(
        e.id
        for e in entries
        if e.bank_file in wanted and any(section_key(name) in wanted[e.bank_file] for name in e.section_path)
    )


def scope_filters(
    banks: Iterable[str],
    sections: frozenset[str] | None,
    topics: frozenset[str] | None,
    answered_only: bool,
) -> SearchFilters:
    """Sections and topics narrow each other: an entry must be in both when both are chosen."""
    ids = sections if topics is None else topics if sections is None else sections & topics
    return SearchFilters(banks=frozenset(banks), answered_only=answered_only, entry_ids=ids)


def in_scope(entries: Sequence[Entry], filters: SearchFilters) -> int:
    """The count the sidebar shows and every view repeats."""
    return sum(1 for e in entries if filters.admits(e))
