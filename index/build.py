"""Build an index directory: ingest → units → embeddings → FAISS + SQLite + manifest.

The new index is written into a temporary sibling directory and renamed into place only when
complete, so a crash or Ctrl-C mid-build leaves the previous index usable.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss

from index.build_lock import build_lock
from index.calibration import CALIBRATION_FILE, Calibration, calibration_for
from index.clusters import TOPICS_FILE, build_topics, reusable_topics, topics_fingerprint, write_topics
from index.embed_pipeline import open_cache, plan_embedding, run_plan
from index.embedder import Embedder, LazyMultilingual, configured_embedder_name, load_embedder
from index.embedding_cache import EmbeddingCache, cache_key
from index.errors import IndexBuildError, IndexWriteError
from index.manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest, corpus_fingerprint, library_versions
from index.models import model_set, multilingual_enabled
from index.paths import cache_path, default_index_dir, previous_dir, staging_prefix
from index.store import STORE_FILE, write_store
from index.units import MultilingualCut, UnitKind, build_units, multilingual_source
from index.variants import find_variants
from index.vector_index import build_vector_index
from ingest.corpus import IngestResult, default_bank_dir, expand_paths, ingest_paths
from ingest.entry import Entry

log = logging.getLogger(__name__)

VECTORS_FILE = "vectors.faiss"
MULTILINGUAL_FILE = "multilingual.faiss"  # one e5 vector per entry, rows in entry order

Progress = Callable[[str, float], None]
EMBEDDING_SPAN = (0.1, 0.8)  # the part of the progress bar the embedding passes share


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    ingest: IngestResult
    entries: int
    units: int
    embedded: int  # texts whose vectors were computed now
    reused: int  # texts whose vectors came from the cache
    seconds: float


def bank_files(paths: Sequence[Path] | None = None) -> list[Path]:
    files, _ = expand_paths(list(paths) if paths else [default_bank_dir()])
    return files


def build_index(
    index_dir: Path | None = None,
    paths: Sequence[Path] | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    multilingual: Embedder | bool = True,
    calibration: Calibration | None = None,
) -> BuildReport:
    """Build the index. `multilingual`: True loads e5 (unless QBANK_MULTILINGUAL=off), False leaves the
    e5 first stage out, or an embedder to use. `calibration=None` takes the shipped one when it was
    fitted for the model set, else untuned defaults.

    One build per index directory at a time (IndexBusyError names the pid of the other); a folder
    that cannot be written or a full disk is an IndexWriteError, and either way the previous index
    stays as it was."""
    index_dir = Path(index_dir or default_index_dir())
    with build_lock(index_dir):
        return _build_locked(index_dir, paths, embedder, progress, multilingual, calibration)


def _build_locked(
    index_dir: Path,
    paths: Sequence[Path] | None,
    embedder: Embedder | None,
    progress: Progress | None,
    multilingual: Embedder | bool,
    calibration: Calibration | None,
) -> BuildReport:
    started = time.perf_counter()
    notify = progress or (lambda _message, _fraction: None)
    notify("Reading the question banks", 0.02)
    # Fingerprint the files before reading them: a bank edited during the build then leaves the
    # index looking stale (and rebuilt next time) rather than up to date with text it never saw.
    fingerprint = corpus_fingerprint(bank_files(paths))
    result = ingest_paths(paths)
    if not result.entries:
        raise IndexBuildError("no entries to index: every bank failed to ingest; the previous index is unchanged")
    entries = result.entries
    units = build_units(entries)
    embedder = embedder or load_embedder()
    second: Embedder | None
    if isinstance(multilingual, bool):
        # Loaded only if some e5 text or vector is missing from the embedding cache.
        second = LazyMultilingual() if multilingual and multilingual_enabled() else None
    else:
        second = multilingual
    models = model_set(embedder.name, second.name if second is not None else None)
    calibration = calibration or calibration_for(models)
    calibration.check_models(models, str(index_dir))
    notify(f"Embedding {len(units)} passages of {len(entries)} entries", 0.1)
    cache, cache_problem = open_cache(cache_path(index_dir))
    if cache_problem:
        notify(cache_problem, 0.1)
    try:
        plan = plan_embedding([u.text for u in units], embedder, cache)
        multilingual_plan = None
        if second is not None:
            # A cache that could not be read is not tried again; one that could not be written (a full
            # disk) still has every vector it held, and the e5 pass would otherwise recompute them all.
            usable = cache if plan.problem is None else None
            notify(f"Preparing the multilingual texts of {len(entries)} entries", EMBEDDING_SPAN[0])
            multilingual_plan = plan_embedding(_multilingual_texts(entries, second, usable), second, usable)
        # Both passes are planned before either runs, so the progress bar shares its embedding span
        # by the work each pass has left (per padded token or character both models cost about the
        # same): 50 % is then half the work, whichever pass it falls in.
        work = plan.work + (multilingual_plan.work if multilingual_plan is not None else 0)
        span = EMBEDDING_SPAN[1] - EMBEDDING_SPAN[0]
        first_span = span * plan.work / work if work else span
        embedded = run_plan(plan, progress=lambda p: notify(p.describe(), _within(first_span * p.fraction)))
        multilingual_embedded = None
        if multilingual_plan is not None:
            multilingual_embedded = run_plan(
                multilingual_plan,
                progress=lambda p: notify(
                    p.describe("entries for multilingual search"),
                    _within(first_span + (span - first_span) * p.fraction),
                ),
            )
    finally:
        if cache is not None:
            cache.close()
    for problem in {embedded.cache_problem, multilingual_embedded and multilingual_embedded.cache_problem} - {None}:
        notify(str(problem), 0.8)
    vectors, computed = embedded.vectors, embedded.computed
    multilingual_vectors = None
    if multilingual_embedded is not None:
        multilingual_vectors = multilingual_embedded.vectors
        computed += multilingual_embedded.computed
    notify("Linking variants of the same question", 0.8)
    question_rows = [row for row, u in enumerate(units) if u.kind is UnitKind.QUESTION]
    variants = find_variants(entries, vectors[question_rows])
    questions = [e.question for e in entries]
    topics_key = topics_fingerprint(embedder.name, questions)
    # An unchanged rebuild keeps the previous index's topics: they are a function of the questions
    # and their vectors, and recomputing them (k-means, t-SNE) is most of such a rebuild's time.
    topics = reusable_topics(index_dir / TOPICS_FILE, [e.id for e in entries], topics_key)
    if topics is None:
        notify("Finding and naming the topics", 0.85)
        topics = build_topics(questions, vectors[question_rows], topics_key)

    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=staging_prefix(index_dir), dir=index_dir.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the index is meant to be shared
    except OSError as exc:
        raise IndexWriteError(index_dir, exc) from None
    try:
        notify("Writing the index", 0.9)
        vector_index, vector_spec = build_vector_index(vectors)
        faiss.write_index(vector_index, str(staging / VECTORS_FILE))
        if multilingual_vectors is not None:
            entry_index = faiss.IndexFlatIP(multilingual_vectors.shape[1])
            entry_index.add(multilingual_vectors)
            faiss.write_index(entry_index, str(staging / MULTILINGUAL_FILE))
        calibration.write(staging / CALIBRATION_FILE)
        write_store(staging / STORE_FILE, entries, units, variants)
        write_topics(staging / TOPICS_FILE, topics, [e.id for e in entries])
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            embedder=embedder.name,
            dimension=embedder.dimension,
            normalization="l2",
            faiss_index_type=vector_spec.faiss_class,
            faiss_index_params=vector_spec.to_manifest(),
            corpus_fingerprint=fingerprint,
            files=[{"file": r.file, "entries": r.entries, "error": r.error} for r in result.reports],
            counts={
                "entries": len(entries),
                "units": len(units),
                "variants": len(variants),
                "topics": len(topics.topics),
                **{f"kind:{k}": v for k, v in Counter(e.kind.value for e in entries).items()},
            },
            libraries=library_versions(),
            models=models,
            calibration={"sha256": calibration.sha256},
        )
        # The manifest goes last: a directory without one was never finished.
        (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        _swap_into_place(staging, index_dir)
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        failure = _write_failure(exc)
        if failure is None:
            raise
        log.warning("writing the index at %s failed; the previous index is unchanged", index_dir, exc_info=True)
        raise IndexWriteError(index_dir, failure) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    notify("Index ready", 1.0)
    log.info("built %s: %d entries, %d units, %d embedded", index_dir, len(entries), len(units), computed)
    return BuildReport(
        index_dir=index_dir,
        ingest=result,
        entries=len(entries),
        units=len(units),
        embedded=computed,
        reused=len(units) + (len(entries) if second is not None else 0) - computed,
        seconds=time.perf_counter() - started,
    )


def _within(done: float) -> float:
    """A point of the embedding span, never past its end (rounding must not make progress go back)."""
    return min(EMBEDDING_SPAN[0] + done, EMBEDDING_SPAN[1])


def _multilingual_texts(entries: Sequence[Entry], model: Embedder, cache: EmbeddingCache | None) -> list[str]:
    """Each entry's e5 text (MultilingualCut), from the embedding cache when it holds it: cutting
    needs the model's tokenizer, so a rebuild that finds every cut there never loads e5."""
    cut = MultilingualCut(model)  # type: ignore[arg-type]  # an e5 embedder counts its tokens
    sources = [multilingual_source(e) for e in entries]
    keys = [cache_key(f"{model.name} cut {cut.budget}", s) for s in sources]
    known: dict[str, str] = {}
    if cache is not None:
        try:
            known = cache.lookup_texts(list(dict.fromkeys(keys)))
        except (sqlite3.Error, OSError):
            log.warning("reading e5 texts from the embedding cache failed; cutting them again", exc_info=True)
    new: list[tuple[str, str]] = []
    texts = []
    for key, source in zip(keys, sources):
        text = known.get(key)
        if text is None:
            text = known[key] = cut.cut(source)
            new.append((key, text))
        texts.append(text)
    if cache is not None and new:
        try:
            cache.store_texts(new)
        except (sqlite3.Error, OSError):
            log.warning("writing e5 texts to the embedding cache failed", exc_info=True)
    return texts


