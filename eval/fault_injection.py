"""Replay the faults of issue 10 (items 6–9) against scratch copies of the banks and the built index.

    python -m eval.fault_injection

Each case breaks something on a copy (a bad bank file, an undecodable batch, a damaged index file,
a read-only folder, a full disk, a second build, a killed build), runs the real `qbank` command in
a child process and prints one line:

    case · exit code · message · previous index still searchable (yes/no)

"searchable" is checked after the case by opening the index the case left in place and searching
it. Each case also states what must hold (e.g. one output line per input line); a case where it
does not gets "UNEXPECTED" in its message. The script exits 1 when any line ends "no", any case
is unexpected, or any output holds "Traceback".

As root, the commands run without CAP_DAC_OVERRIDE (setpriv), so file permissions apply to them as
to any user, and the full-disk cases mount small tmpfs filesystems; without root those cases say
they were skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE_QUERY = "what is dropout"
TIMEOUT_S = 600
IS_ROOT = os.geteuid() == 0
DROP_PRIVILEGES = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if IS_ROOT else []


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + "\n" + self.err


@dataclass
class Line:
    case: str
    code: int | str
    message: str
    searchable: bool
    expected: bool = True

    def render(self) -> str:
        message = self.message if self.expected else f"UNEXPECTED: {self.message}"
        return f"{self.case} · {self.code} · {message} · {'yes' if self.searchable else 'no'}"


class Scratch:
    """A temporary qbank data folder: banks/, data/index and data/index-cache copied from the checkout."""

    def __init__(self, root: Path, source_index: Path, source_banks: Path) -> None:
        self.root = root
        self.banks = root / "banks"
        self.index = root / "data" / "index"
        shutil.copytree(source_banks, self.banks)
        shutil.copytree(source_index, self.index)
        cache = source_index.with_name(f"{source_index.name}-cache")
        if cache.exists():
            shutil.copytree(cache, self.index.with_name(f"{self.index.name}-cache"))

    def env(self, index: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            QBANK_BANK_DIR=str(self.banks),
            QBANK_INDEX_DIR=str(index or self.index),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            ORT_DISABLE_TELEMETRY="1",
            PYTHONPATH=str(ROOT),
        )
        return env


OUTPUTS: list[str] = []  # everything every child printed, searched for "Traceback" at the end


def qbank(args: list[str | bytes], env: dict[str, str], stdin: bytes | None = None) -> Run:
    started = time.perf_counter()
    done = subprocess.run(
        [*DROP_PRIVILEGES, sys.executable, "-m", "ui.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=TIMEOUT_S,
    )
    run = Run(
        done.returncode,
        done.stdout.decode("utf-8", "backslashreplace"),
        done.stderr.decode("utf-8", "backslashreplace"),
        time.perf_counter() - started,
    )
    OUTPUTS.append(run.text)
    return run


def pick(run: Run, needle: str) -> str:
    """The output line that says what happened: the first holding `needle`, else stderr's last."""
    lines = [line.strip() for line in run.text.splitlines() if line.strip()]
    for line in lines:
        if needle in line:
            return line
    errors = [line.strip() for line in run.err.splitlines() if line.strip()]
    return (errors or lines or ["(no output)"])[-1]


class Checker:
    """Opens an index and searches it, in this process (the models load once)."""

    def __init__(self) -> None:
        from index.embedder import load_embedder

        self.embedder = load_embedder()

    def searchable(self, index_dir: Path) -> bool:
        from index.errors import IndexError_
        from index.load import load_index
        from retrieval.searcher import Searcher

        try:
            loaded = load_index(self.embedder, index_dir)
        except IndexError_:
            return False
        try:
            return bool(Searcher(loaded, self.embedder).search(PROBE_QUERY, k=3).hits)
        finally:
            loaded.close()


# -- item 6: bad bank files --------------------------------------------------------------------

