"""Issue 10 item 9: `qbank index` with a read-only folder, a full disk, a second concurrent build
and the litter of killed builds — a one-line message each, and the last good index stays searchable."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import index.build as build_module
from index.build import build_index
from index.build_lock import build_lock
from index.embedder import HashingEmbedder
from index.errors import IndexBusyError, IndexWriteError
from index.load import load_index
from index.paths import lock_path

REPO = Path(__file__).resolve().parent.parent
BANK = REPO / "data" / "banks" / "003_8da98e45320d8b09.txt"


def build(index_dir: Path):
    return build_index(index_dir, [BANK], HashingEmbedder(), multilingual=False)


def entry_ids(index_dir: Path) -> list[str]:
    loaded = load_index(HashingEmbedder(), index_dir)
    try:
        return [e.id for e in loaded.entries]
    finally:
        loaded.close()


@pytest.fixture
def built(tmp_path) -> Path:
    index_dir = tmp_path / "data" / "index"
    build(index_dir)
    return index_dir


HOLD_LOCK = """
import sys, time
from pathlib import Path
from index.build_lock import build_lock
with build_lock(Path(sys.argv[1])):
    Path(sys.argv[2]).touch()
    time.sleep(60)
"""


def test_a_second_build_says_which_process_holds_the_lock(built, tmp_path):
    marker = tmp_path / "locked"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(built), str(marker)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        before = entry_ids(built)
        with pytest.raises(IndexBusyError) as caught:
            build(built)
        assert f"process {holder.pid} is already building the index at {built}" in str(caught.value)
        assert entry_ids(built) == before
    finally:
        holder.kill()
        holder.wait()
    build(built)  # the kernel dropped the dead holder's lock


def test_the_lock_is_free_again_after_a_build_and_after_a_failed_one(built, monkeypatch):
    monkeypatch.setattr(build_module, "write_store", _full_disk_store)
    with pytest.raises(IndexWriteError):
        build(built)
    with build_lock(built):
        pass
    assert lock_path(built).read_text().strip() == str(os.getpid())


def test_staging_folders_of_killed_builds_are_removed(built):
    stale = built.parent / ".index-build-k1ll3d"
    stale.mkdir()
    (stale / "vectors.faiss").write_bytes(b"half")
    unrelated = built.parent / "index-build-notes"
    unrelated.mkdir()
    build(built)
    assert not stale.exists() and unrelated.exists()
    assert [p.name for p in built.parent.iterdir() if p.name.startswith(".index-build-")] == []


def _full_disk_store(*_args, **_kwargs):
    raise sqlite3.OperationalError("database or disk is full")


def _full_disk_faiss(*_args, **_kwargs):
    raise RuntimeError("Error in faiss::FileIOWriter: fwrite failed (No space left on device)")


@pytest.mark.parametrize(("seam", "fake"), [("write_store", _full_disk_store), ("faiss", _full_disk_faiss)])
def test_a_full_disk_while_writing_is_a_message_and_the_old_index_stays(built, monkeypatch, seam, fake):
    before = entry_ids(built)
    if seam == "faiss":
        monkeypatch.setattr(build_module.faiss, "write_index", fake)
    else:
        monkeypatch.setattr(build_module, "write_store", fake)
    with pytest.raises(IndexWriteError) as caught:
        build(built)
    message = str(caught.value)
    assert "No space left on device" in message and "free some disk space" in message
    assert "previous index is unchanged" in message
    assert entry_ids(built) == before
    assert [p for p in built.parent.iterdir() if p.name.startswith(".index-build-")] == []


def _mount_tmpfs(path: Path, size_kb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_really_full_disk(built, tmp_path):
    """On a small tmpfs (needs root): the old index and its cache fit, a second copy does not."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    used = sum(p.stat().st_size for p in built.parent.rglob("*") if p.is_file())
    if not _mount_tmpfs(mount, used // 1024 + 512):
        pytest.skip("tmpfs cannot be mounted here")
    try:
        index_dir = mount / "index"
        shutil.copytree(built, index_dir)
        shutil.copytree(built.with_name("index-cache"), mount / "index-cache")
        before = entry_ids(index_dir)
        with open(mount / "filler", "wb") as filler, contextlib.suppress(OSError):
            filler.write(b"\0" * shutil.disk_usage(mount).free)
        os.truncate(mount / "filler", max(0, os.path.getsize(mount / "filler") - 64 * 1024))
        with pytest.raises(IndexWriteError) as caught:
            build(index_dir)
        assert "No space left on device" in str(caught.value)
        assert entry_ids(index_dir) == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_read_only_folder_is_a_one_line_message_from_the_cli(built):
    """`qbank index --rebuild` in a folder it may not write: exit 2, one line, no traceback."""
    env = {
        **os.environ,
        "QBANK_INDEX_DIR": str(built),
        "QBANK_BANK_DIR": str(BANK.parent),
        "QBANK_EMBEDDER": HashingEmbedder.name,
        "QBANK_MULTILINGUAL": "off",
    }
    before = entry_ids(built)
    # As root, drop the capability that ignores file permissions, so 0o555 means what it says.
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to run without root's permission override")
    lock_path(built).unlink(missing_ok=True)
    built.parent.chmod(0o555)
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "ui.cli", "index", "--rebuild"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        built.parent.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"qbank: cannot write the index at {built}: Permission denied")
    assert "make that folder writable" in done.stderr and "Traceback" not in done.stderr
    assert entry_ids(built) == before
