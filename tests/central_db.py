"""Fresh central databases for the server tests, on either backend (a helper, not a test).

The fixtures in conftest.py (``backend``, ``central_dbs``, ``central_db``) run each server test
twice, once on a SQLite file and once on a database of the throw-away PostgreSQL server
(``pg_server``); ``central_rows`` reads (or writes) one of them with plain SQL, whatever
its backend."""
from __future__ import annotations

import itertools
from pathlib import Path

from sync.server.storage import CentralStore

from .pg_server import PgServer

BACKENDS = ("sqlite", "postgresql")
_numbers = itertools.count(1)      # database names stay unique over the whole session


class CentralDatabases:
    """Makes new, empty central databases of one backend: a file path, or a URL."""

    def __init__(self, backend: str, folder: Path, pg: PgServer | None = None):
        assert backend in BACKENDS and (pg is not None) == (backend == "postgresql")
        self.backend, self.folder, self.pg = backend, folder, pg
        self.made: list[str] = []

    def new(self) -> str:
        name = f"central_{next(_numbers)}"
        self.made.append(name)
        if self.pg is None:
            return str(self.folder / f"{name}.db")
        return self.pg.create_database(name)

    def drop(self, db: str) -> None:
        """Forget a database (PostgreSQL: drop it, so the disk does not fill up)."""
        name = db.rsplit("/", 1)[-1].removesuffix(".db")
        if self.pg is not None:
            self.pg.drop_database(name)
        self.made.remove(name)

    def drop_all(self) -> None:
        for name in list(self.made):
            self.drop(name)


def central_rows(db: str | CentralStore, sql: str, params=(), write: bool = False) -> list[tuple]:
    """Run one statement (``?`` placeholders) on a central database: its rows, if any."""
    store = db if isinstance(db, CentralStore) else CentralStore(db)
    try:
        with store.transaction(write=write) as conn:
            cursor = store.execute(conn, sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        if store is not db:
            store.close()