BAD_BANKS: dict[str, Callable[[Path], None]] = {
    "jsonl-lone-surrogate.jsonl": lambda p: p.write_text('{"question": "What is \\ud800?", "answer": "x"}\n'),
    "jsonl-nested-200k.jsonl": lambda p: p.write_text('{"question": ' + "[" * 200_000 + "]" * 200_000 + "}\n"),
    "symlink-loop.md": lambda p: p.symlink_to(p.name),
    "dangling-symlink.md": lambda p: p.symlink_to("/nonexistent/qbank/bank.md"),
    "unreadable.md": lambda p: (p.write_text("# Bank\n\n1. What is a unit test?\nIt tests a unit.\n"), p.chmod(0)),
    "fifo.md": lambda p: os.mkfifo(p),
}


def item6(scratch: Scratch, checker: Checker) -> list[Line]:
    lines = []
    banks = len(list(scratch.banks.iterdir()))
    for name, make in BAD_BANKS.items():
        folder = scratch.root / f"ingest-{name}"
        shutil.copytree(scratch.banks, folder)
        make(folder / name)
        run = qbank(["ingest", str(folder)], scratch.env())
        message = pick(run, name)
        good = f"entries from {banks} file(s); 1 file(s) failed" in run.out
        lines.append(Line(f"6 ingest {name}", run.code, message, checker.searchable(scratch.index), good))
    for name, make in BAD_BANKS.items():
        make(scratch.banks / name)
    run = qbank(["index", "--rebuild"], scratch.env())
    failed = sum(1 for line in run.out.splitlines() if line.startswith("✗"))
    message = f"{failed} bad files reported; " + pick(run, "indexed ")
    expected = failed == len(BAD_BANKS) and "indexed " in run.out
    lines.append(Line("6 index with all six bad files", run.code, message, checker.searchable(scratch.index), expected))
    for name in BAD_BANKS:
        (scratch.banks / name).unlink()
    return lines


# -- item 7: batch mode --------------------------------------------------------------------------

GOOD_LINES = [b'{"query": "what is dropout"}', b'{"query": "explain lora"}']


def item7(scratch: Scratch, checker: Checker) -> list[Line]:
    lines = []
    batches = {
        "lone surrogate query": b"\n".join([GOOD_LINES[0], b'{"query": "what is \\ud800 here"}', GOOD_LINES[1]]),
        "non-UTF-8 batch file": b"\n".join(
            [GOOD_LINES[0], b'{"query": "caf\xe9 au lait"}', b"\xff\xfe\xfd", GOOD_LINES[1]]
        ),
        "UTF-16 batch file": "\n".join(line.decode() for line in GOOD_LINES).encode("utf-16"),
    }
    newline = {"UTF-16 batch file": "\n".encode("utf-16-le")}
    for case, data in batches.items():
        path = scratch.root / f"batch-{len(lines)}.jsonl"
        path.write_bytes(data + newline.get(case, b"\n"))
        expected_lines = len(data.decode("utf-16").splitlines()) if "UTF-16" in case else data.count(b"\n") + 1
        run = qbank(["search", "--batch", str(path), "-k", "1"], scratch.env())
        lines.append(_batch_line(f"7 search --batch {case}", run, expected_lines, checker, scratch))
    stdin = b"\n".join([GOOD_LINES[0], b'{"query": "r\xe9seau de neurones"}', GOOD_LINES[1]]) + b"\n"
    run = qbank(["ask", "--batch", "-", "-k", "2"], scratch.env(), stdin=stdin)
    lines.append(_batch_line("7 ask --batch - non-UTF-8 stdin", run, 3, checker, scratch))
    run = qbank(["search", b"caf\xe9 dropout"], scratch.env())
    lines.append(
        Line(
            "7 search non-UTF-8 argv",
            run.code,
            pick(run, "qbank:"),
            checker.searchable(scratch.index),
            run.code == 2 and "not valid text" in run.err,
        )
    )
    return lines


def _batch_line(case: str, run: Run, expected: int, checker: Checker, scratch: Scratch) -> Line:
    out = run.out.splitlines()
    errors = sum('"error"' in line for line in out)
    message = f"{len(out)} output lines for {expected} input lines, {errors} with an error"
    first_error = next((line for line in out if '"error"' in line), "")
    if first_error:
        message += f": {first_error[:140]}"
    return Line(case, run.code, message, checker.searchable(scratch.index), len(out) == expected and run.code == 0)


