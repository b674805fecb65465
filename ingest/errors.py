"""Typed errors of the ingest stage; `ui` turns them into messages."""

from __future__ import annotations


class IngestError(Exception):
    """A bank file that could not be ingested. The message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class SettingError(ValueError):
    """An environment setting ingest reads is present but unusable. The message names the
    variable and the values it accepts."""
