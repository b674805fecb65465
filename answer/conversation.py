"""Conversations: each keeps its own history, so a follow-up ("what are its limitations?") is
searched as the standalone question it stands for (retrieval resolves it against the history)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from answer.service import stream_answer
from answer.stream import AnswerStream
from answer.types import Answer, AnswerStatus
from retrieval.searcher import Searcher

MAX_TURNS = 20  # question/answer pairs kept; older ones no longer inform follow-ups


@dataclass
class Conversation:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    turns: list[dict[str, str]] = field(default_factory=list)  # {"role": "user"|"assistant", "content": …}
    max_turns: int = MAX_TURNS

    @property
    def history(self) -> list[dict[str, str]]:
        return [dict(turn) for turn in self.turns]

    def record(self, query: str, answer: Answer) -> None:
        """Keep a turn. A rejected query is not kept: instructions and payloads must not become
        the context later follow-ups are read against. The user turn holds what was searched (the
        question with any ignored instructions cut out)."""
        if answer.status is AnswerStatus.REJECTED:
            return
        asked = answer.search.query if answer.search is not None else query
        self.turns.append({"role": "user", "content": asked})
        self.turns.append({"role": "assistant", "content": answer.markdown})
        del self.turns[: max(0, len(self.turns) - 2 * self.max_turns)]

    def stream(self, searcher: Searcher, query: str, **options: Any) -> AnswerStream:
        """`stream_answer` with this conversation's history; the turn is kept once answered."""
        inner = stream_answer(searcher, query, history=self.history or None, **options)

        def items() -> Iterator[str | Answer]:
            yield from inner
            final = inner.result()
            self.record(query, final)
            yield final

        return AnswerStream(items())

    def ask(self, searcher: Searcher, query: str, **options: Any) -> Answer:
        return self.stream(searcher, query, **options).result()

    def reset(self) -> None:
        self.turns.clear()


@dataclass
class Conversations:
    """Conversations by id (one per browser session or chat thread)."""

    _by_id: dict[str, Conversation] = field(default_factory=dict)

    def new(self) -> Conversation:
        conversation = Conversation()
        self._by_id[conversation.id] = conversation
        return conversation

    def get(self, conversation_id: str | None) -> Conversation:
        """The conversation with this id, or a new one when the id is unknown or None."""
        if conversation_id and conversation_id in self._by_id:
            return self._by_id[conversation_id]
        conversation = Conversation(id=conversation_id) if conversation_id else Conversation()
        self._by_id[conversation.id] = conversation
        return conversation

    def drop(self, conversation_id: str) -> None:
        self._by_id.pop(conversation_id, None)
