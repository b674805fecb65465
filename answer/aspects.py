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

import numpy as np

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

_CUES = {
    Aspect.HOW: re.compile(
        r"(?ix)\b(?:works?\s+by|by\s+(?:\w+ing)|computes?|computed|calculat\w+|steps?|first|then|process(?:es)?|"
        r"formula|updat\w+|maps?|mapping|projects?|splits?|combin\w+|adds?|multipl\w+|replac\w+|passes|feeds?|"
        r"takes?|learns?|trained\s+(?:to|on|by)|objective|mechanism|architecture|consists?\s+of)\b"
    ),
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
DEFINITION_FIRST = 0.2  # the first point answering "what is X" is a definition unless a cue says otherwise

# Prototype sentences, about no topic in particular.
_PROTOTYPES = {
    Aspect.WHAT: [
        "It is a technique that refers to a method of doing something.",
        "This term is defined as a kind of model or approach.",
    ],
    Aspect.HOW: [
        "It works by first computing values, then combining them step by step.",
        "The input is transformed, multiplied by weights and passed to the next layer.",
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
    """The aspect each point speaks to."""
    if not points:
        return []
    prototypes = [(aspect, text) for aspect, texts in _PROTOTYPES.items() for text in texts]
    proto_vectors = embed(searcher, [text for _, text in prototypes])
    vectors = embed(searcher, [p.plain for p in points])
    similarity = vectors @ proto_vectors.T
    out: list[Aspect] = []
    for i, point in enumerate(points):
        scores = dict.fromkeys(Aspect, -1.0)
        for j, (aspect, _) in enumerate(prototypes):
            scores[aspect] = max(scores[aspect], float(similarity[i, j]))
        for aspect, cue in _CUES.items():
            scores[aspect] += CUE_WEIGHT * min(len(cue.findall(point.plain)), 2)
        if is_definition(point):
            scores[Aspect.WHAT] += DEFINITION_FIRST + (DEFINITION_FIRST if point.position == 0 else 0.0)
        out.append(max(scores, key=lambda a: scores[a]))
    return out


def order_key(aspects: Sequence[Aspect]) -> np.ndarray:
    return np.array([int(a) for a in aspects], dtype=np.int32)
