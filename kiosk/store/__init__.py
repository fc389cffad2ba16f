"""The terminal's local store: one SQLite file (WAL, synchronous=FULL) holding the data
pulled from the platform, the hash-chained journal, the print queue and the sync state."""
from kiosk.store.db import Store, open_store  # noqa: F401
