"""Index-build progress on a terminal: a live tqdm bar on a TTY, a line every few seconds otherwise
(a log file or CI output should not get one line per embedded batch)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

LINE_INTERVAL = 5.0  # seconds between two progress lines of the same stage when not on a TTY


class TerminalProgress:
    """A `build_index` progress callback: `progress(message, fraction)`."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._bar: tqdm | None = None
        self._stage = ""
        self._last_line = 0.0

    def __call__(self, message: str, fraction: float) -> None:
        stage = message.split(" ", 1)[0]
        if self.interactive:
            if self._bar is None:
                self._bar = tqdm(total=100, file=self.stream, bar_format="{percentage:3.0f}% |{bar:24}| {desc}")
            self._bar.set_description_str(message, refresh=False)
            self._bar.update(round(100 * fraction) - self._bar.n)
            if fraction >= 1.0:
                self.close()
            return
        now = time.monotonic()
        if stage != self._stage or now - self._last_line >= LINE_INTERVAL or fraction >= 1.0:
            print(f"[{fraction:4.0%}] {message}", file=self.stream, flush=True)
            self._stage, self._last_line = stage, now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
