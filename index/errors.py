"""Typed errors of the index stage; each message names the command that fixes it."""

from __future__ import annotations

import errno

REBUILD_HINT = "run `qbank index --rebuild` (or `make run`, which rebuilds it)"


class IndexError_(Exception):
    """Base of all index problems."""


class IndexMissingError(IndexError_):
    def __init__(self, path: str) -> None:
        super().__init__(f"no index at {path}; {REBUILD_HINT}")


class IndexMismatchError(IndexError_):
    def __init__(self, path: str, detail: str, hint: str = REBUILD_HINT) -> None:
        super().__init__(f"the index at {path} does not match this qbank: {detail}; {hint}")


class IndexCorruptError(IndexError_):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"the index at {path} is damaged ({detail}); {REBUILD_HINT}")


class IndexBuildError(IndexError_):
    """Nothing usable to index (every bank failed); the previous index is left as it was."""


class IndexBusyError(IndexError_):
    """Another process is building this index right now."""

    def __init__(self, path: str, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{who} is already building the index at {path}; wait for it to finish "
            "(the current index stays searchable meanwhile) and run the command again"
        )
        self.pid = pid


class IndexWriteError(IndexError_):
    """The new index cannot be written (read-only folder, full disk); the previous one is untouched."""

    def __init__(self, index_dir: object, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            fix = "free some disk space and run `qbank index` again"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = "make that folder writable, or set QBANK_INDEX_DIR to a writable folder"
        else:
            fix = "check that folder and run `qbank index` again"
        where = f" ({exc.filename})" if exc.filename else ""
        super().__init__(
            f"cannot write the index at {index_dir}: {reason}{where}; {fix}. The previous index is unchanged"
        )
        self.errno = exc.errno