# -- item 8: damaged index files -----------------------------------------------------------------


def damage_fts(index: Path) -> None:
    conn = sqlite3.connect(index / "entries.sqlite3")
    with conn:
        conn.execute("UPDATE entries_fts_data SET block = zeroblob(length(block)) WHERE id > 10")
    conn.close()


def damage_faiss_header(index: Path) -> None:
    """Declare 2 GB of vectors in vectors.faiss's header (count and float count agree)."""
    path = index / "vectors.faiss"
    data = bytearray(path.read_bytes())
    dimension = struct.unpack_from("<i", data, 4)[0]
    claimed = 2 * 1024**3 // (4 * dimension)
    struct.pack_into("<q", data, 8, claimed)
    struct.pack_into("<Q", data, 37, claimed * dimension)
    path.write_bytes(bytes(data))


def item8(scratch: Scratch, checker: Checker) -> list[Line]:
    lines = []
    for case, damage in (("damaged FTS5 table", damage_fts), ("FAISS header claims 2 GB", damage_faiss_header)):
        copy = scratch.root / f"damaged-{damage.__name__}" / "index"
        shutil.copytree(scratch.index, copy)
        damage(copy)
        run = qbank(["search", PROBE_QUERY], scratch.env(copy))
        message = f"{pick(run, 'damaged')} ({run.seconds:.1f} s)"
        expected = run.code == 2 and "is damaged" in run.err and run.seconds < 30
        lines.append(Line(f"8 search, {case}", run.code, message, checker.searchable(scratch.index), expected))
    return lines


# -- item 9: building the index ------------------------------------------------------------------


