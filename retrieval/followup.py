"""Resolve a follow-up against the conversation, by grammar alone.

A message leans on the conversation when it cannot name its own topic: it has no content word at
all ("why?", "what are its drawbacks?"), it opens with an ellipsis ("what about GRUs?"), or a
pronoun stands where its topic should be, before it names anything ("does it play nicely with batch
norm?"). A message that names its topic first stands alone ("is it true that dropout reduces
overfitting?" — an "it" that opens "it is true that …" points at the clause, not at the
conversation).

A message that leans on the conversation is searched together with the previous user turn (itself
resolved the same way): the previous question supplies the topic, the message what is asked of it.

An ellipsis naming a new subject ("what about X?") asks the previous question of it: X takes the place
of the previous question's topic words ("what are the drawbacks of LoRA?" → "what are the drawbacks
of X"); one that narrows it ("what about for images?") is searched with the previous question.

Grammar cannot settle every case: a pro-form after the message's own content words ("what role does
the learning rate play in it?", "what is stratified sampling, and when would I use it?"), or a
message opening with a connective ("and what does the W version change?"), may or may not lean on the
conversation. Such a message is searched both ways — with the previous turn and on its own — and the
searcher keeps, for every entry, the better of the two readings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textkit.words import STOPWORDS, content_words, words

# Pro-forms that take their meaning from what was said before.
REFERRING = frozenset("it its itself they them their theirs this that these those one ones there".split())
_COPULA = frozenset("is was be isn't wasn't it's".split())
_CLAUSE_OPENERS = frozenset("that to if whether".split())
_ELLIPSIS = re.compile(r"^\W*(?:and\s+|so\s+|ok(?:ay)?,?\s+)?(?:what|how)\s+about\s+(?P<subject>.+?)\W*$", re.I)
_WORD = re.compile(r"([A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*)")
_EXISTENTIAL = frozenset("is are was were isn't aren't".split())  # "is there", "there are"
_CONNECTIVES = frozenset("and but so then".split())  # "and what does …" continues the conversation
# Words that are pro-forms only when no noun follows: "use that to …" points back, "true that dropout …"
# and "this method" do not (a complementizer, a determiner).
_PRONOUN_UNLESS_NOUN_FOLLOWS = frozenset("this that these those one ones".split())
_CLAUSE_BREAK = re.compile(r"[.?!;:,]+")


@dataclass(frozen=True, slots=True)
class Resolution:
    text: str  # what to search
    used_history: bool  # True when the previous turn was folded in
    alone: str | None = None  # an ambiguous follow-up: the message read on its own, searched as well


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and word not in REFERRING and (len(word) > 1 or word.isdigit())


def _points_back(tokens: Sequence[str], i: int) -> bool:
    """Is tokens[i], a pro-form, referring to something said before (not a dummy or an opener)?"""
    word = tokens[i]
    following = tokens[i + 1 : i + 4]
    if word in {"it", "it's"}:
        # "is it true that …", "it's worth trying to …": an anticipatory "it" stands for a clause.
        copula_next_to_it = word == "it's" or (i > 0 and tokens[i - 1] in _COPULA) or (following[:1] == ["is"])
        if copula_next_to_it and _CLAUSE_OPENERS.intersection(following):
            return False
    if word == "there":
        # "is there a way to …", "there are methods that …": existential, not a place.
        return not ((i > 0 and tokens[i - 1] in _EXISTENTIAL) or (following[:1] and following[0] in _EXISTENTIAL))
    return True


def needs_history(query: str) -> bool:
    """The message cannot name its own topic: it surely leans on the conversation."""
    tokens = words(query.replace("’", "'"))
    content = [i for i, w in enumerate(tokens) if _is_content(w)]
    if not content:
        return True
    if _ELLIPSIS.match(query):
        return True
    return any(tokens[i] in REFERRING and _points_back(tokens, i) for i in range(content[0]))


def may_need_history(query: str) -> bool:
    """The message names a topic but may still lean on the conversation: a pro-form pointing back
    after its own words, or a connective opening it."""
    text = query.replace("’", "'")
    tokens = words(text)
    if tokens and tokens[0] in _CONNECTIVES:
        return True
    clauses = (words(clause) for clause in _CLAUSE_BREAK.split(text))  # "fit one? walk me …": "one" ends its clause
    return any(_refers_back(clause, i) for clause in clauses for i in range(len(clause)))


def _refers_back(tokens: Sequence[str], i: int) -> bool:
    word = tokens[i]
    if word not in REFERRING or not _points_back(tokens, i):
        return False
    if word in _PRONOUN_UNLESS_NOUN_FOLLOWS:
        return not (i + 1 < len(tokens) and _is_content(tokens[i + 1]))
    return True


def _last_user_turn(history: Sequence[Mapping[str, str]]) -> tuple[str | None, list[Mapping[str, str]]]:
    for i in range(len(history) - 1, -1, -1):
        turn = history[i]
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"]).strip(), list(history[:i])
    return None, []


def resolve_followup(query: str, history: Sequence[Mapping[str, str]] | None) -> Resolution:
    """What to search for `query` said after `history` (a list of {"role", "content"} turns)."""
    if not history:
        return Resolution(query, False)
    surely = needs_history(query)
    if not surely and not may_need_history(query):
        return Resolution(query, False)
    previous, earlier = _last_user_turn(history)
    if previous is None:
        return Resolution(query, False)
    topic = resolve_followup(previous, earlier).text  # the previous turn may itself have leaned on its own past
    ellipsis = _ELLIPSIS.match(query)
    subject = ellipsis.group("subject") if ellipsis else ""
    if subject and words(subject) and _is_content(words(subject)[0]):
        return Resolution(_reframe(topic, subject), True)  # "what about QLoRA?" — not "what about for images?"
    return Resolution(f"{topic.rstrip()} {query.lstrip()}", True, None if surely else query)


def _reframe(question: str, subject: str) -> str:
    """The question asked of another subject: its topic words give way to the subject."""
    topic = set(content_words(question))
    pieces = _WORD.split(question)
    out: list[str] = []
    placed = False
    for i, piece in enumerate(pieces):
        if i % 2 and piece.lower() in topic:  # odd pieces are the words
            if not placed:
                out.append(subject)
                placed = True
            elif out and not out[-1].strip():
                out.pop()  # the space before a dropped word goes too
            continue
        out.append(piece)
    return re.sub(r"\s+", " ", "".join(out)).strip() if placed else f"{question.rstrip()} {subject}"
