"""Open an index directory, refusing anything mismatched or damaged with a message naming the fix."""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.build import MULTILINGUAL_FILE, VECTORS_FILE
from index.calibration import CALIBRATION_FILE, Calibration, CalibrationError
from index.clusters import TOPICS_FILE, Topics
from index.embedder import Embedder
from index.errors import IndexCorruptError, IndexError_, IndexMissingError
from index.faiss_header import FaissHeaderError, check_declared_sizes
from index.manifest import Manifest
from index.models import MULTILINGUAL
from index.paths import default_index_dir, previous_dir
from index.store import STORE_FILE, Store
from index.units import UnitKind
from index.vector_index import VectorIndexMismatch, configure_loaded
from ingest.entry import Entry

log = logging.getLogger(__name__)


@dataclass
class LoadedIndex:
    path: Path
    manifest: Manifest
    entries: tuple[Entry, ...]
    by_id: dict[str, int]  # entry id → ordinal
    unit_entry: np.ndarray  # unit row → entry ordinal
    unit_kind: np.ndarray  # unit row → UnitKind value
    unit_text: list[str]
    vectors: faiss.Index
    store: Store
    variants: dict[int, list[tuple[int, float]]]
    vocabulary: dict[str, int]
    calibration: Calibration
    multilingual_vectors: faiss.Index | None = None  # e5, one row per entry ordinal
    topics: Topics | None = None  # clusters, names and map positions (None: an index from before topics)

    def close(self) -> None:
        self.store.close()


def _recover_interrupted_swap(index_dir: Path) -> None:
    previous = previous_dir(index_dir)
    if not index_dir.exists() and (previous / "manifest.json").exists():
        os.replace(previous, index_dir)


def load_index(
    embedder: Embedder, index_dir: Path | None = None, calibration: Calibration | None = None
) -> LoadedIndex:
    """Open an index. `calibration` replaces the index's own (only `qbank calibrate` does that, to
    fit a new one when the code's features changed)."""
    try:
        return _load(embedder, index_dir, calibration)
    except IndexError_ as exc:
        log.warning("index refused: %s", exc)  # the caller shows it; the log keeps when it happened
        raise


def _load(embedder: Embedder, index_dir: Path | None, calibration: Calibration | None) -> LoadedIndex:
    index_dir = Path(index_dir or default_index_dir())
    _recover_interrupted_swap(index_dir)
    if not index_dir.exists():
        raise IndexMissingError(str(index_dir))
    manifest = Manifest.read(index_dir)
    manifest.check_compatible(index_dir, embedder.name, embedder.dimension)
    vectors_path, store_path = index_dir / VECTORS_FILE, index_dir / STORE_FILE
    for required in (vectors_path, store_path):
        if not required.exists():
            raise IndexCorruptError(str(index_dir), f"{required.name} is missing")
    calibration = calibration or _read_calibration(index_dir, manifest)
    counts = manifest.counts
    vectors = _read_vectors(
        index_dir,
        VECTORS_FILE,
        manifest.faiss_index_params or {"kind": "flat"},
        manifest.dimension,
        counts.get("units"),
    )
    multilingual_vectors = None
    if MULTILINGUAL in manifest.models:
        multilingual_vectors = _read_vectors(
            index_dir, MULTILINGUAL_FILE, {"kind": "flat"}, None, counts.get("entries")
        )
    store = Store(store_path)
    try:
        entries = tuple(store.entries())
        units = store.units()
        variant_rows = store.variants()
        vocabulary = store.vocabulary()
        store.check_keyword_index()
    except (sqlite3.DatabaseError, ValueError, KeyError) as exc:
        store.close()
        raise IndexCorruptError(str(index_dir), f"{STORE_FILE} cannot be read: {exc}") from None
    if (
        vectors.d != manifest.dimension
        or vectors.ntotal != len(units)
        or len(units) != counts.get("units")
        or len(entries) != counts.get("entries")
        or (multilingual_vectors is not None and multilingual_vectors.ntotal != len(entries))
    ):
        store.close()
        raise IndexCorruptError(
            str(index_dir),
            f"counts disagree: {vectors.ntotal} vectors, {len(units)} units, {len(entries)} entries "
            f"vs manifest {counts.get('units')} units, {counts.get('entries')} entries",
        )
    try:
        unit_kinds = np.array([UnitKind(u[1]).value for u in units])
    except ValueError as exc:
        store.close()
        raise IndexCorruptError(str(index_dir), f"{STORE_FILE} has an unknown unit kind: {exc}") from None
    variants: dict[int, list[tuple[int, float]]] = {}
    for ordinal, variant, similarity in variant_rows:
        variants.setdefault(ordinal, []).append((variant, similarity))
    for rows in variants.values():
        rows.sort(key=lambda r: -r[1])
    try:
        topics = _read_topics(index_dir, manifest, [e.id for e in entries])
    except IndexCorruptError:
        store.close()
        raise
    return LoadedIndex(
        path=index_dir,
        manifest=manifest,
        entries=entries,
        by_id={e.id: i for i, e in enumerate(entries)},
        unit_entry=np.array([u[0] for u in units], dtype=np.int64),
        unit_kind=unit_kinds,
        unit_text=[u[2] for u in units],
        vectors=vectors,
        store=store,
        variants=variants,
        vocabulary=vocabulary,
        calibration=calibration,
        multilingual_vectors=multilingual_vectors,
        topics=topics,
    )


