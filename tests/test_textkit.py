"""The one text toolkit: markdown blocks, sentences, and the name matching answers build on it."""

from __future__ import annotations

import pytest

from answer.terms import aliased, collides, mentions
from textkit.markdown_blocks import Code, Heading, ListItem, Paragraph, Table, parse_blocks, strip_fence_lines
from textkit.sentences import split_sentences

ANSWER = """Intro sentence one. Intro two:
- **A**: first point
  - nested under A
    with a continuation line
- B point
• a dot bullet
1. step one

```python [3]
x = [0]
```

[3]

| Aspect | X | Y |
| --- | --- | --- |
| **What** | a \\| b [1] | — |

### A heading
```
never closed
"""


def test_blocks_are_typed_and_in_order() -> None:
    blocks = parse_blocks(ANSWER)
    kinds = [type(b) for b in blocks]
    assert kinds == [Paragraph, ListItem, ListItem, ListItem, ListItem, ListItem, Code, Paragraph, Table, Heading, Code]
    a, nested = blocks[1], blocks[2]
    assert isinstance(a, ListItem) and isinstance(nested, ListItem)
    assert (a.depth, a.parent, a.mark) == (0, None, "-")
    assert (nested.depth, nested.parent, nested.text) == (1, 1, "nested under A with a continuation line")
    dot, step = blocks[4], blocks[5]
    assert isinstance(dot, ListItem) and dot.text == "a dot bullet"
    assert isinstance(step, ListItem) and step.mark == "1."
    code = blocks[6]
    assert isinstance(code, Code) and code.info == "python [3]" and code.text.endswith("```")
    table = blocks[8]
    assert isinstance(table, Table) and table.header == ("Aspect", "X", "Y")
    assert table.rows == (("**What**", "a | b [1]", "—"),)
    unclosed = blocks[-1]
    assert isinstance(unclosed, Code) and unclosed.text == "```\nnever closed\n```"


def test_indented_text_is_not_code() -> None:
    blocks = parse_blocks("Para line\n\n    indented words stay text")
    assert all(isinstance(b, Paragraph) for b in blocks)


def test_fence_lines_are_stripped_for_plain_text() -> None:
    assert strip_fence_lines("see:\n```python\nx = 1\n```\n") == "see:\nx = 1\n"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two three.", ["One.", "Two three."]),
        ("Use e.g. dropout. Then stop.", ["Use e.g. dropout.", "Then stop."]),
        ("KV caching stores keys [1]. It avoids work [2].", ["KV caching stores keys [1].", "It avoids work [2]."]),
        ("A vs. B differ. Yes", ["A vs. B differ.", "Yes"]),
    ],
)
def test_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_names_match_by_acronym_compound_and_stem() -> None:
    sides = ["multi-query attention", "grouped-query attention"]
    assert "(grouped-query attention)" in aliased("How does GQA compare to MHA and MQA?", sides)
    assert "(MQA)" in aliased("What is Multi-Query Attention?", ["MQA"])
    assert mentions("What is batch normalization?", "batchnorm")
    assert mentions("Layer normalization normalizes across features", "layer norm")
    assert not mentions("What is dropout?", "batch norm")


def test_a_longer_name_is_a_collision() -> None:
    assert collides("What is mixed precision training?", "precision")
    assert not collides("What are precision and recall?", "precision")
    assert not collides("What is the Adam optimizer?", "Adam")
