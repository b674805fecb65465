"""What kind of answer a query wants: a lookup, an explanation, or a comparison.

Rules of English phrasing, checked in order: a comparison ("X vs Y", "difference between X and
Y", "compare …", "how do the banks differ on …") wins over an explanation ("explain", "in depth",
"simply", "ELI5", "how does … work"), and anything else is a lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from answer.types import Intent

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
_COMPARE_CUE = re.compile(
    r"(?ix)\b(?:vs\.?|versus|v\.|compare[sd]?|comparing|comparison|differences?|differ|differs|different\s+from|"
    r"distinguish|contrast|similarities|trade-?offs?\s+between|better\s+than|instead\s+of)\b"
)
_EXPLAIN_CUE = re.compile(
    r"(?ix)\b(?:explain\w*|elaborate|in[\s-]depth|in\s+detail|detailed|deep[\s-]?dive|simply|simple\s+terms|"
    r"plain\s+(?:english|terms|words)|eli5|like\s+i'?m\s+(?:five|5|a\s+beginner)|intuition|intuitively|"
    r"walk\s+me\s+through|help\s+me\s+understand|teach\s+me|break\s+(?:it\s+)?down|step\s+by\s+step)\b"
    r"|^\s*how\s+(?:does|do|did|is|are|can|would)\b.*\bwork(?:s|ing)?\b"
)
_SIMPLE_CUE = re.compile(
    r"(?ix)\b(?:simply|simple\s+terms|plain\s+(?:english|terms|words)|eli5|like\s+i'?m\s+(?:five|5|a\s+beginner)|"
    r"briefly|in\s+short|tl;?dr|for\s+a\s+beginner|non-?technical)\b"
)
_DEEP_CUE = re.compile(r"(?ix)\b(?:in[\s-]depth|in\s+detail|detailed|deep[\s-]?dive|thoroughly|comprehensive\w*)\b")

# "X vs Y vs Z", "X versus Y"
_VS = re.compile(r"(?i)\s+(?:vs\.?|versus|v\.)\s+|\s*\bvs\.?\s+")
_BETWEEN = re.compile(
    r"(?ix)\b(?:differences?|distinction|distinguish(?:ing)?|trade-?offs?|similarities|choose|choosing|pick)\s+"
    r"(?:between|among)\s+(?P<rest>.+)$"
)
_COMPARE_VERB = re.compile(r"(?ix)\bcompar(?:e|ing)\s+(?P<a>.+?)\s+(?:and|with|to|against|vs\.?|versus)\s+(?P<b>.+)$")
_DIFFER = re.compile(
    r"(?ix)\b(?:how|in\s+what\s+way)s?\s+(?:does|do|is|are)\s+(?P<a>.+?)\s+"
    r"(?:differ|different|compare|contrast|stack\s+up)\w*\s+(?:from|to|with|against)\s+(?P<b>.+)$"
)
_OVER = re.compile(
    r"(?ix)\b(?:use|choose|pick|prefer|select)\s+(?P<a>.+?)\s+(?:over|instead\s+of|rather\s+than|or)\s+(?P<b>.+)$"
)
_LIST_SPLIT = re.compile(r"(?i)\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")
_LEAD = re.compile(
    r"(?ix)^(?:(?:and|so|ok|okay|please|also|then)\b[\s,]*)*"
    r"(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:what(?:'s|\s+is|\s+are)?|how|which|explain|describe|compare|tell\s+me\s+about|give\s+me|show\s+me)?\s*"
    r"(?:(?:is|are|was|were|the|a|an|between)\s+)*"
)
_TRAIL = re.compile(
    r"(?ix)(?:\s*[?.!:;,]+|\s+(?:in\s+(?:depth|detail|practice|simple\s+terms)|simply|briefly|please|exactly|"
    r"respectively|in\s+the\s+banks?|in\s+each\s+bank|across\s+(?:the\s+)?banks))+\s*$"
)
_SIDE_LEAD = re.compile(r"(?i)^(?:the|a|an|using|use|doing)\s+")


@dataclass(frozen=True, slots=True)
class CompareTarget:
    sides: tuple[str, ...]  # two or more concepts to set side by side (empty: compare bank versions)
    topic: str  # what the comparison is about, as one searchable phrase
    across_banks: bool  # "how do the banks differ on …": each bank's version side by side


def detect_intent(query: str) -> Intent:
    if compare_sides(query) or BANK_COMPARISON.search(query) or _COMPARE_CUE.search(query):
        return Intent.COMPARE
    if _EXPLAIN_CUE.search(query):
        return Intent.EXPLAIN
    return Intent.LOOKUP


def explain_depth(query: str) -> str:
    """ "simple", "deep" or "normal": how much an explanation should say."""
    if _SIMPLE_CUE.search(query):
        return "simple"
    if _DEEP_CUE.search(query):
        return "deep"
    return "normal"


def _clean(side: str) -> str:
    side = _TRAIL.sub("", side.strip())
    side = _LEAD.sub("", side, count=1) if _LEAD.match(side) else side
    side = _SIDE_LEAD.sub("", side.strip())
    return side.strip(" '\"“”‘’`*()[]")


# A head noun the last side carries for all: "L1 and L2 regularization", "generative and discriminative models".
_SHARED_HEADS = frozenset(
    """model models method methods network networks approach approaches technique techniques function functions
    layer layers algorithm algorithms regularization normalization learning attention encoding encodings
    embedding embeddings loss losses models' search sampling decoding""".split()
)
_FACETS = re.compile(r"(?i)\s+(?:implementations?|in\s+practice|performance|approach(?:es)?)$")


