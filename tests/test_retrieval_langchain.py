"""The LangChain retriever adapter (retrieval/langchain_retriever.py)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from retrieval.langchain_retriever import QbankRetriever, hit_to_document
from retrieval.types import SearchFilters

METADATA_KEYS = {
    "id",
    "file",
    "bank_title",
    "section",
    "number",
    "question",
    "kind",
    "has_answer",
    "follow_ups",
    "line_start",
    "line_end",
    "score",
    "dense_score",
    "keyword_score",
}
OUT_OF_SCOPE = "chocolate chip cookie recipe with brown butter"


def test_invoke_returns_documents_with_the_entry_metadata(hashing_searcher):
    retriever = QbankRetriever(searcher=hashing_searcher, k=3)
    assert isinstance(retriever, BaseRetriever)
    query = "What is teacher forcing in training?"
    documents = retriever.invoke(query)
    hits = hashing_searcher.search(query, k=3).hits
    assert len(documents) == 3
    for document, hit in zip(documents, hits, strict=True):
        entry = hit.entry
        assert isinstance(document, Document)
        assert document.id == entry.id
        assert set(document.metadata) == METADATA_KEYS
        assert document.metadata["id"] == entry.id
        assert document.metadata["file"] == entry.bank_file
        assert document.metadata["number"] == entry.number
        assert document.metadata["question"] == entry.question
        assert document.metadata["section"] == entry.section
        assert document.metadata["kind"] == entry.kind.value
        assert document.metadata["has_answer"] is entry.has_answer
        assert document.metadata["follow_ups"] == list(entry.follow_ups)
        assert (document.metadata["line_start"], document.metadata["line_end"]) == (entry.line_start, entry.line_end)
        assert document.metadata["score"] == hit.score
        assert document.metadata["dense_score"] == hit.dense_score
        assert document.metadata["keyword_score"] == hit.keyword_score
        assert document.page_content.startswith(entry.question)
        if entry.has_answer:
            assert document.page_content == f"{entry.question}\n\n{entry.answer}"
    assert documents[0].metadata["question"] == query


def test_an_unanswered_entry_becomes_its_question_alone(hashing_searcher):
    entry_hit = next(
        h
        for h in hashing_searcher.search("What is tokenization and why is it critical", k=10).hits
        if not h.entry.has_answer
    )
    document = hit_to_document(entry_hit)
    assert document.page_content == entry_hit.entry.question
    assert document.metadata["has_answer"] is False


def test_not_found_gives_no_documents_unless_asked(hashing_searcher):
    assert not hashing_searcher.search(OUT_OF_SCOPE, k=3).found
    assert QbankRetriever(searcher=hashing_searcher, k=3).invoke(OUT_OF_SCOPE) == []
    nearest = QbankRetriever(searcher=hashing_searcher, k=3, include_not_found=True).invoke(OUT_OF_SCOPE)
    assert len(nearest) == 3


def test_filters_reach_the_search(hashing_searcher):
    bank = "004_f893e8b67a7e5340.txt"
    retriever = QbankRetriever(searcher=hashing_searcher, k=5, filters=SearchFilters(banks=frozenset({bank})))
    documents = retriever.invoke("Explain the concept of tokenization.")
    assert documents[0].metadata["question"] == "Explain the concept of tokenization."
    assert len(documents) == 5 and {d.metadata["file"] for d in documents} == {bank}


def test_batch_of_queries(hashing_searcher):
    retriever = QbankRetriever(searcher=hashing_searcher, k=2)
    results = retriever.batch(["What is teacher forcing in training?", OUT_OF_SCOPE])
    assert len(results[0]) == 2 and results[1] == []


@pytest.mark.slow
def test_real_retriever(real_searcher):
    retriever = QbankRetriever(searcher=real_searcher, k=3)
    documents = retriever.invoke("what is teacher forcing")
    assert len(documents) == 3
    assert "teacher forcing" in documents[0].metadata["question"].lower()
    assert all(set(d.metadata) == METADATA_KEYS for d in documents)
    assert retriever.invoke("how do I bake chocolate chip cookies") == []
