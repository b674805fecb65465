"""Text that is safe to print to a terminal: no escape or control sequences.

Bank text (and LLM output) is data. Printed as is, `ESC[2J` clears the screen, `ESC]0;…BEL` sets
the window title and `ESC]52;c;…BEL` writes the clipboard. `terminal_safe` removes whole
sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-character escapes, and their 8-bit C1 forms)
and every other C0/C1 control character except newline and tab.
"""

from __future__ import annotations

import re

_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?             # CSI: parameters, intermediates, final
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # OSC, DCS, SOS, PM, APC … ST/BEL
    | \x1b[\x20-\x2f]*[\x30-\x7e]?                                   # other escapes (ESC c, ESC ( B, …)
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """`text` without terminal control sequences or control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", _SEQUENCE.sub("", str(text)))
