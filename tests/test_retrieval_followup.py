"""Follow-up resolution (retrieval/followup.py): a query that leans on the conversation becomes standalone."""

from __future__ import annotations

import pytest

from retrieval.followup import needs_context, resolve_followup, topic_of


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


LORA = [user("What is LoRA?"), assistant("LoRA freezes the weights and learns low-rank updates.")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("how does it work?", "how does LoRA work?"),
        ("is it better than full fine-tuning?", "is LoRA better than full fine-tuning?"),
        ("what are its drawbacks?", "what are LoRA's drawbacks?"),  # possessive pronoun
        ("and how does it compare to prefix tuning?", "how does LoRA compare to prefix tuning?"),
    ],
)
def test_pronouns_are_replaced_by_the_previous_topic(query, expected):
    assert resolve_followup(query, LORA) == expected


def test_what_about_swaps_the_subject_of_the_previous_question():
    history = [user("What are the drawbacks of LoRA?"), assistant("...")]
    assert resolve_followup("what about QLoRA?", history) == "What are the drawbacks of QLoRA?"
    assert resolve_followup("And how about prefix tuning?", history) == "What are the drawbacks of prefix tuning?"
    assert resolve_followup("what about QLoRA?", LORA) == "What is QLoRA?"


def test_what_about_after_a_resolved_follow_up_keeps_the_question_frame():
    history = [*LORA, user("what are its drawbacks?"), assistant("It adds latency when not merged.")]
    assert resolve_followup("what about QLoRA?", history) == "what are QLoRA's drawbacks?"


def test_a_leading_connective_attaches_new_words_to_the_topic():
    assert resolve_followup("and prefix tuning?", LORA) == "LoRA: prefix tuning?"
    assert resolve_followup("so what is used instead", LORA) == "LoRA: what is used instead"


@pytest.mark.parametrize("query", ["why?", "give an example", "explain more simply", "more detail please"])
def test_elliptical_requests_are_joined_to_the_previous_question(query):
    assert resolve_followup(query, LORA) == f"What is LoRA? {query}"


def test_a_one_sided_comparison_leans_on_the_topic():
    history = [user("Explain batch normalization"), assistant("...")]
    assert needs_context("what is used instead in transformers")
    assert resolve_followup("what is used instead in transformers", history) == (
        "batch normalization: what is used instead in transformers"
    )


def test_the_topic_comes_from_the_last_user_turn_not_the_assistant():
    history = [user("How does dropout work?"), assistant("It randomly zeroes activations in training."), user("")]
    assert resolve_followup("why does it help?", history) == "why does dropout help?"


@pytest.mark.parametrize(
    "query",
    [
        "What is batch normalization?",
        "Explain the transformer architecture",
        "difference between bagging and boosting",
        "KL divergence",
        "How do vector databases index embeddings?",
    ],
)
def test_standalone_queries_are_unchanged_even_with_history(query):
    assert not needs_context(query)
    assert resolve_followup(query, LORA) == query


@pytest.mark.parametrize("history", [None, [], [assistant("Hello! Ask me anything.")], [user("   ")]])
def test_without_a_user_turn_the_query_is_unchanged(history):
    assert resolve_followup("how does it work?", history) == "how does it work?"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is LoRA?", "LoRA"),
        ("What are the drawbacks of LoRA?", "LoRA"),
        ("What are LoRA's drawbacks?", "LoRA"),
        ("How does dropout work?", "dropout"),
        ("How does attention work?", "attention"),  # "a…" is not the article "a"
        ("What is Adam?", "Adam"),
        ("What is an autoencoder?", "autoencoder"),
        ("Explain the transformer architecture in simple terms", "transformer architecture"),
        ("what's the role of the discriminator in a GAN", "discriminator in a GAN"),
    ],
)
def test_topic_of(question, topic):
    assert topic_of(question) == topic