def _read_topics(index_dir: Path, manifest: Manifest, entry_ids: list[str]) -> Topics | None:
    if "topics" not in manifest.counts:
        return None  # built before topics existed; the map computes its projection itself
    path = index_dir / TOPICS_FILE
    if not path.exists():
        raise IndexCorruptError(str(index_dir), f"{TOPICS_FILE} is missing")
    try:
        topics = Topics.from_json(path.read_text(encoding="utf-8"), entry_ids)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IndexCorruptError(str(index_dir), f"{TOPICS_FILE}: {exc}") from None
    if len(topics.topics) != manifest.counts["topics"]:
        raise IndexCorruptError(
            str(index_dir), f"{TOPICS_FILE} has {len(topics.topics)} topics, the manifest {manifest.counts['topics']}"
        )
    return topics


def _read_vectors(index_dir: Path, name: str, params: dict, dimension: int | None, count: int | None) -> faiss.Index:
    path = index_dir / name
    if not path.exists():
        raise IndexCorruptError(str(index_dir), f"{name} is missing")
    try:
        # Sizes first: FAISS would allocate whatever a damaged header declares before failing.
        check_declared_sizes(path, str(params.get("kind", "flat")), dimension, count)
    except (FaissHeaderError, OSError) as exc:
        raise IndexCorruptError(str(index_dir), f"{name} cannot be read: {exc}") from None
    try:
        vectors = faiss.read_index(str(path))
        configure_loaded(vectors, params)
    except RuntimeError as exc:
        raise IndexCorruptError(str(index_dir), f"{name} cannot be read: {str(exc).splitlines()[0]}") from None
    except VectorIndexMismatch as exc:
        raise IndexCorruptError(str(index_dir), f"{name}: {exc}") from None
    return vectors


def _read_calibration(index_dir: Path, manifest: Manifest) -> Calibration:
    path = index_dir / CALIBRATION_FILE
    if not path.exists():
        raise IndexCorruptError(str(index_dir), f"{CALIBRATION_FILE} is missing")
    try:
        calibration = Calibration.read(path)
    except CalibrationError as exc:
        raise IndexCorruptError(str(index_dir), str(exc)) from None
    if calibration.sha256 != manifest.calibration.get("sha256"):
        raise IndexCorruptError(str(index_dir), f"{CALIBRATION_FILE} is not the one the manifest records")
    calibration.check_models(manifest.models, str(index_dir))
    calibration.check_features(str(index_dir))
    return calibration
