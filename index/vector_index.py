"""The FAISS side of the index: exact search while it is fast enough, approximate above that.

Up to FLAT_MAX_VECTORS unit vectors the index is a flat inner-product index (exact). Above it,
an IVF index with 8-bit scalar-quantized vectors: a k-means quantizer trained on a sample
routes each query to `nprobe` of `nlist` lists, and each vector takes 384 bytes instead of
1,536, so a million entries fit in well under a gigabyte. `nprobe` is tuned at build time: the
smallest value whose recall@10 against exact search reaches TUNE_RECALL (or comes within
CEILING_MARGIN of scanning every list, when the 8-bit codes cannot reach it) on probe queries made
from the corpus. Type and parameters go into manifest.json; loading applies them and refuses an
index file that is not what the manifest says. Choices and thresholds were measured with
`python -m eval.scale` (eval/BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import faiss
import numpy as np

FLAT_MAX_VECTORS = 150_000
IVF_NPROBE_LADDER = (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
TUNE_RECALL = 0.985
# 8-bit codes cap recall a little below 1 (near-ties swap), lower as the corpus grows denser: the
# target is never above what scanning every list reaches, less this margin.
CEILING_MARGIN = 0.01
TUNE_QUERIES = 200
TRAIN_POINTS_PER_LIST = 40  # k-means sample: FAISS asks for at least 39 points per centroid
KMEANS_ITERATIONS = 12
# Probe queries sit this close to their corpus vector. Real queries are far from any unit (median
# best cosine ~0.5 on the scale corpus); probes at 0.6 were easier than them and tuned nprobe too
# low (recall 0.88 on real queries where the probes said 0.99); at 0.45 they track real queries.
QUERY_NOISE_COSINE = 0.45
SEED = 1234

# Manifest name of each kind → the FAISS class that `faiss.read_index` returns for it.
FAISS_CLASSES = {"flat": "IndexFlatIP", "ivf-sq8": "IndexIVFScalarQuantizer", "hnsw": "IndexHNSWFlat"}


class VectorIndexMismatch(ValueError):
    """The FAISS file is not the kind of index its manifest describes."""


@dataclass(frozen=True)
class VectorIndexSpec:
    kind: str  # a key of FAISS_CLASSES
    params: dict[str, float] = field(default_factory=dict)

    @property
    def faiss_class(self) -> str:
        return FAISS_CLASSES[self.kind]

    def to_manifest(self) -> dict:
        return {"kind": self.kind, **self.params}


def default_nlist(count: int) -> int:
    """About 4·√n lists, a power of two, so a list holds a few hundred vectors at any size."""
    return int(2 ** round(np.log2(max(16.0, 4 * np.sqrt(count)))))


def choose_spec(count: int, flat_max: int | None = None) -> VectorIndexSpec:
    if count <= (FLAT_MAX_VECTORS if flat_max is None else flat_max):
        return VectorIndexSpec("flat")
    return VectorIndexSpec("ivf-sq8", {"nlist": default_nlist(count)})


def build_vector_index(vectors: np.ndarray, spec: VectorIndexSpec | None = None) -> tuple[faiss.Index, VectorIndexSpec]:
    """The index over `vectors` (L2-normalized rows) and the spec it was built with, tuned."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    spec = spec or choose_spec(count)
    if spec.kind == "flat":
        index = faiss.IndexFlatIP(dimension)
        index.add(vectors)
        return index, spec
    if spec.kind == "hnsw":
        params = {"M": 32, "efConstruction": 80, "efSearch": 128, **spec.params}
        index = faiss.IndexHNSWFlat(dimension, int(params["M"]), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(params["efConstruction"])
        index.add(vectors)
        index.hnsw.efSearch = int(params["efSearch"])
        return index, VectorIndexSpec("hnsw", params)
    if spec.kind != "ivf-sq8":
        raise ValueError(f"unknown vector index kind {spec.kind!r}; choose one of {', '.join(FAISS_CLASSES)}")
    nlist = int(spec.params.get("nlist", default_nlist(count)))
    nlist = max(1, min(nlist, count // TRAIN_POINTS_PER_LIST or 1))
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.seed = SEED
    rng = np.random.default_rng(SEED)
    sample = rng.choice(count, size=min(count, nlist * TRAIN_POINTS_PER_LIST), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    index.make_direct_map()  # reconstruct(row) for "similar questions" and the topic map
    if "nprobe" in spec.params:
        nprobe, recall = int(spec.params["nprobe"]), spec.params.get("tuned_recall_at_10")
    else:
        nprobe, recall = tune_nprobe(index, vectors, rng)
    index.nprobe = nprobe
    params = {"nlist": nlist, "nprobe": nprobe, "quantizer": "SQ8"}
    if recall is not None:
        params["tuned_recall_at_10"] = round(float(recall), 4)
    return index, VectorIndexSpec("ivf-sq8", params)


def probe_queries(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Corpus vectors pushed off by random noise to a cosine of about QUERY_NOISE_COSINE."""
    picked = vectors[rng.choice(len(vectors), size=min(count, len(vectors)), replace=False)]
    sigma = np.tan(np.arccos(QUERY_NOISE_COSINE)) / np.sqrt(vectors.shape[1])
    noisy = picked + rng.normal(0.0, sigma, size=picked.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def recall_at(found: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top-k that the approximate top-k found."""
    hits = [len(set(a[:k].tolist()) & set(e[:k].tolist())) for a, e in zip(found, exact)]
    return float(np.mean(hits)) / k if hits else 1.0


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return flat.search(queries, k)[1]


def tune_nprobe(index: faiss.IndexIVF, vectors: np.ndarray, rng: np.random.Generator) -> tuple[int, float]:
    queries = probe_queries(vectors, TUNE_QUERIES, rng)
    exact = exact_neighbours(vectors, queries)

    def recall(nprobe: int) -> float:
        index.nprobe = nprobe
        return recall_at(index.search(queries, 10)[1], exact)

    ceiling = recall(index.nlist)
    target = min(TUNE_RECALL, ceiling - CEILING_MARGIN)
    for nprobe in (p for p in IVF_NPROBE_LADDER if p < index.nlist):
        reached = recall(nprobe)
        if reached >= target:
            return nprobe, reached
    return index.nlist, ceiling


def configure_loaded(index: faiss.Index, params: dict) -> None:
    """Check a loaded FAISS index against its manifest entry and apply its search parameters."""
    kind = params.get("kind", "flat")
    expected = FAISS_CLASSES.get(kind)
    if expected is None:
        raise VectorIndexMismatch(f"the manifest names an unknown vector index kind {kind!r}")
    actual = type(index).__name__
    if actual != expected:
        raise VectorIndexMismatch(f"vectors.faiss is an {actual}, the manifest says {expected}")
    if kind == "ivf-sq8":
        index.nprobe = int(params.get("nprobe", 32))
    elif kind == "hnsw":
        index.hnsw.efSearch = int(params.get("efSearch", 128))
