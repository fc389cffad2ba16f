"""Where the central database lives: a SQLite file, or a PostgreSQL database given by URL.

    open_database("central.db")                                   # SQLite (WAL, synchronous=FULL)
    open_database("postgresql://comptoir@db.school.be/comptoir")  # PostgreSQL (psycopg 3, pool)

``storage.CentralStore`` writes every statement once, in the SQL both speak, with ``?``
placeholders, and runs it through ``transaction()`` and ``sql()`` of the backend it was given.
A backend holds only what differs: how to connect, how a transaction begins and ends, and the
spelling of a few things. The portable subset (new SQL, e.g. ``ledger.py``, must keep to it):

- ``?`` placeholders, values always as parameters (no literal ``?`` in SQL text; ``%`` is
  fine); ``INSERT … ON CONFLICT (…) DO NOTHING / DO UPDATE SET c = excluded.c``;
  ``RETURNING``; no ``INSERT OR …``, no ``lastrowid``;
- types ``TEXT``, ``INTEGER`` (0/1 for booleans), ``BIGINT`` for cents, seqs and versions;
  instants as ISO text; ``INTEGER PRIMARY KEY AUTOINCREMENT`` for an id the database numbers
  itself (an identity column on PostgreSQL; read it back with ``RETURNING``);
- text compared and sorted as bytes: make the PostgreSQL database with ``--locale=C``
  (``C.UTF-8``) to sort exactly as SQLite does.

Transactions are the same on both: **one writer at a time**, readers on a snapshot.

- SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock up front; readers ``BEGIN`` on
  one WAL snapshot.
- PostgreSQL: a write transaction is ``READ COMMITTED`` and first takes one transaction-level
  advisory lock (``WRITER_LOCK``), so writers run one after the other, each seeing everything
  committed before it, exactly as on SQLite. Nothing written for SQLite's semantics (read a
  balance, then debit it) can then lose an update or apply an entry twice, there is no
  serialization failure to retry and no deadlock between writers. Read transactions are
  ``REPEATABLE READ READ ONLY``: one snapshot, never blocked, never blocking. The pull cursor
  rests on this order (see storage.py). A write's own time is short (a push of 500 entries is
  a few milliseconds); what a server can do per second is bounded by its commits, as on SQLite.

Connections: SQLite opens one per transaction (cheap, and safe across the server's threads);
PostgreSQL takes them from a ``psycopg_pool`` pool (autocommit, explicit ``BEGIN``/``COMMIT``),
opened at first use and closed by ``close()``. A pooled connection found dead (the database
restarted) is replaced before the transaction starts, so a restart costs no request.
"""
from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from sync.server.private_files import create_private, make_database_private

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

# Any constant shared by every Comptoir server on the database; "COMP" in ASCII.
WRITER_LOCK = 0x434F4D50
POOL_SIZE = 16          # connections at most, per server process; a write holds one briefly
URL_PREFIXES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    """What the platform reads of a cursor, the same on both backends (``sqlite3.Cursor``,
    ``psycopg.Cursor``): rows come as tuples, typed ``Any`` as the drivers type them."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """The connection a transaction gives (``sqlite3.Connection`` or ``psycopg.Connection``),
    as far as the portable code uses it: ``execute(sql, params)`` returning a ``Cursor``."""

    def execute(self, sql: str, params: Any = ..., /) -> Cursor: ...


def is_url(db: str | Path) -> bool:
    return str(db).startswith(URL_PREFIXES)


def open_database(db: str | Path) -> SQLite | PostgreSQL:
    """The backend for ``db``: a ``postgresql://`` URL, else a SQLite file path."""
    return PostgreSQL(str(db)) if is_url(db) else SQLite(Path(db))


