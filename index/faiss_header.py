"""Read a FAISS file's declared sizes before FAISS does, so that a damaged header is refused in
microseconds instead of FAISS allocating what it claims (a header saying 2 GB of vectors cost 88 s
and 8 GB of memory before failing).

Every FAISS index file starts with a four-byte type code and the common index header
(faiss/impl/index_write.cpp: write_index_header): d (int32), ntotal (int64), two int64 fillers,
is_trained (1 byte), metric_type (int32) and, for metric types above 1, a float argument. A flat
index follows with the element count of its float vector (uint64) and the floats themselves.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_HEADER = struct.Struct("<4siqqqBi")  # fourcc, d, ntotal, filler, filler, is_trained, metric_type
_FLAT_CODES = struct.Struct("<Q")
FLAT_FOURCCS = {b"IxFI", b"IxF2", b"IxFl"}
# The fewest bytes a vector can take in the index kinds qbank writes: 4 per component for flat
# and HNSW (float32), 1 for IVF with 8-bit scalar quantization.
MIN_BYTES_PER_COMPONENT = {"flat": 4, "hnsw": 4, "ivf-sq8": 1}


class FaissHeaderError(ValueError):
    """The file's header contradicts its size or the manifest; the message says how."""


@dataclass(frozen=True)
class FaissHeader:
    fourcc: bytes
    dimension: int
    ntotal: int
    flat_floats: int | None  # the flat index's declared float count, None for other kinds
    header_bytes: int


def read_header(path: Path) -> FaissHeader:
    with path.open("rb") as handle:
        head = handle.read(_HEADER.size + 4 + _FLAT_CODES.size)
    if len(head) < _HEADER.size:
        raise FaissHeaderError(f"the file is {len(head)} bytes, shorter than a FAISS header")
    fourcc, dimension, ntotal, _, _, _, metric = _HEADER.unpack_from(head)
    offset = _HEADER.size + (4 if metric > 1 else 0)
    flat_floats = None
    if fourcc in FLAT_FOURCCS:
        if len(head) < offset + _FLAT_CODES.size:
            raise FaissHeaderError("the file ends inside its header")
        (flat_floats,) = _FLAT_CODES.unpack_from(head, offset)
        offset += _FLAT_CODES.size
    return FaissHeader(fourcc, dimension, ntotal, flat_floats, offset)


def check_declared_sizes(path: Path, kind: str, dimension: int | None, count: int | None) -> None:
    """Refuse a file whose header declares other than `count` vectors of `dimension` (None: not
    known from the manifest), or more vector bytes than the file holds. Raises FaissHeaderError."""
    header = read_header(path)
    size = path.stat().st_size
    if header.dimension <= 0 or header.ntotal < 0:
        raise FaissHeaderError(f"its header says {header.ntotal:,} vectors of dimension {header.dimension}")
    if dimension is not None and header.dimension != dimension:
        raise FaissHeaderError(f"its header says dimension {header.dimension}, the manifest {dimension}")
    if count is not None and header.ntotal != count:
        raise FaissHeaderError(f"counts disagree: its header says {header.ntotal:,} vectors, the manifest {count:,}")
    needed = header.ntotal * header.dimension * MIN_BYTES_PER_COMPONENT.get(kind, 1)
    if header.flat_floats is not None:
        if header.flat_floats != header.ntotal * header.dimension:
            raise FaissHeaderError(
                f"its header declares {header.flat_floats:,} floats for {header.ntotal:,} vectors of {header.dimension}"
            )
        needed = header.flat_floats * 4
    if header.header_bytes + needed > size:
        raise FaissHeaderError(f"its header declares {needed:,} bytes of vectors but the file has {size:,} bytes")
