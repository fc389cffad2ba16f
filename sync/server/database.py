"""The central database's core: opening it, transactions, running statements, change
versions (and their marks, the cursor epoch). Every other module of the platform (devices,
push, pull, the sales journal, the ledger, the roster) works through these public names only.

On a SQLite file or a PostgreSQL database (``backends``: ``--db central.db`` or ``--db
postgresql://user@host/db``), with the same SQL: plain and portable on purpose (``?``
placeholders, ``ON CONFLICT … DO UPDATE``, ``BIGINT`` for cents, seqs and versions, 0/1 for
booleans, ISO text for instants). Every statement runs in ``transaction`` through
``execute``, which give both backends the same transactions: one writer at a time, readers
on one snapshot (see ``backends``).

Pull cursors rest on one global change counter (table ``change_counter``): every write of an
entity row takes the next value as the row's ``version`` (``next_versions``), inside the
write transaction. As writers are serialised (SQLite's write lock; the writers' advisory lock
on PostgreSQL), versions become visible in order and "rows with version > cursor" never
skips a late commit. Each such write also marks the versions it took: the cursor's epoch
(``sync.server.epoch``), which changes only when the data went back (a restore).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Self

from sync.common.clock import iso_utc
from sync.server import epoch as cursor_epoch, migrations
from sync.server.backends import Connection, Cursor, open_database
from sync.server.errors import CentralError


def sha256(text: str) -> str:
    """What the database keeps of a secret (terminal and admin tokens, enrolment codes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Database:
    """The central database, a SQLite file or a PostgreSQL database (``db``: a path or a
    ``postgresql://`` URL). Safe to share between the server's worker threads; ``close()``
    (or ``with``) gives a PostgreSQL pool's connections back. ``now`` is the clock (tests
    pass a manual one)."""

    def __init__(self, db: str | Path, create: bool = False,
                 now: Callable[[], datetime] | None = None):
        self.db = str(db)                   # as given (a URL may hold a password: never shown)
        self._db = open_database(db)
        self.path: Path | None = self._db.path     # the SQLite file (None on PostgreSQL)
        self.label = where = self._db.label        # for people: a URL without its password
        self._clock = now or (lambda: datetime.now(timezone.utc))
        try:
            if create:
                self._db.prepare()
            self._db.make_private()     # at every open: older files fixed (private_files)
            # The schema at its newest revision: made (create), upgraded, or refused when the
            # database is newer than this code (sync/server/migrations).
            self.schema = migrations.upgrade(self._db, create=create)
        except migrations.SchemaError as e:
            self.close()
            raise CentralError("invalid", "{where}: {problem}", where=where, problem=e.args[0]) from None
        except self._db.unreachable as e:
            self.close()
            raise CentralError("invalid", "{where}: cannot open the central database ({error})",
                               where=where, error=" ".join(str(e).split())) from None
        except self._db.errors as e:
            self.close()
            raise CentralError("invalid", "{where}: not a central database ({error})", where=where,
                               error=e) from None
        except CentralError:
            self.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- every statement goes through these (``backends`` says what differs) ---------------
    def transaction(self, write: bool = True) -> AbstractContextManager[Connection]:
        """``with db.transaction() as conn:`` one transaction; ``write=False``: a read-only
        one on one snapshot. Writers run one at a time on both backends."""
        return self._db.transaction(write)

    def execute(self, conn: Connection, sql: str, params: Any = ()) -> Cursor:
        """Run one statement written with ``?`` placeholders; returns the cursor."""
        return conn.execute(self._db.sql(sql), params)

    def execute_many(self, conn: Connection, sql: str, rows: list) -> None:
        """Run one statement for each row of parameters (in one round trip on PostgreSQL)."""
        if rows:
            self._db.executemany(conn, self._db.sql(sql), rows)

    def next_versions(self, conn: Connection, count: int) -> int:
        """Reserve ``count`` change versions in the caller's write transaction; returns the
        first. Whatever row takes one is delivered by the terminals' next pull."""
        self.execute(conn, "UPDATE change_counter SET value = value + ? WHERE id = 1", (count,))
        last = self.execute(conn, "SELECT value FROM change_counter WHERE id = 1").fetchone()[0]
        if count > 0:       # the cursor epoch of these versions (``epoch``: restores show)
            cursor_epoch.record(self, conn, last - count + 1)
        return last - count + 1

    def last_version(self, conn: Connection) -> int:
        return self.execute(conn, "SELECT value FROM change_counter WHERE id = 1").fetchone()[0]

    # -- time --------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The platform's clock: an aware datetime."""
        return self._clock()

    def stamp(self) -> str:
        """Now as the database stores instants (``iso_utc``)."""
        return iso_utc(self._clock())
