"""Per-user state that app replicas must share: answer feedback and practice progress.

`open_store()` (userdata/store.py) picks the backend: PostgreSQL when `QBANK_DATABASE_URL` is a
`postgresql://` URL, else an embedded SQLite file. Both implement the `UserStore` protocol.
"""
