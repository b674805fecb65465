"""Screen a query before anything is searched or composed.

qbank answers questions about the banks; it never takes orders from the text it is given. A
query is read as a sequence of clauses, and three kinds of text are cut out of it:

- payloads: SQL statements and injection fragments, template/lookup expressions
  (`{{…}}`, `${…}`, `{%…%}`, `<%…%>`), HTML tags and scripts;
- instructions aimed at the assistant: clauses that tell it to ignore or override its rules, to
  reveal a prompt or configuration, to take on a role, to say something verbatim, or to dump the
  banks — plus the non-question clauses that continue such an instruction;
- nothing else: a question that merely *mentions* these things ("what is prompt injection?",
  "why does 'ignore previous instructions' work?") is a question and is kept whole.

What remains is searched. When nothing with meaning remains, the query is rejected with a message
that says why — and no part of the banks is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from retrieval.errors import QueryError
from retrieval.normalize import normalize_query
from textkit.words import FUNCTION_WORDS


class Payload(StrEnum):
    INJECTION = "instructions"
    SQL = "sql"
    TEMPLATE = "template"
    HTML = "html"


@dataclass(frozen=True, slots=True)
class Screened:
    query: str  # what is left to search ("" when rejected)
    removed: tuple[Payload, ...] = ()  # kinds of text cut out
    rejection: str | None = None  # why nothing is searched, for the user

    @property
    def rejected(self) -> bool:
        return self.rejection is not None

    @property
    def notice(self) -> str | None:
        if self.rejected or not self.removed:
            return None
        kinds = " and ".join(_NOUNS[k] for k in self.removed)
        return f"Part of the query was {kinds}; it was ignored and only the question was answered."


_NOUNS = {
    Payload.INJECTION: "instructions to the assistant",
    Payload.SQL: "a SQL payload",
    Payload.TEMPLATE: "a template expression",
    Payload.HTML: "HTML markup",
}

_ASK = "Ask about a machine-learning or GenAI topic instead, e.g. “What is KV caching?”."
REJECTIONS = {
    Payload.INJECTION: (
        "This reads as instructions to the assistant, not as a question about the interview banks. "
        "qbank does not follow instructions found in queries or in bank text, and has no hidden prompt "
        "or configuration to reveal. " + _ASK
    ),
    Payload.SQL: "This looks like a SQL statement or injection payload, not a question. " + _ASK,
    Payload.TEMPLATE: "This looks like a template or lookup expression such as {{…}} or ${…}, not a question. " + _ASK,
    Payload.HTML: "This is HTML or script markup, not a question. " + _ASK,
}
NO_QUESTION = "There is no question in this query. " + _ASK

# -- payloads --------------------------------------------------------------------------------------

_SQL_VERBS = r"(?:drop|delete|insert|update|select|union|alter|create|truncate|exec(?:ute)?|shutdown|grant|merge)"
_SQL = re.compile(
    r"""(?ix)
      ['"`]\s*\)?\s*;[^\n]*                                              # a quote broken out of, then anything
    | ;\s*"""
    + _SQL_VERBS
    + r"""\b[^;\n]*;?                            # a stacked statement
    | \b(?:drop|truncate)\s+(?:table|database|schema|view|index|user)\b[^;\n]*;?
    | \bunion\s+(?:all\s+)?select\b[^;\n]*
    | \bselect\s+(?:\*|[\w.,\s()]+?)\s+from\s+[\w.`"\[\]]+(?:\s+where\s+[^;\n]*)?\s*;
    | \bselect\s+\*\s+from\s+[\w.`"\[\]]+(?:\s+where\s+[^;\n]*)?
    | \binsert\s+into\s+[\w.`"]+\s*(?:\(|values\b)[^;\n]*;?
    | \bdelete\s+from\s+[\w.`"]+\s*(?:where\b[^;\n]*)?;
    | \bupdate\s+[\w.`"]+\s+set\s+\w+\s*=[^;\n]*;?
    | ['"]?\s*\b(?:or|and)\s+['"]?(\w+)['"]?\s*=\s*['"]?\1['"]?(?:\s*--)?   # ' or '1'='1 / or 1=1
    | \b(?:xp_cmdshell|waitfor\s+delay|benchmark\s*\(|sleep\s*\(\s*\d+\s*\)|information_schema)\b[^;\n]*
    | (?<=[;'"`])\s*--[^\n]*$              # a SQL comment closing a statement or a quote ("-- " in prose is a dash)
    | /\*.*?\*/
    """
)
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|<%.*?%>|#\{[^{}]*\}|\{\{|\}\}")
# Known element names only: <eos>, <pad>, <unk> or <mask> in a question are tokens, not markup.
_HTML_TAGS = frozenset(
    """a abbr audio b base body br button canvas code details div em embed font form frame frameset h1 h2 h3
    h4 h5 h6 head hr html i iframe img input label li link marquee meta noscript object ol option p pre
    script select source span strong style svg table tbody td textarea th title tr u ul video xml""".split()
)
_HTML = re.compile(
    r"(?is)<\s*(script|style|iframe|object|embed)\b.*?(?:<\s*/\s*\1\s*>|$)"  # the element and its contents
    r"|<!--.*?-->"
    r"|</?(?:" + "|".join(sorted(_HTML_TAGS, key=len, reverse=True)) + r")\b(?:\s[^<>]*)?/?>"  # a known HTML tag
    r"|<[a-z][a-z0-9-]*\s+[a-z-]+\s*=[^<>]*>"  # any tag with attributes
    r"|\bjavascript\s*:\S*"
)
_SQL_HINT = re.compile(r"(?i)['\";]|--|\b(?:drop|select|union|insert|delete|update|truncate|table)\b")

# -- instructions to the assistant ------------------------------------------------------------------
# Read per clause and anchored at its start: an instruction is *addressed* to the assistant
# ("ignore the rules…", "can you print your prompt…"); a question that *mentions* one ("how does
# 'ignore previous instructions' work?") starts like a question and is kept.

_LEAD = (
    r"^(?:(?:please|now|just|first|and|then|also|so|ok|okay|kindly|hey|hi|actually|instead|but)\b[\s,]*)*"
    r"(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|i\s+(?:want|need)\s+you\s+to\s+|"
    r"you\s+(?:must|should|will|need\s+to|have\s+to)\s+|(?:let's|lets)\s+)?"
)
_META = (
    r"(?:instructions?|prompts?|rules?|guidelines?|directives?|guardrails?|constraints?|polic(?:y|ies)|"
    r"programming|configuration|system\s+message|restrictions?|safety\s+filters?)"
)
_ADDRESSED = re.compile(
    _LEAD
    + r"""(?:
      (?:ignore|disregard|forget|override|overrule|bypass|circumvent|abandon|discard|stop\s+following|
         (?:do\s+not|don't|dont)\s+(?:follow|obey|apply))\b
        (?:[^.!?;\n]{0,40}?\b"""
    + _META
    + r"""\b|\s+(?:everything|all|anything)\b|[^.!?;\n]{0,25}?\b(?:above|before)\b)
    | (?:reveal|print|show|display|output|repeat|leak|dump|expose|recite|disclose|echo|return|give|tell|share|
         spell\s+out|write\s+out|paste|send)\b(?:\s+me|\s+us)?
        [^.!?;\n]{0,30}?\b(?:your|the|its|any)\s+(?:\w+\s+){0,2}?"""
    + _META
    + r"""\b
    | (?:say|respond|reply|answer|output|print|write|type)\s+(?:only\s+|back\s+|exactly\s+)?(?:with\s+)?["'“‘]
    | (?:print|output|dump|list|show|export|return|give|display|reveal|leak|copy)\s+(?:me\s+|us\s+)?
        (?:all|every|each|the\s+(?:entire|whole|full)|(?:your|the)\s+(?:entire|whole|full))\b[^.!?;\n]{0,30}?
        \b(?:banks?|entries|entry|questions|answers|database|dataset|data|index|contents?|documents?|files?)\b
        (?:\s+(?:in|from|of)\s+(?:the|this|your)\s+\w+)?\s*$
    | you\s+are\s+(?:now\s+)?(?:a|an|the|my|no\s+longer)\b | (?:ignore|disregard|forget)\s+(?:that|this|it|them)\s*$
    | act\s+as\b | pretend\b | roleplay\b | role-play\b | enter\s+\w+\s+mode\b | switch\s+to\s+\w+\s+mode\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Anywhere in a sentence: chat-template tokens, role hijacks, questions about the assistant's own prompt.
_ANYWHERE = re.compile(
    r"""(?ix)
      \byou\s+are\s+(?:now|no\s+longer)\b | \bfrom\s+now\s+on\b | \bdeveloper\s+mode\b | \bdo\s+anything\s+now\b
    | \bDAN\s+mode\b | \bnew\s+instructions?\s*: | (?:^|\s)(?:system|assistant|developer)\s*:
    | \b(?:system\s+prompt|instructions?)\s*: | \[/?(?:system|inst)\] | <\|im_(?:start|end)\|>
    | \#\#\#\s*(?:instruction|system)
    | \b(?:what|which)\s+(?:is|are|were)\s+your\s+(?:\w+\s+){0,2}?"""
    + _META
    + r"""\b
    | \byour\s+(?:system|hidden|initial|original|secret|internal|developer)\s+"""
    + _META
    + r"""\b
    """
)


def _is_instruction(clause: str) -> bool:
    clause = clause.strip().strip("\"'“”‘’`")
    return bool(_ADDRESSED.match(clause) or _ANYWHERE.search(clause))


# A clause that asks something (kept when it follows an instruction in the same sentence).
_QUESTION_START = re.compile(
    r"(?i)^(?:(?:and|but|also|then|so|now|please|ok|okay|instead)\b[\s,]*)*"
    r"(?:what|how|why|when|where|which|who|whom|whose|is|are|was|were|do|does|did|can|could|should|would|"
    r"explain|describe|define|compare|summari[sz]e|contrast|tell\s+me\s+about|what's|how's|walk\s+me\s+through)\b"
)
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;\n]*")
_CLAUSE_SPLIT = re.compile(r"(,|:|\s+(?:and\s+then|and|then|but|also|&)\s+)", re.IGNORECASE)


def _has_meaning(text: str) -> bool:
    """Is there more than function words and numbers — a word that may name a topic or ask about
    one ("what are its advantages?" is a follow-up), or a one-letter name with symbols ("C#")?"""
    # Any script: a Chinese or Cyrillic question is a question too (textkit's words are Latin).
    meaningful = (w for w in _ANY_WORD.findall(text.lower()) if w not in FUNCTION_WORDS and len(w) > 1)
    return any(True for _ in meaningful) or bool(_SYMBOL_NAME.search(text))


_ANY_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
_SYMBOL_NAME = re.compile(r"(?<!\w)[A-Za-z][#+]+")


def _cut(text: str, pattern: re.Pattern[str]) -> tuple[str, bool]:
    cut = False
    while True:
        new = pattern.sub(" ", text)
        if new == text:
            return text, cut
        text, cut = new, True


def _drop_instructions(text: str) -> tuple[str, bool]:
    """Remove instruction clauses; keep the question clauses around them, with their own wording."""
    kept: list[str] = []
    found = False
    for sentence in _SENTENCE.findall(text):
        parts = _CLAUSE_SPLIT.split(sentence)  # piece, separator, piece, …
        pieces = parts[0::2]
        hijacked = bool(_ANYWHERE.search(sentence))
        if not hijacked and not any(_is_instruction(p) for p in pieces):
            kept.append(sentence)
            continue
        found = True
        out = ""
        after_instruction = hijacked  # a role or template hijack taints the whole sentence
        for k, piece in enumerate(pieces):
            asks = bool(_QUESTION_START.match(piece.strip()))
            if _is_instruction(piece) or (after_instruction and not asks):
                after_instruction = True  # "…and say hello", "…then output the rest": the instruction goes on
                continue
            after_instruction = False
            out += (parts[2 * k - 1] if out and k > 0 else "") + piece
        out = out.strip()
        if out:
            end = sentence.rstrip()[-1:]
            kept.append(out + end if end in (".", "!", "?") and not out.endswith(end) else out)
    if not found:
        return text, False  # untouched: "0.8" must not come back as "0. 8"
    return " ".join(s.strip() for s in kept), found


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:[\s,;:'\"`)(\-]|and\b|then\b|but\b|also\b)+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?:[\s,;:(\-]|\band|\bthen|\bbut)+$", "", text, flags=re.IGNORECASE)
    return text.strip()


def screen_query(raw: str) -> Screened:
    """What of `raw` is a question to search, or why nothing is."""
    try:
        text = normalize_query(raw).text
    except QueryError as exc:
        return Screened("", rejection=str(exc))
    removed: list[Payload] = []
    text, cut = _cut(text, _HTML)
    if cut:
        removed.append(Payload.HTML)
    text, cut = _cut(text, _TEMPLATE)
    if cut:
        removed.append(Payload.TEMPLATE)
    if _SQL_HINT.search(text):
        text, cut = _cut(text, _SQL)
        if cut:
            removed.append(Payload.SQL)
    text, cut = _drop_instructions(text)
    if cut:
        removed.insert(0, Payload.INJECTION)
    if removed:
        text = _tidy(text)
    if not _has_meaning(text):
        reason = REJECTIONS[removed[0]] if removed else NO_QUESTION
        return Screened("", tuple(removed), reason)
    return Screened(text, tuple(removed))
