"""Follow-up resolution (retrieval/followup.py): grammar decides whether a message leans on the conversation."""

from __future__ import annotations

import pytest

from retrieval.followup import needs_history, resolve_followup


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


LORA = [user("What is LoRA?"), assistant("LoRA freezes the weights and learns low-rank updates.")]


@pytest.mark.parametrize(
    "query",
    [
        "what are its drawbacks?",  # no content word of its own
        "why?",
        "give me an example",
        "explain more simply",
        "does it play nicely with batch norm?",  # a pronoun stands before the topic words
        "how is that different from prefix tuning?",
        "and how does it compare to prefix tuning?",
        "what about for images?",  # an ellipsis that narrows the previous question
    ],
)
def test_messages_that_lean_on_the_conversation(query):
    assert needs_history(query)
    resolved = resolve_followup(query, LORA)
    assert resolved.used_history
    assert resolved.text == f"What is LoRA? {query}"


@pytest.mark.parametrize(
    "query",
    [
        "Is it true that dropout reduces overfitting?",  # anticipatory "it" stands for the clause
        "it's worth trying to use beam search here?",
        "Thanks! Now what's beam search?",
        "also, how does batch norm work?",
        "is there a variant of Adam with decoupled weight decay?",  # existential "there"
    ],
)
def test_messages_that_name_their_own_topic_stand_alone(query):
    assert not needs_history(query)
    resolved = resolve_followup(query, LORA)
    assert not resolved.used_history and resolved.alone is None
    assert resolved.text == query


@pytest.mark.parametrize(
    "query",
    [
        "what is stratified sampling, and when would I use it?",  # "it" may be stratified sampling, or LoRA
        "what role does the learning rate play in it?",  # "it" follows words that may or may not be its topic
        "and what does the W version change?",  # a connective continues the conversation
        "how do I work out the output size from that?",
        "how do you actually fit one? walk me through it",  # "one" ends its clause: a pro-form
    ],
)
def test_ambiguous_messages_are_searched_both_ways(query):
    assert not needs_history(query)
    resolved = resolve_followup(query, LORA)
    assert resolved.used_history and resolved.text == f"What is LoRA? {query}"
    assert resolved.alone == query


def test_a_follow_up_that_surely_leans_has_no_reading_of_its_own():
    assert resolve_followup("what are its drawbacks?", LORA).alone is None


@pytest.mark.parametrize(
    ("previous", "query", "resolved"),
    [
        ("What are the drawbacks of LoRA?", "what about QLoRA?", "What are the drawbacks of QLoRA?"),
        ("what is beam search", "and what about greedy decoding?", "what is greedy decoding"),
        ("Explain the Adam optimizer", "How about SGD", "Explain the SGD"),
    ],
)
def test_an_ellipsis_asks_the_previous_question_of_its_new_subject(previous, query, resolved):
    assert needs_history(query)
    result = resolve_followup(query, [user(previous), assistant("...")])
    assert result.used_history and result.text == resolved


def test_without_history_nothing_changes():
    assert resolve_followup("what are its drawbacks?", None).text == "what are its drawbacks?"
    assert resolve_followup("what are its drawbacks?", []).text == "what are its drawbacks?"
    assert resolve_followup("why?", [assistant("only an assistant turn")]).text == "why?"


def test_the_previous_turn_is_resolved_first():
    history = [*LORA, user("what are its drawbacks?"), assistant("It adds latency when not merged.")]
    assert (
        resolve_followup("and why is that?", history).text == "What is LoRA? what are its drawbacks? and why is that?"
    )


def test_only_user_turns_supply_the_topic():
    history = [user("Explain batch normalization"), assistant("It normalizes activations over the batch; see LoRA.")]
    assert resolve_followup("does it help transformers?", history).text.startswith("Explain batch normalization")


def test_curly_apostrophes_read_like_straight_ones():
    assert not needs_history("it’s true that dropout helps, isn’t it?")
