"""The user-data stage's one error: the store cannot be reached, read or written, or an import
file is not a qbank export. Its message is one line that names the store and the fix."""

from __future__ import annotations


class UserDataError(Exception):
    pass