def _mount_tmpfs(path: Path, size_kb: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(folder: Path, leave_bytes: int) -> None:
    """Fill the filesystem of `folder` until only about `leave_bytes` are free."""
    free = shutil.disk_usage(folder).free - leave_bytes
    if free > 0:
        with open(folder / "filler", "wb") as handle, contextlib.suppress(OSError):
            handle.write(b"\0" * free)


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


NEW_BANK = "# Fault bank\n\n1. What does a fault-injection run check in qbank?\nThat every fault gives a message.\n"


def item9(scratch: Scratch, checker: Checker) -> list[Line]:
    return [
        _read_only(scratch, checker),
        _full_disk(scratch, checker),
        _full_cache_disk(scratch, checker),
        _concurrent(scratch, checker),
        _killed(scratch, checker),
    ]


def _read_only(scratch: Scratch, checker: Checker) -> Line:
    data = scratch.index.parent
    data.chmod(0o555)
    scratch.index.chmod(0o555)
    try:
        run = qbank(["index", "--rebuild"], scratch.env())
    finally:
        data.chmod(0o755)
        scratch.index.chmod(0o755)
    expected = run.code == 2 and "cannot write the index" in run.err
    return Line(
        "9 index, read-only folder", run.code, pick(run, "cannot write"), checker.searchable(scratch.index), expected
    )


def _full_disk(scratch: Scratch, checker: Checker) -> Line:
    if not IS_ROOT:
        return Line("9 index, full disk", "-", "skipped (mounting a small tmpfs needs root)", True)
    mount = scratch.root / "full"
    cache = scratch.index.with_name(f"{scratch.index.name}-cache")
    size_kb = (_du(scratch.index) + _du(cache)) // 1024 + 2048
    if not _mount_tmpfs(mount, size_kb):
        return Line("9 index, full disk", "-", "skipped (tmpfs cannot be mounted here)", True)
    try:
        index = mount / "index"
        shutil.copytree(scratch.index, index)
        shutil.copytree(cache, mount / "index-cache")
        _fill(mount, 256 * 1024)
        run = qbank(["index", "--rebuild"], scratch.env(index))
        expected = run.code == 2 and "No space left on device" in run.err and "Traceback" not in run.text
        return Line("9 index, full disk", run.code, pick(run, "cannot write"), checker.searchable(index), expected)
    finally:
        _umount(mount)


def _full_cache_disk(scratch: Scratch, checker: Checker) -> Line:
    """Only the embedding cache's disk is full: the build goes on without the cache."""
    case = "9 index, full disk under the embedding cache only"
    if not IS_ROOT:
        return Line(case, "-", "skipped (mounting a small tmpfs needs root)", True)
    cache = scratch.index.with_name(f"{scratch.index.name}-cache")
    saved = scratch.root / "cache-saved"
    shutil.copytree(cache, saved)
    if not _mount_tmpfs(cache, _du(saved) // 1024 + 1024):
        return Line(case, "-", "skipped (tmpfs cannot be mounted here)", True)
    new_bank = scratch.banks / "fault-bank.md"
    try:
        shutil.copytree(saved, cache, dirs_exist_ok=True)
        _fill(cache, 0)
        new_bank.write_text(NEW_BANK, encoding="utf-8")  # new texts to embed, whose cache write fails
        run = qbank(["index", "--rebuild"], scratch.env())
        expected = run.code == 0 and "without" in run.text and "indexed " in run.out
        message = pick(run, "embedding cache") + "; " + pick(run, "indexed ")
        return Line(case, run.code, message, checker.searchable(scratch.index), expected)
    finally:
        _umount(cache)
        new_bank.unlink(missing_ok=True)


def _lock_held(index: Path) -> bool:
    from index.paths import lock_path

    try:
        fd = os.open(lock_path(index), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _concurrent(scratch: Scratch, checker: Checker) -> Line:
    env = scratch.env()
    first = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "index", "--rebuild"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not _lock_held(scratch.index) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        second = qbank(["index", "--rebuild"], env)
    finally:
        out, err = first.communicate(timeout=TIMEOUT_S)
    first_text = out.decode() + err.decode()
    OUTPUTS.append(first_text)
    message = pick(second, "already building") + f"; the first build: exit {first.returncode}"
    expected = (
        second.code == 2
        and f"process {first.pid}" in second.err
        and first.returncode == 0
        and "Traceback" not in first_text
    )
    return Line("9 index, second concurrent rebuild", second.code, message, checker.searchable(scratch.index), expected)


_KILLED_BUILD = """
import pathlib, sys, time
import index.build as build
marker = pathlib.Path(sys.argv[1])
write_store = build.write_store
def write_then_stop(*args, **kwargs):
    write_store(*args, **kwargs)
    marker.touch()
    time.sleep(600)
build.write_store = write_then_stop
build.build_index()
"""


def _killed(scratch: Scratch, checker: Checker) -> Line:
    from index.paths import staging_prefix

    marker = scratch.root / "killed.marker"
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(marker)],
        cwd=ROOT,
        env=scratch.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()

    def staging() -> list[Path]:
        return [p for p in scratch.index.parent.iterdir() if p.name.startswith(staging_prefix(scratch.index))]

    left = len(staging())
    run = qbank(["index", "--rebuild"], scratch.env())
    after = len(staging())
    message = f"the killed build left {left} staging folder(s), the next build {after}; " + pick(run, "indexed ")
    expected = left >= 1 and after == 0 and run.code == 0
    return Line("9 index after a killed build", run.code, message, checker.searchable(scratch.index), expected)


def run_all(source_index: Path, source_banks: Path) -> list[Line]:
    checker = Checker()
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="qbank-faults-") as tmp:
        scratch = Scratch(Path(tmp), source_index, source_banks)
        for item in (item6, item7, item8, item9):
            for line in item(scratch, checker):
                print(line.render(), flush=True)
                lines.append(line)
    return lines


def main() -> int:
    from index.paths import default_index_dir
    from ingest.corpus import default_bank_dir

    source_index = default_index_dir()
    if not (source_index / "manifest.json").exists():
        print(f"no built index at {source_index}; run `qbank index` first", file=sys.stderr)
        return 2
    lines = run_all(source_index, default_bank_dir())
    bad = [line for line in lines if not line.searchable or not line.expected]
    tracebacks = sum("Traceback" in text for text in OUTPUTS)
    print(f"{len(lines)} cases, {len(bad)} failed; {tracebacks} of {len(OUTPUTS)} command outputs hold a traceback")
    return 1 if bad or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