_WRITE_FAILURES = (
    ("no space left", errno.ENOSPC),
    ("disk is full", errno.ENOSPC),
    ("disk quota", errno.EDQUOT),
    ("read-only", errno.EROFS),
    ("readonly", errno.EROFS),
    ("permission denied", errno.EACCES),
)


def _write_failure(exc: BaseException) -> OSError | None:
    """The OSError behind a failed write: FAISS reports one as a RuntimeError quoting strerror, and
    SQLite as "database or disk is full"; None when `exc` is not a write failure at all."""
    if isinstance(exc, OSError):
        return exc
    text = str(exc).lower()
    for phrase, code in _WRITE_FAILURES:
        if phrase in text:
            return OSError(code, os.strerror(code))
    return None


def _swap_into_place(staging: Path, index_dir: Path) -> None:
    """Two renames; if we die between them, loading restores the previous directory."""
    old = previous_dir(index_dir)
    if old.exists() and not index_dir.exists():
        os.replace(old, index_dir)  # an earlier swap died between its renames: that was the good index
    if old.exists():
        shutil.rmtree(old)
    if index_dir.exists():
        os.replace(index_dir, old)
    os.replace(staging, index_dir)
    shutil.rmtree(old, ignore_errors=True)


def entries_fingerprint_matches(
    index_dir: Path,
    paths: Sequence[Path] | None = None,
    embedder_name: str | None = None,
    multilingual: bool | None = None,
) -> bool:
    """True when the index exists and was built from exactly the current bank files, by the
    configured embedder (an index of another embedder cannot be loaded, so it is stale too), with
    the e5 first stage when `multilingual` (default: QBANK_MULTILINGUAL) asks for it, and with the
    calibration this qbank ships for its model set."""
    try:
        manifest = Manifest.read(index_dir)
    except Exception:
        return False
    if manifest.format_version != FORMAT_VERSION or manifest.embedder != (embedder_name or configured_embedder_name()):
        return False
    wanted = multilingual_enabled() if multilingual is None else multilingual
    if ("multilingual" in manifest.models) != wanted:
        return False
    # A refitted calibration (a new shipped file) makes the index stale: rebuilding reuses every vector.
    if manifest.calibration.get("sha256") != calibration_for(manifest.models).sha256:
        return False
    files = [f for f in bank_files(paths) if f.is_file()]
    try:
        return manifest.corpus_fingerprint == corpus_fingerprint(files)
    except OSError:
        return False
