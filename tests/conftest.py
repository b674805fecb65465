"""Shared pytest fixtures. Each stage's helpers keep their fixtures in their own marked block."""

from __future__ import annotations

from pathlib import Path

import pytest

# --- retrieval fixtures ---
# Index and retrieval tests (tests/test_index_*.py, tests/test_retrieval_*.py, tests/test_search_cli.py).
# Every index lives in a temporary directory; data/index is never touched.

REPO_ROOT = Path(__file__).resolve().parent.parent
BANK_DIR = REPO_ROOT / "data" / "banks"


@pytest.fixture(scope="session")
def hashing_index_dir(tmp_path_factory) -> Path:
    """All five real banks indexed with the deterministic HashingEmbedder (about a second)."""
    from index.build import build_index
    from index.embedder import HashingEmbedder

    index_dir = tmp_path_factory.mktemp("qbank-hashing") / "index"
    build_index(index_dir, [BANK_DIR], HashingEmbedder(), multilingual=False)
    return index_dir


@pytest.fixture
def hashing_index_copy(hashing_index_dir, tmp_path) -> Path:
    """A private copy of the hashing index, for tests that damage it."""
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(hashing_index_dir, copy)
    return copy


@pytest.fixture(scope="session")
def hashing_searcher(hashing_index_dir):
    from index.embedder import HashingEmbedder
    from index.load import load_index
    from retrieval.searcher import Searcher

    embedder = HashingEmbedder()
    searcher = Searcher(load_index(embedder, hashing_index_dir), embedder)
    yield searcher
    searcher.index.close()


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory) -> Path:
    """The five real banks indexed with the real (default) embedder, built once per session."""
    from index.build import build_index
    from index.embedder import load_embedder

    index_dir = tmp_path_factory.mktemp("qbank-real") / "index"
    build_index(index_dir, [BANK_DIR], load_embedder())
    return index_dir


@pytest.fixture(scope="session")
def real_searcher(real_index_dir):
    from retrieval.searcher import Searcher

    searcher = Searcher.open(real_index_dir)
    yield searcher
    searcher.index.close()


# --- end retrieval fixtures ---


# --- user data fixtures ---
# The user-data store suite (tests/test_userdata_*.py) runs against SQLite and a real PostgreSQL.


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server per session (tests/pg_server.py); each test takes a fresh database."""
    from pg_server import PostgresServer, postgres_bin

    if postgres_bin() is None:
        pytest.skip("PostgreSQL is missing: apt-get install -y postgresql (make test installs it)")
    server = PostgresServer().start()
    yield server
    server.stop()


# --- end user data fixtures ---


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request, tmp_path):
    """A factory of user-data stores on one fresh database: each call is another process (a restart,
    or another app replica) opening it anew."""
    from userdata.postgres_store import PostgresStore
    from userdata.sqlite_store import SQLiteStore

    if request.param == "sqlite":
        path = tmp_path / "user.sqlite3"
        return lambda: SQLiteStore(path)
    url = request.getfixturevalue("postgres_server").new_database()
    return lambda: PostgresStore(url)
