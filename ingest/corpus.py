"""Turn bank files into Entry records, with a per-file report of what was kept and dropped."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.entry import Entry, EntryKind, Location
from ingest.errors import IngestError
from ingest.markdown_parser import DraftEntry, ParsedBank, UnparsedLine, parse_markdown
from ingest.reader import max_bank_bytes, os_problem, read_bank_text
from ingest.tabular import parse_csv, parse_jsonl
from ingest.text_repair import repair_mojibake
from ingest.tokens import count_tokens

log = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
BANK_SUFFIXES = MARKDOWN_SUFFIXES | {".csv", ".jsonl"}


def default_bank_dir() -> Path:
    """`data/banks` of the checkout, or QBANK_BANK_DIR."""
    override = os.environ.get("QBANK_BANK_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data" / "banks"


@dataclass(frozen=True)
class FileReport:
    path: str
    file: str
    title: str = ""
    by_kind: dict[str, int] = field(default_factory=dict)
    duplicates_collapsed: int = 0
    unparsed: tuple[UnparsedLine, ...] = ()
    repaired_mojibake: bool = False
    error: str | None = None

    @property
    def entries(self) -> int:
        return sum(self.by_kind.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "file": self.file,
            "title": self.title,
            "entries": self.entries,
            "by_kind": self.by_kind,
            "duplicates_collapsed": self.duplicates_collapsed,
            "repaired_mojibake": self.repaired_mojibake,
            "unparsed": [{"line": u.line, "text": u.text} for u in self.unparsed],
            "error": self.error,
        }


@dataclass(frozen=True)
class IngestResult:
    entries: tuple[Entry, ...]
    reports: tuple[FileReport, ...]

    @property
    def failed(self) -> tuple[FileReport, ...]:
        return tuple(r for r in self.reports if r.error)


def expand_paths(paths: Sequence[Path]) -> tuple[list[Path], list[FileReport]]:
    """Files to ingest (folders expanded, sorted) and reports for paths that cannot be used."""
    files: list[Path] = []
    problems: list[FileReport] = []
    seen: set[Path] = set()

    def add(file: Path) -> None:
        # The same file named twice (`banks/` and `banks/a.md`) is ingested once.
        try:
            key = file.resolve()
        except (OSError, RuntimeError):  # a symlink loop: reading it reports the loop
            key = file.absolute()
        if key not in seen:
            seen.add(key)
            files.append(file)

    for path in paths:
        try:
            # is_dir()/exists() raise, rather than answer, inside a folder that may not be entered.
            is_dir = path.is_dir()
            exists = is_dir or path.exists()
        except OSError as exc:
            problems.append(FileReport(str(path), path.name, error=os_problem(exc)))
            continue
        if is_dir:
            try:
                children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
                subfolders = {c for c in children if c.is_dir()}
            except PermissionError:
                problems.append(FileReport(str(path), path.name, error="folder cannot be read (permission denied)"))
                continue
            banks = [c for c in children if c not in subfolders and c.suffix.lower() in BANK_SUFFIXES]
            if not banks:
                kinds = ", ".join(sorted(BANK_SUFFIXES))
                problems.append(FileReport(str(path), path.name, error=f"folder holds no bank files ({kinds})"))
            for child in children:
                if child in subfolders:
                    continue
                if child.suffix.lower() in BANK_SUFFIXES:
                    add(child)
                else:
                    problems.append(
                        FileReport(str(child), child.name, error=f"unsupported file type '{child.suffix or '(none)'}'")
                    )
        elif not exists:
            problems.append(FileReport(str(path), path.name, error=_missing_problem(path)))
        elif path.suffix.lower() not in BANK_SUFFIXES:
            problems.append(
                FileReport(str(path), path.name, error=f"unsupported file type '{path.suffix or '(none)'}'")
            )
        else:
            add(path)
    return files, problems


def _missing_problem(path: Path) -> str:
    """Why a path that does not exist as a file does not: absent, a dangling link, or a link loop."""
    try:
        path.stat()
    except OSError as exc:
        return os_problem(exc, path)
    return "no such file or folder"


def parse_bank_file(path: Path) -> tuple[ParsedBank, bool]:
    """Parse one bank file; the flag says whether mojibake was repaired. Raises IngestError."""
    text = read_bank_text(path)
    repaired = repair_mojibake(text)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        parsed = parse_csv(repaired)
    elif suffix == ".jsonl":
        parsed = parse_jsonl(repaired)
    else:
        parsed = parse_markdown(repaired)
    if not parsed.entries:
        detail = f" ({parsed.unparsed[0].text}, line {parsed.unparsed[0].line})" if parsed.unparsed else ""
        raise IngestError(str(path), f"no questions found{detail}")
    return parsed, repaired != text


def ingest_paths(paths: Sequence[Path] | None = None) -> IngestResult:
    max_bank_bytes()  # a bad QBANK_MAX_BANK_MB is one SettingError up front, not one per file
    files, problems = expand_paths(list(paths) if paths else [default_bank_dir()])
    builder = _CorpusBuilder()
    reports: list[FileReport] = []
    for path in files:
        try:
            parsed, repaired = parse_bank_file(path)
        except IngestError as exc:
            reports.append(FileReport(str(path), path.name, error=exc.problem))
            continue
        except RecursionError:
            problem = "nested too deeply for the parser; flatten the deeply nested brackets, lists or quotes"
            reports.append(FileReport(str(path), path.name, error=problem))
            continue
        except Exception as exc:
            # One bank must never abort the others: log the traceback and report the file.
            log.error("unexpected error while ingesting %s", path, exc_info=True)
            problem = f"could not be parsed (internal error {type(exc).__name__}; details in the qbank log)"
            reports.append(FileReport(str(path), path.name, error=problem))
            continue
        reports.append(builder.add_bank(path, parsed, repaired))
    return IngestResult(entries=builder.entries(), reports=tuple(reports + problems))


def _content_key(draft: DraftEntry, parent_key: tuple | None) -> tuple:
    return (draft.kind, draft.question, draft.answer, draft.follow_ups, parent_key)


def _entry_id(file: str, draft: DraftEntry, parent_number: str | None) -> str:
    # Only what a person would call the entry's identity: editing its answer or moving its
    # section keeps the id, so labels and feedback that point at it stay valid.
    material = "\x1f".join([file, draft.number, draft.question, parent_number or ""])
    digest = hashlib.sha1(material.encode("utf-8")).hexdigest()[:8]
    return f"{Path(file).stem}#{draft.number}-{digest}"


class _CorpusBuilder:
    """Collects entries across files, collapsing byte-identical entries into one with every location."""

    def __init__(self) -> None:
        self._order: list[str] = []
        self._fields: dict[str, dict] = {}
        self._locations: dict[str, list[Location]] = {}
        self._by_key: dict[tuple, str] = {}
        self._ids: set[str] = set()

    def add_bank(self, path: Path, parsed: ParsedBank, repaired: bool) -> FileReport:
        title = parsed.title or untitled_bank_name(path, parsed)
        kinds: Counter[str] = Counter()
        collapsed = 0
        for draft in parsed.entries:
            parent_key = _content_key(draft, None)
            parent_id, dup = self._add(path.name, title, draft, None, None)
            kinds[draft.kind.value] += 0 if dup else 1
            collapsed += dup
            for child in draft.children:
                _, child_dup = self._add(path.name, title, child, parent_id, parent_key, draft.number)
                kinds[child.kind.value] += 0 if child_dup else 1
                collapsed += child_dup
        return FileReport(
            path=str(path),
            file=path.name,
            title=title,
            by_kind=dict(sorted(kinds.items())),
            duplicates_collapsed=collapsed,
            unparsed=tuple(parsed.unparsed),
            repaired_mojibake=repaired,
        )

    def _add(
        self,
        file: str,
        title: str,
        draft: DraftEntry,
        parent_id: str | None,
        parent_key: tuple | None,
        parent_number: str | None = None,
    ) -> tuple[str, bool]:
        location = Location(file, draft.line_start, draft.line_end, draft.section_path)
        key = (_content_key(draft, parent_key),)
        existing = self._by_key.get(key)
        if existing is not None:
            self._locations[existing].append(location)
            return existing, True
        entry_id = _entry_id(file, draft, parent_number)
        suffix = 2
        while entry_id in self._ids:
            entry_id = f"{_entry_id(file, draft, parent_number)}-{suffix}"
            suffix += 1
        self._ids.add(entry_id)
        self._by_key[key] = entry_id
        self._order.append(entry_id)
        self._locations[entry_id] = [location]
        self._fields[entry_id] = {
            "bank_file": file,
            "bank_title": title,
            "section_path": draft.section_path,
            "number": draft.number,
            "question": draft.question,
            "answer": draft.answer,
            "follow_ups": draft.follow_ups,
            "kind": draft.kind,
            "parent_id": parent_id,
            "line_start": draft.line_start,
            "line_end": draft.line_end,
            "token_count": count_tokens("\n".join([draft.question, draft.answer, *draft.follow_ups])),
        }
        return entry_id, False

    def entries(self) -> tuple[Entry, ...]:
        return tuple(
            Entry(id=entry_id, locations=tuple(self._locations[entry_id]), **self._fields[entry_id])
            for entry_id in self._order
        )


def entries_by_kind(entries: Iterable[Entry]) -> dict[EntryKind, int]:
    return dict(Counter(e.kind for e in entries))


def untitled_bank_name(path: Path, parsed: ParsedBank) -> str:
    """A readable name for a bank without an H1. A numbered file ("002_2452c354e5d17cd9.txt", whose
    name says nothing) becomes "Bank 002 — <its first heading>"; any other file keeps its name,
    which was chosen by a person ("user_bank.csv" → "user_bank")."""
    number = re.match(r"(\d+)_[0-9a-f]{8,}$", path.stem)
    if number is None:
        return path.stem
    first = next((d.section_path[0] for d in parsed.entries if d.section_path), "")
    return f"Bank {number.group(1)} — {first}" if first else f"Bank {number.group(1)}"