class SQLite:
    """A SQLite file: WAL, ``synchronous=FULL``, foreign keys on."""

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        self.errors = (sqlite3.DatabaseError,)      # "this is no central database"
        self.unreachable = ()                        # a file is always there or not
        # This process's writers queue here, blocked, rather than in SQLite's busy handler,
        # which polls with sleeps and lets a writer starve past its timeout when dozens wait.
        self._writers = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def make_private(self) -> None:
        """At every open: the file, its WAL and SHM owner-only (``private_files``)."""
        make_database_private(self.path)

    def prepare(self) -> None:
        """Before the schema of a new database: the file made owner-only before SQLite
        writes a byte of it, then WAL (persistent: set once, outside a txn)."""
        if not self.path.exists():
            create_private(self.path)
        conn = self._connect()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()

    def sql(self, text: str) -> str:
        return text

    def executemany(self, conn: Connection, sql: str, rows: list) -> None:
        # ``conn`` is one of this backend's own (``transaction``): a sqlite3 connection.
        cast(sqlite3.Connection, conn).executemany(sql, rows)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction on a fresh connection: ``BEGIN IMMEDIATE`` takes the write lock up
        front (no deadlock on upgrade); a plain ``BEGIN`` gives reads one WAL snapshot."""
        with self._writers if write else nullcontext():
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()

    def close(self) -> None:
        pass

    # The schema migrations (``sync.server.migrations``) run through SQLAlchemy/Alembic.
    TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"

    def migration_engine(self):
        """A SQLAlchemy engine for the schema migrations, no pool: each of its transactions
        is one ``BEGIN IMMEDIATE`` (the write lock, held from the first read of the schema's
        revision to the commit), on a connection that waits a minute for a busy database."""
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA synchronous=FULL")
            return conn
        engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
        # pysqlite on its own would begin no transaction before DDL; SQLAlchemy's recipe.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine


_AUTOINCREMENT = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.IGNORECASE)


def postgres_ddl(text: str) -> str:
    """Portable SQL in PostgreSQL's words, placeholders aside: what the schema migrations
    (``sync.server.migrations``) run, as they take no parameters.

    >>> postgres_ddl("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)")
    'CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT)'
    """
    return _AUTOINCREMENT.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text)


@functools.lru_cache(maxsize=2048)
def postgres_sql(text: str) -> str:
    """The portable SQL above as psycopg wants it.

    >>> postgres_sql("SELECT id FROM t WHERE name LIKE '%a' AND id = ?")
    "SELECT id FROM t WHERE name LIKE '%%a' AND id = %s"
    >>> postgres_sql("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)")
    'CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT)'
    """
    return postgres_ddl(text.replace("%", "%%").replace("?", "%s"))


def safe_label(url: str) -> str:
    """The URL without its password, for messages and logs.

    >>> safe_label("postgresql://comptoir:s3cret@db.example:5433/central?sslmode=require")
    'postgresql://comptoir@db.example:5433/central'
    """
    from psycopg.conninfo import conninfo_to_dict
    try:
        parts = conninfo_to_dict(url)
    except Exception:       # noqa: BLE001 -- an unreadable URL: say so without quoting it
        return "postgresql://(unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgreSQL:
    """A PostgreSQL database (psycopg 3), through a pool of autocommit connections."""

    BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"
    BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, url: str, pool_size: int = POOL_SIZE):
        import psycopg
        self._psycopg = psycopg
        self.url, self.pool_size = url, pool_size
        self.path = None
        self.label = safe_label(url)
        self.errors = (psycopg.Error,)
        self.unreachable = (psycopg.OperationalError,)
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool
                # The first connection now, so that a wrong URL or a stopped server is said
                # at once (not after the pool's 30 s of retrying), and before the pool
                # exists: a failed open leaves nothing to close.
                self._psycopg.connect(self.url, connect_timeout=10).close()
                pool = ConnectionPool(self.url, min_size=1, max_size=self.pool_size,
                                      kwargs={"autocommit": True}, open=False,
                                      timeout=30, name="comptoir-central")
                pool.open()
                self._pool = pool
            return self._pool

    def exists(self) -> bool:
        """The database answers and holds a central schema."""
        with self.transaction(write=False) as conn:
            row = conn.execute("SELECT to_regclass('central_meta') IS NOT NULL").fetchone()
            return row is not None and row[0]      # one row, always

    def prepare(self) -> None:
        pass

    def make_private(self) -> None:
        pass        # the database server's files are its own (PGDATA is 0700)

    def sql(self, text: str) -> str:
        return postgres_sql(text)

    def executemany(self, conn: Connection, sql: str, rows: list) -> None:
        # ``conn`` is one of this backend's own (``transaction``): a psycopg connection.
        with cast("psycopg.Connection[Any]", conn).cursor() as cursor:   # pipelined: one round trip
            cursor.executemany(sql, rows)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[psycopg.Connection[Any]]:
        pool = self._get_pool()
        begin = self.BEGIN_WRITE if write else self.BEGIN_READ
        for _ in range(self.pool_size + 1):
            conn = pool.getconn()
            try:
                conn.execute(begin)
                break
            except BaseException:
                pool.putconn(conn)      # a dead connection is dropped by the pool
                if not conn.broken:
                    raise
        else:
            raise self._psycopg.OperationalError(f"{self.label}: no working connection")
        try:
            if write:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if not conn.broken:
                try:
                    conn.execute("ROLLBACK")
                except self._psycopg.Error:
                    pass        # the pool checks the connection when it comes back
            raise
        finally:
            pool.putconn(conn)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"

    def migration_engine(self):
        """A SQLAlchemy engine for the schema migrations, on the same URL (a password still
        comes from ``~/.pgpass`` or ``PGPASSWORD``; SQLAlchemy never sees the URL, so it never
        shows it), no pool: each connection is closed when given back. ``READ COMMITTED``
        whatever the database's default, as the writers here: the statements after the
        advisory lock see what the previous holder committed."""
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool
        return create_engine("postgresql+psycopg://", poolclass=NullPool,
                             isolation_level="READ COMMITTED",
                             creator=lambda: self._psycopg.connect(self.url, connect_timeout=10))
