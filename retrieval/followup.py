"""Resolve a follow-up ("and how does it compare to prefix tuning?") into a standalone query.

Rules of English, not of any bank: a follow-up leans on the conversation through a pronoun
("it", "its", "they"), an ellipsis ("what about X?") or by being a bare request ("why?",
"give an example"). The subject it leans on is the topic of the previous user turn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_PRONOUN = re.compile(r"\b(it|they|them|this|that|these|those|its|their|theirs)\b", re.IGNORECASE)
_POSSESSIVE = {"its", "their", "theirs"}
_WHAT_ABOUT = re.compile(r"^(?:and|but|ok|okay|so)?\s*(?:what|how)\s+about\s+(.+?)[?.!]*$", re.IGNORECASE)
_LEADING_CONNECTIVE = re.compile(r"^(?:and|but|also|so|then|ok|okay)\b[,\s]*", re.IGNORECASE)
# A comparison that names only one side leans on the conversation for the other.
_ONE_SIDED = re.compile(r"^(?:(?!\b(?:vs|versus|between)\b).)*\b(?:compared (?:to|with)|instead|rather than)\b", re.I)
# "the W version" of Adam is AdamW, "the 2 variant" of Llama is Llama 2: variants are named by
# a short suffix on the subject's name.
_SUFFIX_VARIANT = re.compile(r"\bthe ([A-Za-z0-9.+]{1,3}) (?:version|variant|flavou?r)\b", re.IGNORECASE)
_CONTRACTIONS = {"what's": "what is", "how's": "how is", "who's": "who is", "where's": "where is", "that's": "that is"}
_QUESTION_LEAD = re.compile(
    r"^(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:what|how|why|when|where|which|who|explain|describe|define|tell me about|talk about|give me|"
    r"walk me through|compare|summari[sz]e)\b"
    r"(?:\s+(?:is|are|was|were|does|do|did|can|could|would|should|exactly|really)\b)*"
    r"(?:\s+(?:the|a|an)\b)?\s*",
    re.IGNORECASE,
)
_RELATION = re.compile(r"\b(?:of|about|behind|for|between|in)\s+(?:the\s+|a\s+|an\s+)?(.+)$", re.IGNORECASE)
_TRAILING = re.compile(
    r"\s+(?:work|works|mean|means|do|does|used|in simple terms|simply|in detail|in depth|"
    r"for me|please|exactly)$",
    re.IGNORECASE,
)
_FRAME_WORDS = re.compile(
    r"\b(?:drawbacks?|advantages?|disadvantages?|benefits?|limitations?|pros|cons|role|purpose|idea|"
    r"intuition|goal|difference|differences|types?|examples?|uses?|applications?|problems?|issues?|"
    r"challenges?|risks?|cost|complexity|math|formula)\b",
    re.IGNORECASE,
)
_POSSESSIVE_FRAME = re.compile(r"^(.+?)['’]s\s+(?:the\s+)?" + _FRAME_WORDS.pattern + r"$", re.IGNORECASE)
_CONTENT_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")
_FUNCTION_WORDS = frozenset(
    """and but also the this that these those its their them they what why how when where which who give example
    examples more detail details please simpler simply explain again tell about show another one can could
    would you me some any does do did is are was were depth deeper elaborate mean""".split()
)


def topic_of(question: str) -> str:
    """The subject a question is about: "What are the drawbacks of LoRA?" → "LoRA"."""
    text = question.strip().rstrip("?.! ")
    text = re.sub(r"\b(\w+'s)\b", lambda m: _CONTRACTIONS.get(m.group(1).lower(), m.group(1)), text)
    relation = _RELATION.search(text)
    lead_stripped = _QUESTION_LEAD.sub("", text, count=1)
    if relation and _FRAME_WORDS.search(text[: relation.start()]):
        topic = relation.group(1)
    else:
        topic = lead_stripped
    previous = None
    while previous != topic:
        previous = topic
        topic = _TRAILING.sub("", topic).strip()
    # "What are LoRA's drawbacks?" is about LoRA, as "the drawbacks of LoRA" is.
    possessive = _POSSESSIVE_FRAME.match(topic)
    if possessive:
        topic = possessive.group(1)
    return topic or text


def needs_context(query: str) -> bool:
    if _WHAT_ABOUT.match(query) or _PRONOUN.search(query) or _LEADING_CONNECTIVE.match(query):
        return True
    if _ONE_SIDED.search(query):
        return True
    content = [w for w in _CONTENT_WORD.findall(query) if w.lower() not in _FUNCTION_WORDS]
    return len(content) == 0


def _last_user_turn(history: Sequence[Mapping[str, str]]) -> tuple[str | None, list[Mapping[str, str]]]:
    for i in range(len(history) - 1, -1, -1):
        turn = history[i]
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"]).strip(), list(history[:i])
    return None, []


def resolve_followup(query: str, history: Sequence[Mapping[str, str]] | None) -> str:
    """The query as it would be asked on its own; unchanged when it already stands alone."""
    if not history or not needs_context(query):
        return query
    previous, earlier = _last_user_turn(history)
    if previous is None:
        return query
    # The previous turn may itself have been a follow-up.
    previous = resolve_followup(previous, earlier)
    topic = topic_of(previous)
    what_about = _WHAT_ABOUT.match(query)
    if what_about:
        new_subject = what_about.group(1).strip()
        if topic and topic.lower() in previous.lower() and topic.lower() != previous.lower().rstrip("?.! "):
            return re.sub(re.escape(topic), new_subject, previous, count=1, flags=re.IGNORECASE)
        return f"{new_subject}: {previous}"
    pronoun = _PRONOUN.search(query)
    if pronoun:
        replacement = f"{topic}'s" if pronoun.group(1).lower() in _POSSESSIVE else topic
        resolved = query[: pronoun.start()] + replacement + query[pronoun.end() :]
        return _LEADING_CONNECTIVE.sub("", resolved).strip()
    variant = _SUFFIX_VARIANT.search(query)
    if variant and topic:
        head, suffix = topic.split()[0], variant.group(1)
        query = query[: variant.start()] + f"{head}{suffix} ({head} {suffix})" + query[variant.end() :]
    content = [w for w in _CONTENT_WORD.findall(query) if w.lower() not in _FUNCTION_WORDS]
    if content:
        # "and what does the W version change?" — new words about the same subject.
        return f"{topic}: {_LEADING_CONNECTIVE.sub('', query).strip()}"
    return f"{previous} {query}"