def _sides(parts: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for part in parts:
        cleaned = _FACETS.sub("", _clean(part))
        if cleaned and cleaned.lower() not in (s.lower() for s in out):
            out.append(cleaned)
    if len(out) < 2:
        return ()
    head = out[-1].rsplit(None, 1)
    if len(head) == 2 and head[1].lower() in _SHARED_HEADS:
        out = [f"{side} {head[1]}" if len(side.split()) == 1 else side for side in out[:-1]] + [out[-1]]
    return tuple(out)


def compare_sides(query: str) -> tuple[str, ...]:
    """The concepts a comparison sets side by side: "LoRA vs prefix tuning" → ("LoRA", "prefix tuning")."""
    text = re.sub(r"\s+", " ", query).strip()
    text = _TRAIL.sub("", text)
    if _VS.search(text):
        parts = _VS.split(text)
        # "difference between A, B vs C" or "what is A vs B": drop the question lead from the first side
        head = _BETWEEN.search(parts[0])
        if head:
            parts[0] = head.group("rest")
        expanded: list[str] = []
        for part in parts:
            expanded.extend(p for p in re.split(r"\s*,\s*", part) if p.strip())
        return _sides(expanded)
    for pattern in (_BETWEEN,):
        match = pattern.search(text)
        if match:
            return _sides(_LIST_SPLIT.split(match.group("rest")))
    for pattern in (_COMPARE_VERB, _DIFFER, _OVER):
        match = pattern.search(text)
        if match:
            first = [p for p in re.split(r"\s*,\s*", match.group("a")) if p.strip()]
            return _sides([*first, match.group("b")])
    return ()


def compare_target(query: str) -> CompareTarget:
    """Sides and topic of a comparison; `across_banks` when the query asks how the banks differ."""
    across = bool(BANK_COMPARISON.search(query))
    topic = query
    if across:
        topic = re.sub(
            rf"(?ix)^.*?\b(?:{_BANKS})\b.*?\b{_BANK_VERBS}\w*"
            r"(?:\s+(?:on|about|over|regarding|in|when\s+it\s+comes\s+to|with\s+respect\s+to)\b)?\s*",
            "",
            query,
            count=1,
        )
        topic = re.sub(rf"(?ix)\s*\b(?:across|between|among|in)\s+(?:the\s+|all\s+|each\s+)?{_BANKS}\b.*$", "", topic)
        topic = re.sub(r"(?ix)^\s*(?:compare|contrast)\s+(?:how\s+)?", "", topic)
        topic = _TRAIL.sub("", topic).strip() or query
    return CompareTarget(sides=compare_sides(topic), topic=topic, across_banks=across)
