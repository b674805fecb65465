"""The naive LangChain recipe as people usually write it, for the cold-process benchmark.

RecursiveCharacterTextSplitter(1000, 200) over the raw bank files, sentence-transformers
MiniLM (torch) embeddings, a flat FAISS index on disk (written with faiss.write_index plus a
JSON list of chunks — no pickle). `python -m eval.naive_recipe build DIR` writes it;
`python -m eval.naive_recipe search DIR "query"` is one cold query, as a user would run it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CHUNKS = "chunks.json"
VECTORS = "vectors.faiss"


def build(out_dir: Path, bank_dir: Path) -> int:
    import faiss
    import numpy as np
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from index.embedder import TorchMiniLM

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks: list[str] = []
    for path in sorted(p for p in bank_dir.iterdir() if p.is_file()):
        chunks.extend(splitter.split_text(path.read_text(encoding="utf-8", errors="replace")))
    vectors = np.asarray(TorchMiniLM().embed(chunks), dtype=np.float32)
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(vectors)
    out_dir.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index, str(out_dir / VECTORS))
    (out_dir / CHUNKS).write_text(json.dumps(chunks), encoding="utf-8")
    return len(chunks)


def search(index_dir: Path, query: str, k: int = 4) -> list[str]:
    import faiss
    import numpy as np

    from index.embedder import TorchMiniLM

    index = faiss.read_index(str(index_dir / VECTORS))
    chunks = json.loads((index_dir / CHUNKS).read_text(encoding="utf-8"))
    vector = np.asarray(TorchMiniLM().embed([query]), dtype=np.float32)
    _, rows = index.search(vector, k)
    return [chunks[r][:80] for r in rows[0]]


if __name__ == "__main__":
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "build":
        from ingest.corpus import default_bank_dir

        print(build(directory, default_bank_dir()))
    else:
        print(json.dumps(search(directory, sys.argv[3])))
