"""manifest.json: what an index was built from and with, checked before it is used."""

from __future__ import annotations

import hashlib
import json
import platform
import sqlite3
import stat
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from index.errors import IndexCorruptError, IndexMismatchError, IndexMissingError

MANIFEST_FILE = "manifest.json"
# 2: a model set (embedder, multilingual e5, reranker), e5 entry vectors and a calibration file.
FORMAT_VERSION = 2
# Bumped when parsing or unit-making changes what an index holds, so old indexes read as stale.
# 4: topics.json (clusters, names, map positions) and readable titles for banks without an H1.
CONTENT_VERSION = 4


def corpus_fingerprint(files: list[Path]) -> str:
    """A digest of the bank files' names and bytes. A file that cannot be read (a dangling link, a
    link loop, no permission, a FIFO) counts by its name and the reason, never raises and never
    blocks: ingest reports it, and once it is fixed the fingerprint changes and the index is stale."""
    digest = hashlib.sha256(f"content-v{CONTENT_VERSION}".encode())
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode("utf-8", errors="surrogateescape") + b"\0")
        digest.update(_file_digest(path))
    return digest.hexdigest()


def _file_digest(path: Path) -> bytes:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return b"not a regular file"
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError as exc:
        return f"unreadable: {exc.errno}".encode()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("faiss-cpu", "numpy", "onnxruntime", "tokenizers", "sentence-transformers"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


_FIELD_TYPES = {
    "format_version": int,
    "embedder": str,
    "dimension": int,
    "normalization": str,
    "faiss_index_type": str,
    "corpus_fingerprint": str,
    "files": list,
    "counts": dict,
    "libraries": dict,
    "models": dict,
    "calibration": dict,
    "faiss_index_params": dict,
}


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedder: str
    dimension: int
    normalization: str
    faiss_index_type: str
    corpus_fingerprint: str
    files: list[dict]
    counts: dict[str, int]
    libraries: dict[str, str]
    models: dict[str, str]  # role → model name (index/models.py)
    calibration: dict[str, str]  # sha256 of the calibration file in the index directory
    # The vector index's kind and parameters (index/vector_index.py); indexes from before it
    # existed are flat, which an empty dict means.
    faiss_index_params: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, ensure_ascii=False)

    @classmethod
    def read(cls, index_dir: Path) -> Manifest:
        path = index_dir / MANIFEST_FILE
        if not index_dir.exists():
            raise IndexMissingError(str(index_dir))
        if not path.exists():
            raise IndexCorruptError(str(index_dir), f"{MANIFEST_FILE} is missing")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
            raise IndexCorruptError(str(index_dir), f"{MANIFEST_FILE} is unreadable: {exc}") from None
        for name, kind in _FIELD_TYPES.items():
            value = getattr(manifest, name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise IndexCorruptError(str(index_dir), f"{MANIFEST_FILE} is unreadable: {name} is {value!r}")
        return manifest

    def check_compatible(self, index_dir: Path, embedder: str, dimension: int) -> None:
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                str(index_dir), f"format version {self.format_version}, this qbank reads {FORMAT_VERSION}"
            )
        if self.embedder != embedder:
            raise IndexMismatchError(str(index_dir), f"built with embedder {self.embedder!r}, configured {embedder!r}")
        if self.dimension != dimension:
            raise IndexMismatchError(str(index_dir), f"vectors have dimension {self.dimension}, embedder {dimension}")
        if self.models.get("embedder") != embedder:
            raise IndexMismatchError(str(index_dir), f"its model set {self.models} does not name embedder {embedder!r}")
