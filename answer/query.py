"""A query, read once: what it asks (lookup, explanation or comparison), what a comparison sets
side by side, how deep an explanation should go, and whether it is rejected.

`parse_comparison` is the one reader of comparisons: the intent is COMPARE exactly when it finds
sides (or a question about how the banks differ), so intent and sides cannot disagree. A query
worded as a comparison whose sides cannot be read ("which one is better?") is a lookup.

The rules are English grammar — comparison cues ("vs", "difference between", "A or B", "better
than"), the clauses people append ("…, when do I use which", "… for image generation") — never
particular topics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from answer.safety import screen_query
from answer.types import Intent


class Depth(StrEnum):
    SIMPLE = "simple"
    NORMAL = "normal"
    DEEP = "deep"


@dataclass(frozen=True, slots=True)
class Comparison:
    sides: tuple[str, ...]  # two or more concepts side by side; empty: each bank's version of `topic`
    topic: str  # what the comparison is about, as one searchable phrase
    across_banks: bool  # "how do the banks differ on …"


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    text: str  # as the user typed it
    standalone: str  # the screened question (retrieval resolves follow-ups against the history)
    intent: Intent
    comparison: Comparison | None  # set exactly when intent is COMPARE
    depth: Depth = Depth.NORMAL
    rejection: str | None = None  # why nothing is searched, for the user
    notice: str | None = None  # what screening removed

    @property
    def searched(self) -> str:
        """What to search for: a bank comparison's topic, else the question (its own words carry the
        context: "batchnorm vs layernorm, why do transformers use layer norm")."""
        if self.comparison is not None and self.comparison.across_banks:
            return self.comparison.topic
        return self.standalone


_BANKS = r"(?:banks?|sources?|question\s+banks?)"
_BANK_VERBS = (
    r"(?:differ|difference|compare|comparison|vary|varies|disagree|contrast|say|answer|put|explain|describe|"
    r"define|treat|cover|handle)"
)
BANK_COMPARISON = re.compile(
    rf"(?ix)\b{_BANKS}\b.*\b{_BANK_VERBS}\w*"
    rf"|\b(?:differ|compare|vary|varies|contrast|disagree)\w*\b.*\b(?:across|between|among|in)\s+(?:the\s+|all\s+|each\s+)?"
    rf"(?:different\s+)?{_BANKS}\b"
    rf"|\beach\s+bank\b|\bevery\s+bank\b|\bacross\s+(?:the\s+|all\s+)?banks\b"
)
# "Explain it simply" and "explain it in depth" also ask for an explanation: one list of each serves
# both the explain cue and the style it asks for.
_SIMPLE_WORDS = r"simply|simple\s+terms|plain\s+(?:english|terms|words)|eli5|like\s+i'?m\s+(?:five|5|a\s+beginner|new)"
_DEEP_WORDS = r"in[\s-]depth|in\s+detail|detailed|deep[\s-]?dive"
_EXPLAIN_CUE = re.compile(
    rf"(?ix)\b(?:explain\w*|elaborate|{_DEEP_WORDS}|{_SIMPLE_WORDS}|intuition|intuitively|"
    r"walk\s+me\s+through|help\s+me\s+understand|teach\s+me|break\s+(?:it\s+)?down|step\s+by\s+step|end\s+to\s+end|"
    r"under\s+the\s+hood)\b"
    r"|\bhow\s+(?:does|do|did|is|are|can|would)\b.*\bwork(?:s|ing)?\b"
)
_SIMPLE_CUE = re.compile(rf"(?ix)\b(?:{_SIMPLE_WORDS}|briefly|in\s+short|tl;?dr|for\s+a\s+beginner|non-?technical)\b")
_DEEP_CUE = re.compile(rf"(?ix)\b(?:{_DEEP_WORDS}|thoroughly|comprehensive\w*)\b")

# The ways English sets two things side by side.
_VS = re.compile(r"(?i)\s+(?:vs\.?|versus|v\.)\s+|\s*\bvs\.?\s+")
_BETWEEN = re.compile(
    r"(?ix)\b(?:differences?|distinction|distinguish(?:ing)?|trade-?offs?|similarities|choose|choosing|pick)\s+"
    r"(?:between|among)\s+(?P<rest>.+)$"
)
_COMPARE_VERB = re.compile(
    r"(?ix)\b(?:compar(?:e|ing)|contrast(?:ing)?)\s+(?P<a>.+?)\s+(?:and|with|to|against|vs\.?|versus)\s+(?P<b>.+)$"
)
_DIFFER = re.compile(
    r"(?ix)\b(?:how|in\s+what\s+way)s?\s+(?:does|do|is|are)\s+(?P<a>.+?)\s+"
    r"(?:differ|different|compare|contrast|stack\s+up)\w*\s+(?:from|to|with|against)\s+(?P<b>.+)$"
)
_OVER = re.compile(
    r"(?ix)\b(?:use|choose|pick|prefer|select)\s+(?P<a>.+?)\s+(?:over|instead\s+of|rather\s+than|or)\s+(?P<b>.+)$"
)
# "Is Adam better than SGD?", "are transformers faster than RNNs": a comparative between two things.
_THAN = re.compile(
    r"(?ix)^(?:(?:so|and|but)\s+)?(?:is|are|was|were|does|do|would|will|can)\s+(?P<a>.+?)\s+"
    r"(?:(?:much|really|actually|always|generally|any|a\s+lot)\s+)?"
    r"(?:better|worse|faster|slower|more\s+\w+|less\s+\w+|\w+er)\s+than\s+(?P<b>.+)$"
)
# "ROC AUC or PR AUC for an imbalanced dataset?", "which is better, LSTM or GRU": a choice between two short names.
_CHOICE = re.compile(
    r"(?ix)^(?:which\s+(?:is|one\s+is|should\s+i\s+use|to\s+use|is\s+better|works\s+better)\b[\s,:]*)?"
    r"(?!(?:what|how|why|when|where|who|which|is|are|does|do|can|tell|explain)\b)(?P<a>[\w][\w\s\-./+]{0,40}?)\s+or\s+(?P<b>[\w][\w\s\-./+]{0,40}?)"
    r"(?:\s+(?:for|in|on|when|with)\s+.*)?\s*[?.!]*\s*$"
)
_COMPARE_CUE = re.compile(
    r"(?ix)\b(?:vs\.?|versus|v\.|compare[sd]?|comparing|comparison|differences?|differ|differs|different\s+from|"
    r"distinguish|contrast|similarities|trade-?offs?\s+between|better\s+than|instead\s+of)\b"
)
_LIST_SPLIT = re.compile(r"(?i)\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")
# A clause appended to the comparison ("…, when do I use which", "… - why does only one …",
# "… which should I use", "…, I always mix them up"): a question word or a pronoun opens it.
_CLAUSE = re.compile(
    r"(?ix)(?:(?:\s*[,;:]\s*|\s+[-–—]+\s+)(?:which|when|why|how|what(?:'s)?|should|shall|do|does|is|are|can|i|we|you|they"
    r"|it|so|but)\b|\s+(?:which|when|why|how|should)\s+(?:i|we|you|do|does|is|are|should|one|to)\b).*$"
)
# A purpose or setting after the last side: "… for image generation", "… to add company knowledge".
_TAIL = re.compile(r"(?ix)\s+(?:for|when|in\s+(?!context\b)|on|to\s+(?=[a-z]+\s+\w+\s+\w+))\s*.*$")
_LEAD = re.compile(
    r"(?ix)^(?:(?:and|so|ok|okay|please|also|then)\b[\s,]*)*"
    r"(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:what(?:'s|\s+is|\s+are)?|how|which|explain|describe|compare|contrast|tell\s+me\s+about|give\s+me|show\s+me)?\s*"
    r"(?:(?:is|are|was|were|the|a|an|between)\s+)*"
)
_TRAIL = re.compile(
    r"(?ix)(?:\s*[?.!:;,]+|\s+(?:in\s+(?:depth|detail|practice|simple\s+terms)|simply|briefly|please|exactly|"
    r"respectively|in\s+the\s+banks?|in\s+each\s+bank|across\s+(?:the\s+)?banks|actually|really))+\s*$"
)
_SIDE_LEAD = re.compile(r"(?i)^(?:the|a|an|using|use|doing)\s+")
_FACETS = re.compile(r"(?i)\s+(?:implementations?|in\s+practice|performance|approach(?:es)?)$")
MAX_SIDE_WORDS = 6  # longer "sides" are clauses, not names of concepts
MAX_CHOICE_WORDS = 4  # "A or B": each a short name


def _clean(side: str) -> str:
    side = _TRAIL.sub("", side.strip())
    side = _LEAD.sub("", side, count=1) if _LEAD.match(side) else side
    side = _SIDE_LEAD.sub("", side.strip())
    return side.strip(" '\"“”‘’`*()[]?.!")


def _sides(parts: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for k, part in enumerate(parts):
        part = _CLAUSE.sub("", part)
        if k == len(parts) - 1 and len(part.split()) > 1:
            part = _TAIL.sub("", part) or part
        cleaned = _FACETS.sub("", _clean(part))
        if cleaned and cleaned.lower() not in (s.lower() for s in out) and len(cleaned.split()) <= MAX_SIDE_WORDS:
            out.append(cleaned)
    if len(out) < 2:
        return ()
    # A head noun the last side carries for all: "L1 and L2 regularization", "sparse vs dense retrieval".
    head = out[-1].rsplit(None, 1)
    if len(head) == 2 and all(len(side.split()) == 1 and _parallel(side, head[0]) for side in out[:-1]):
        out = [f"{side} {head[1]}" for side in out[:-1]] + [out[-1]]
    return tuple(out)


def _parallel(word: str, modifier: str) -> bool:
    """Is `word` shaped like `modifier`, so both modify the same head noun? Both hyphenated
    ("zero-shot"/"few-shot"), the same length and first letter ("L1"/"L2", "top-k"/"top-p"), or
    the same ending ("sparse"/"dense", "generative"/"discriminative")."""
    a, b = word.lower(), modifier.lower()
    if "-" in a and "-" in b:
        return True
    if len(a) == len(b) and a[0] == b[0]:
        return True
    return len(a) > 3 and len(b) > 3 and a[-2:] == b[-2:] and a.isalpha() and b.isalpha()


def _sides_of(text: str) -> tuple[str, ...]:
    text = re.sub(r"\s+", " ", text).strip()
    questioned = text.endswith("?")
    text = _TRAIL.sub("", text)
    if _VS.search(text):
        parts = _VS.split(text)
        head = _BETWEEN.search(parts[0])  # "difference between A, B vs C": drop the question lead
        if head:
            parts[0] = head.group("rest")
        expanded: list[str] = []
        for k, part in enumerate(parts):
            if k == len(parts) - 1:
                part = _CLAUSE.sub("", part)
            expanded.extend(p for p in re.split(r"\s*,\s*", part) if p.strip())
        return _sides(expanded)
    match = _BETWEEN.search(text)
    if match:
        return _sides(_LIST_SPLIT.split(_CLAUSE.sub("", match.group("rest"))))
    for pattern in (_COMPARE_VERB, _DIFFER, _THAN, _OVER):
        match = pattern.search(text)
        if match:
            first = [p for p in re.split(r"\s*,\s*", match.group("a")) if p.strip()]
            return _sides([*first, match.group("b")])
    choice = _CLAUSE_LEAD.sub("", text)
    match = _CHOICE.match(choice)
    # A choice is asked: a question ("…?", "which …", "should I use …") between two short names.
    asked = questioned or choice != text or text.lower().startswith("which")
    short = match is not None and all(len(match.group(g).split()) <= MAX_CHOICE_WORDS for g in ("a", "b"))
    if match and asked and short and not _EXPLAIN_CUE.search(text):
        return _sides([match.group("a"), match.group("b")])
    return ()


# "should I use …", "is it better to use …": the lead of a choice question.
_CLAUSE_LEAD = re.compile(
    r"(?ix)^(?:(?:should|do|would|can)\s+(?:i|we|you)\s+(?:use|pick|choose|go\s+with)\s+|"
    r"(?:is\s+it\s+better\s+to\s+use)\s+)"
)


def parse_comparison(text: str) -> Comparison | None:
    """The comparison a query asks for, or None. Sides come from the grammar of comparison; a
    question about how the banks differ compares each bank's version of its topic."""
    if BANK_COMPARISON.search(text):
        topic = re.sub(
            rf"(?ix)^.*?\b(?:{_BANKS})\b.*?\b{_BANK_VERBS}\w*"
            r"(?:\s+(?:on|about|over|regarding|in|when\s+it\s+comes\s+to|with\s+respect\s+to)\b)?\s*",
            "",
            text,
            count=1,
        )
        topic = re.sub(rf"(?ix)\s*\b(?:across|between|among|in)\s+(?:the\s+|all\s+|each\s+)?{_BANKS}\b.*$", "", topic)
        topic = re.sub(r"(?ix)^\s*(?:compare|contrast)\s+(?:how\s+)?", "", topic)
        topic = _TRAIL.sub("", topic).strip() or text
        return Comparison(sides=_sides_of(topic), topic=topic, across_banks=True)
    sides = _sides_of(text)
    if not sides:
        return None
    return Comparison(sides=sides, topic=text, across_banks=False)


