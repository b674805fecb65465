"""One build of an index directory at a time, across processes, and no litter from killed builds.

The lock is an flock on a small file beside the index that holds the builder's pid, so a second
`qbank index` (or the app's Rebuild button) can say who is building. The kernel drops an flock
when its process dies, so a killed build never leaves the lock held, and whoever holds it knows
that every `.<index>-build-*` staging directory is left over from a dead build and can go.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusyError, IndexWriteError
from index.paths import lock_path, staging_prefix

log = logging.getLogger(__name__)


def lock_holder(index_dir: Path) -> int | None:
    """The pid written by the build that holds (or last held) the lock, if readable."""
    try:
        return int(lock_path(index_dir).read_text(encoding="ascii").strip() or 0) or None
    except (OSError, ValueError):
        return None


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the build lock of `index_dir`, or raise IndexBusyError naming the pid that holds it."""
    path = lock_path(index_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise IndexWriteError(index_dir, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(str(index_dir), lock_holder(index_dir)) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:
            log.warning("cannot write the pid into %s", path, exc_info=True)  # the lock itself holds
        remove_stale_staging(index_dir)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def remove_stale_staging(index_dir: Path) -> list[Path]:
    """Delete staging directories of builds that died (call only while holding the lock)."""
    removed = []
    try:
        candidates = [p for p in index_dir.parent.iterdir() if p.name.startswith(staging_prefix(index_dir))]
    except OSError:
        return removed
    for stale in candidates:
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
            if not stale.exists():
                removed.append(stale)
                log.info("removed %s, left by a build that did not finish", stale)
    return removed
