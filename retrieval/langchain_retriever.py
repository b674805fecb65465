"""A LangChain `BaseRetriever` over qbank search, for use in LangChain chains and agents."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.searcher import Searcher
from retrieval.types import Hit, SearchFilters


def hit_to_document(hit: Hit) -> Document:
    entry = hit.entry
    content = entry.question if not entry.answer else f"{entry.question}\n\n{entry.answer}"
    return Document(
        page_content=content,
        id=entry.id,
        metadata={
            "id": entry.id,
            "file": entry.bank_file,
            "bank_title": entry.bank_title,
            "section": entry.section,
            "number": entry.number,
            "question": entry.question,
            "kind": entry.kind.value,
            "has_answer": entry.has_answer,
            "follow_ups": list(entry.follow_ups),
            "line_start": entry.line_start,
            "line_end": entry.line_end,
            "score": hit.score,
            "dense_score": hit.dense_score,
            "keyword_score": hit.keyword_score,
        },
    )


class QbankRetriever(BaseRetriever):
    """Returns one Document per bank entry; nothing when qbank judges the query out of scope."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    k: int = 5
    filters: SearchFilters = SearchFilters()
    include_not_found: bool = False

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.searcher.search(query, k=self.k, filters=self.filters)
        if not result.found and not self.include_not_found:
            return []
        return [hit_to_document(hit) for hit in result.hits]