def explain_depth(text: str) -> Depth:
    """How much an explanation should say."""
    if _SIMPLE_CUE.search(text):
        return Depth.SIMPLE
    if _DEEP_CUE.search(text):
        return Depth.DEEP
    return Depth.NORMAL


def detect_intent(text: str, comparison: Comparison | None = None) -> Intent:
    if comparison is not None:
        return Intent.COMPARE
    if _EXPLAIN_CUE.search(text):
        return Intent.EXPLAIN
    return Intent.LOOKUP


def parse_query(query: str, forced: Intent | None = None) -> ParsedQuery:
    """Screen and read a query. A forced COMPARE without readable sides compares bank versions."""
    query = query if isinstance(query, str) else ""
    screened = screen_query(query)
    if screened.rejection is not None:
        return ParsedQuery(query, "", forced or Intent.LOOKUP, None, rejection=screened.rejection)
    text = screened.query
    comparison = parse_comparison(text)
    if forced is Intent.COMPARE and comparison is None:
        comparison = Comparison(sides=(), topic=text, across_banks=True)
    elif forced is not None and forced is not Intent.COMPARE:
        comparison = None
    intent = forced or detect_intent(text, comparison)
    return ParsedQuery(query, text, intent, comparison, explain_depth(text), None, screened.notice)


def is_comparison_question(text: str) -> bool:
    """Is a bank question itself a comparison or a survey of options ("What are the types of …",
    "How does X differ from Y")? Such entries compare sides directly."""
    return bool(_COMPARE_CUE.search(text) or _SURVEY.search(text) or _sides_of(text))


_SURVEY = re.compile(
    r"(?ix)\b(?:better|worse|prefer\w*|than|approaches|types|kinds|methods|techniques|pros|cons|choose|choosing|"
    r"choice|similar\w*|contrast\w*)\b"
)
