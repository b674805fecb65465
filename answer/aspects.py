"""Which aspect of a concept a point speaks to: what it is, how it works, its strengths, its
weaknesses, or when to use it. Compare tables align sides by aspect; explanations order their
complementary points by it (mechanism before details).

Two signals, both general: discourse cues of English ("the advantage is", "however", "is used
when", "works by") and meaning — the point's embedding against short prototype sentences of each
aspect, written about no particular topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum

from answer.evidence import embed
from answer.points import Point, is_definition
from retrieval.searcher import Searcher


class Aspect(IntEnum):
    """In reading order: a definition first, the mechanism next, then the details."""

    WHAT = 0
    HOW = 1
    STRENGTHS = 2
    WEAKNESSES = 3
    WHEN = 4


ASPECT_LABELS = {
    Aspect.WHAT: "What it is",
    Aspect.HOW: "How it works",
    Aspect.STRENGTHS: "Strengths",
    Aspect.WEAKNESSES: "Weaknesses",
    Aspect.WHEN: "When to use",
}

# A labelled bullet says which aspect it is about ("**Benefits**: …", "Limitations: …", "Steps: …").
_LABELS = {
    Aspect.HOW: re.compile(
        r"(?i)^(?:how(?:\s+it\s+works)?|mechanism|process|steps?|procedure|algorithm|formula|computation|"
        r"architecture|training|inference|objective|approach|method|implementation|idea)$"
    ),
    Aspect.STRENGTHS: re.compile(r"(?i)^(?:advantages?|benefits?|pros|strengths?|why(?:\s+it\s+works)?|impact)$"),
    Aspect.WEAKNESSES: re.compile(
        r"(?i)^(?:disadvantages?|drawbacks?|limitations?|downsides?|cons|challenges?|problems?|issues?|risks?|"
        r"trade-?offs?|costs?)$"
    ),
    Aspect.WHEN: re.compile(
        r"(?i)^(?:use(?:d\s+(?:in|for))?|uses|use\s+cases?|usage|applications?|examples?|e\.g\.|when(?:\s+to\s+use)?|"
        r"best\s+for|used\s+by|adopted\s+by|models?)$"
    ),
}
_LABEL = re.compile(r"^\W*([A-Za-z][A-Za-z .\-]{1,30}?)\W*\s*:\s")


def labelled_aspect(text: str) -> Aspect | None:
    """The aspect a bullet's own label names ("Benefits: …" → strengths), if any."""
    match = _LABEL.match(text)
    if not match:
        return None
    label = " ".join(match.group(1).replace("*", " ").split())
    return next((aspect for aspect, pattern in _LABELS.items() if pattern.match(label)), None)


_CUES = {
    Aspect.STRENGTHS: re.compile(
        r"(?ix)\b(?:advantages?|benefits?|pros|strengths?|improv\w+|faster|speeds?\s+up|efficien\w+|reduc\w+|"
        r"better|robust\w*|stabl\w+|simpler|cheaper|fewer|less\s+(?:memory|compute)|enabl\w+|allows?|effective\w*|"
        r"boosts?|captures?|prevents?|mitigat\w+|helps?)\b"
    ),
    Aspect.WEAKNESSES: re.compile(
        r"(?ix)\b(?:disadvantages?|drawbacks?|limitations?|downsides?|cons|however|suffers?|struggl\w+|expensive|"
        r"costly|slower|unstable|instability|prone\s+to|risks?|harder|difficult|cannot|can't|fails?|failure|"
        r"sensitive\s+to|bottleneck|overhead|lacks?|poor(?:ly)?|worse|degrad\w+|vulnerab\w+)\b"
    ),
    Aspect.WHEN: re.compile(
        r"(?ix)\b(?:use\s+(?:it\s+|them\s+|this\s+)?(?:when|for|if)|used\s+(?:for|in|when|to)|useful\s+(?:for|when|in)|"
        r"suited|suitable|ideal|preferred|prefer|choose|applications?|applied\s+to|commonly|best\s+for|"
        r"appropriate|go-to|popular\s+(?:for|in)|in\s+practice|typically\s+used|e\.g\.,?\s+in)\b"
    ),
}
CUE_WEIGHT = 0.12  # one cue is worth this much cosine to a prototype

# Prototype sentences, about no topic in particular.
_PROTOTYPES = {
    Aspect.HOW: [
        "It works by computing this from the input, then combining the results in the next step.",
        "The method first transforms the input and then applies the update at each layer.",
    ],
    Aspect.STRENGTHS: [
        "The main advantage is that it is faster, more efficient and more accurate.",
        "It improves performance and reduces memory and cost.",
    ],
    Aspect.WEAKNESSES: [
        "The drawback is that it is expensive, slow and can be unstable.",
        "A limitation is that it fails or performs poorly in some cases.",
    ],
    Aspect.WHEN: [
        "Use it when you need this; it is best suited for these applications.",
        "It is commonly used in practice for such tasks and preferred in these settings.",
    ],
}


def classify(searcher: Searcher, points: Sequence[Point]) -> list[Aspect]:
    """The aspect each point speaks to. A bullet labelled with an aspect ("Benefits: …") is that
    aspect; a definition is WHAT; a point with cues of strengths, weaknesses or usage is the aspect
    its meaning and cues fit best — how it works competing too, so a mechanism that "reduces"
    something stays a mechanism; any other point says how the thing works."""
    if not points:
        return []
    prototypes = [(aspect, text) for aspect, texts in _PROTOTYPES.items() for text in texts]
    proto_vectors = embed(searcher, [text for _, text in prototypes])
    similarity = embed(searcher, [p.plain for p in points]) @ proto_vectors.T
    out: list[Aspect] = []
    for i, point in enumerate(points):
        labelled = labelled_aspect(point.text)
        if labelled is not None:
            out.append(labelled)
            continue
        if is_definition(point):
            out.append(Aspect.WHAT)
            continue
        cued = {a: len(_CUES[a].findall(point.plain)) for a in (Aspect.STRENGTHS, Aspect.WEAKNESSES, Aspect.WHEN)}
        cued = {a: n for a, n in cued.items() if n}
        if not cued:
            out.append(Aspect.HOW)
            continue
        cued[Aspect.HOW] = 0
        meaning = {a: max(float(similarity[i, j]) for j, (b, _) in enumerate(prototypes) if b is a) for a in cued}
        out.append(max(cued, key=lambda a: CUE_WEIGHT * min(cued[a], 2) + meaning[a]))
    return out
