"""Words: the one tokenizer, the one stopword list and the one stemmer.

The stopword list holds English function words plus the words people wrap a question in
("explain", "difference", "example", "pros"): they say what kind of answer is wanted, not what it
is about, so they neither find entries nor count as a query's topic.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

# English function words (and greetings): words that never name a topic.
FUNCTION_WORDS = frozenset(
    """a about above after again against all also although am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each either else etc
    even ever every few for from further get gets got had has have having he her here hers herself him himself
    his how however i ie eg if in into is it its itself just let like lot lots may me might more most much must
    my myself neither no nor not now of off often on once one only or other others otherwise our ours ourselves
    out over own per please quite rather really same she should since so some such than that the their theirs
    them themselves then there these they thing things this those though through thus to too under until up
    upon us very via was way ways we well were what whatever when where whereas whether which while who whom
    whose why will with within without would yes yet you your yours yourself yourselves
    i'm i've i'd you're it's what's how's that's there's don't doesn't isn't aren't can't won't
    ok okay hi hello thanks thank hey just actually basically""".split()
)
# The words people wrap a question in: what kind of answer is wanted, not what it is about.
FRAMING_WORDS = frozenset(
    """exactly simply simple simpler briefly detail
    details detailed explain explained explaining describe define definition mean means meaning tell show give
    know understand understanding concept concepts idea question questions answer answers versus vs
    difference differences different compare comparison contrast example examples pros cons advantage
    advantages disadvantage disadvantages drawback drawbacks benefit benefits limitation limitations
    work works working use used uses using""".split()
)
STOPWORDS = FUNCTION_WORDS | FRAMING_WORDS

_stemmer = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words: letters and digits, keeping inner hyphens and apostrophes ("q-learning")."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """The words of text that carry its topic, in order, each once."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter 2) stem of a lower-cased word: train/training/trained → train."""
    return _stemmer.stemWord(word)


def stems(text: str) -> set[str]:
    """The stems of text's content words: the unit of "do these two texts share a word"."""
    return {stem(w) for w in content_words(text)}
