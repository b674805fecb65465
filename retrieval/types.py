"""What retrieval hands to its callers: hits that carry the entry and its scores."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.entry import Entry


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Scope a search. Empty sets mean no restriction."""

    banks: frozenset[str] = frozenset()  # bank file names
    sections: frozenset[str] = frozenset()  # a section name anywhere in the entry's section path
    answered_only: bool = False
    # Only these entries (the members of chosen topics or bank sections); None means no restriction,
    # an empty set admits nothing.
    entry_ids: frozenset[str] | None = None

    def admits(self, entry: Entry) -> bool:
        if self.entry_ids is not None and entry.id not in self.entry_ids:
            return False
        if self.banks and entry.bank_file not in self.banks:
            return False
        if self.sections and not self.sections.intersection(entry.section_path):
            return False
        return not (self.answered_only and not entry.has_answer)

    @property
    def active(self) -> bool:
        return bool(self.banks or self.sections or self.answered_only or self.entry_ids is not None)


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    score: float  # relevance in [0, 1] from the calibrated ranking model, higher is better
    dense_score: float  # best cosine similarity between the query and any of the entry's units
    keyword_score: float  # best BM25 score of any of the entry's units (0 when no keyword matched)
    matched_unit: str  # which unit matched best: "question", "qa", "passage" or "follow_up"
    matched_text: str  # that unit's text, for showing why the entry was found
    rerank_score: float | None = None  # the cross-encoder's logit (None when it did not read this entry)


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str  # the query as the user typed it (normalized)
    standalone_query: str  # what was searched: the query resolved against the conversation
    hits: tuple[Hit, ...]
    found: bool  # False when nothing in the banks answers the query
    notices: tuple[str, ...] = field(default=())  # e.g. "query truncated to 256 tokens"
    coverage: float = 0.0  # calibrated probability that the banks cover the query (found: above the threshold)
    reranked: bool = False  # whether the cross-encoder ordered the top hits

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None
