"""One streamed answer: iterate it for markdown chunks as they are ready; `.result()` is the final
`Answer` (it finishes the stream first when the caller stopped early)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from answer.types import Answer


class AnswerStream:
    def __init__(self, source: Iterable[str | Answer]) -> None:
        self._source = iter(source)
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for item in self._source:
            if isinstance(item, Answer):
                self._answer = item
            else:
                yield item

    def result(self) -> Answer:
        for _ in self:  # whatever the caller did not read
            pass
        if self._answer is None:
            raise RuntimeError("the answer stream ended without an answer")
        return self._answer

    @classmethod
    def of(cls, answer: Answer) -> AnswerStream:
        """A composed answer, streamed block by block (display-sized chunks)."""
        return cls(chunks_of(answer))


def chunks_of(answer: Answer) -> Iterator[str | Answer]:
    blocks = answer.markdown.split("\n\n")
    for i, block in enumerate(blocks):
        yield block + ("\n\n" if i < len(blocks) - 1 else "")
    yield answer
