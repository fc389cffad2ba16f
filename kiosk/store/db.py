"""Opening the store: pragmas, migrations, and the integrity check that must pass before the
terminal sells anything.

Several processes (touch app, sync daemon, CLI) may have the file open at once. Every write
runs in ``Store.write()`` = ``BEGIN IMMEDIATE`` … ``COMMIT``: SQLite serialises the writers, a
busy store makes a writer wait (``busy_timeout``), never fail or fork the chain.

A full disk is ``StoreError("disk_full")``, never "damaged": a store that cannot be opened for
writing because its disk is full opens read-only (``kiosk.store.space``) and reopens for
writing by itself at the first write once space is back.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from kiosk import anchors, journal
from kiosk.store import sessions, space
from kiosk.store.schema import CURRENT_VERSION, migrate
from sync.common.clock import Clock, SystemClock, iso_utc
from sync.common.errors import StoreError

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 10_000
RECHECK_SECONDS = 5.0          # a journal short of its anchors: checked again this often
REOPEN_SECONDS = 2.0           # a read-only store (full disk) retries for reads this often


@dataclass
class Health:
    """Result of the last integrity check. ``ok`` False means: refuse to sell."""
    ok: bool = True
    code: str | None = None        # store_corrupt | chain_broken
    detail: str | None = None
    bad_seq: int | None = None

    def raise_if_bad(self) -> None:
        if not self.ok:
            raise StoreError(self.code, detail=self.detail, seq=self.bad_seq)


class Store:
    _health: Health

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool = False):
        self.path = path
        self.conn = conn
        self.read_only = read_only       # opened read-only on a full disk (kiosk.store.space)
        self._next_reopen = 0.0
        self._db: sqlite_utils.Database | None = None
        self._recheck_at = 0.0
        self.health = Health()
        self._lock = threading.RLock()   # one connection, possibly used by a monitor thread
        self.pages_checked: str | None = None   # the PRAGMA the last check ran (None: skipped)
        self.clock: Clock = SystemClock()        # the time of a page check (kiosk.integrity)
        self._session = sessions.Session(self._lock)     # kiosk.store.sessions: a clean close?
        self._session.conn = conn
        weakref.finalize(self, self._session.end)
        # open_store refuses a store without one; "" only for a Store made around a bare file.
        self.device_id: str = self.meta("device_id") or ""

    @property
    def health(self) -> Health:
        """The last check's result, and the anchors (``kiosk.anchors``) read again at most every
        ``RECHECK_SECONDS``: a journal short of them blocks sales until another process (the
        sync daemon) has fetched the entries back, and a healthy store learns within seconds
        that the daemon found the platform ahead of its journal (before it sells on a fork)."""
        health = self._health
        if time.monotonic() < self._recheck_at:
            return health
        if not health.ok and health.code in anchors.RECOVERABLE:
            self._recheck_at = time.monotonic() + RECHECK_SECONDS
            health = self.check_integrity(pages=False)
        elif health.ok:
            self._recheck_at = time.monotonic() + RECHECK_SECONDS
            cut = anchors.check(self.conn)          # a few indexed reads
            if cut is not None:
                health = self._health = Health(False, cut.code, cut.detail, cut.seq)
        return health

    @health.setter
    def health(self, value: Health) -> None:
        self._health = value

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils around the connection (the importer's table writes), made at its first
        use: the touch app never needs it, and sqlite-utils (with click, dateutil, pluggy) costs
        some 10 MiB of a kiosk's memory."""
        if self._db is None or self._db.conn is not self.conn:
            import sqlite_utils
            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    # -- transactions -------------------------------------------------------------------
    def write(self) -> _Transaction:
        """``with store.write() as conn``: one atomic, durable write, ``BEGIN IMMEDIATE`` …
        ``COMMIT``, rolled back if the block raises. A full disk is a ``StoreError``."""
        if self.read_only:
            self._reopen(needed=True)
        elif self._session.key is None and self._session.pending:
            self._session.begin(self.conn)       # not recorded at open (a full disk then)
        return _Transaction(self, "BEGIN IMMEDIATE", commit_on_error=False)

    def read(self) -> _Transaction:
        """``with store.read() as conn``: a consistent snapshot for several SELECTs (WAL
        readers never block the writer)."""
        if self.read_only:
            self._reopen(needed=False)
        return _Transaction(self, "BEGIN", commit_on_error=True)

    def _reopen(self, needed: bool) -> None:
        """A store opened read-only on a full disk: open it for writing if space is back (for
        a read, at most every ``REOPEN_SECONDS``). ``needed`` (a write): if it cannot be, say
        why (``disk_full``)."""
        with self._lock:
            if not self.read_only or (not needed and time.monotonic() < self._next_reopen):
                return
            self._next_reopen = time.monotonic() + REOPEN_SECONDS
            try:
                conn = _connect_migrated(self.path)
            except sqlite3.DatabaseError as e:
                if not needed:
                    return
                if space.is_disk_full(e, self.path.parent):
                    raise StoreError("disk_full") from None
                raise StoreError("store_corrupt", detail=str(e)) from None
            old, self.conn, self.read_only = self.conn, conn, False
            old.close()
            self._session.begin(conn)

    # -- small key/value tables ---------------------------------------------------------
    # Reads outside ``read()``/``write()`` still take the lock: on a connection shared by
    # threads, a statement run in the middle of another thread's transaction would see (and
    # might act on) rows that are not committed yet.
    def fetch_all(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple]:
        """The rows of one SELECT. One statement is one consistent snapshot by itself: no
        transaction to open and close around it (``read()`` is for several)."""
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def sync_state(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?",
                                    (key,)).fetchone()
        return row[0] if row else default

    @staticmethod
    def set_kv(conn: sqlite3.Connection, table: str, key: str, value: object) -> None:
        assert table in ("meta", "sync_state")
        conn.execute(f"INSERT INTO {table} (key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, str(value)))

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -- integrity ----------------------------------------------------------------------
    def check_integrity(self, full: bool = False,
                        progress: Callable[[int], object] | None = None,
                        pages: bool | None = True) -> Health:
        """SQLite's own check, then the journal chain: from the last verified point, or
        from the first entry when ``full``. Sets ``self.health``; a bad result blocks sales.
        SQLite's check is ``PRAGMA integrity_check`` when ``full``, else ``quick_check`` if
        ``pages``; ``pages=None`` (at open): only if the last close was not clean
        (``kiosk.store.sessions``).

        A failure is recorded in the store, so that every process (and every restart) refuses
        to sell, even if the damage lies before its own verified point; only a full check
        that passes clears it (after support has repaired or restored the file), except a
        journal short of its anchors (``kiosk.anchors``), which any check that passes clears."""
        with self._lock:
            health = self._run_checks(full, progress, pages)
            try:
                if not health.ok:
                    with self.write() as conn:
                        self.set_kv(conn, "meta", "integrity_failure", json.dumps(
                            {"code": health.code, "detail": health.detail, "seq": health.bad_seq}))
                elif (full or _recoverable(self.meta("integrity_failure"))) \
                        and self.meta("integrity_failure"):
                    with self.write() as conn:
                        conn.execute("DELETE FROM meta WHERE key = 'integrity_failure'")
            except (sqlite3.DatabaseError, StoreError):
                pass    # a store too damaged to record it still reports it here
            recorded = self.meta("integrity_failure") if health.ok else None
            if recorded:
                failure = json.loads(recorded)
                health = Health(False, failure["code"], failure["detail"], failure["seq"])
            self.health = health
            return health

    def _run_checks(self, full: bool, progress: Callable[[int], object] | None,
                    pages: bool | None) -> Health:
        self.pages_checked = None
        try:
            if pages is None:
                pages = sessions.needs_page_check(self.conn)
            if full or pages:
                problems = self._check_pages("integrity_check" if full else "quick_check")
            else:
                problems = ["ok"]
        except sqlite3.DatabaseError as e:
            problems = [str(e)]
        if problems != ["ok"]:
            return Health(False, "store_corrupt", "; ".join(problems[:3]))
        after, prev = 0, journal.GENESIS
        if not full:
            after = int(self.meta("verified_seq") or 0)
            prev = self.meta("verified_hash") or journal.GENESIS
        report = journal.verify(self.conn, after, prev, progress=progress)
        if not report.ok:
            return Health(False, "chain_broken", report.reason, report.bad_seq)
        try:
            cut = anchors.check(self.conn)  # a journal that stops before what the store knew
        except sqlite3.DatabaseError as e:
            return Health(False, "store_corrupt", str(e))
        if cut is not None:
            return Health(False, cut.code, cut.detail, cut.seq)
        if report.checked:
            try:
                with self.write() as conn:
                    # Only move forward: a concurrent checker may have gone further.
                    if report.last_seq > int(self.meta("verified_seq") or 0):
                        self.set_kv(conn, "meta", "verified_seq", report.last_seq)
                        self.set_kv(conn, "meta", "verified_hash", report.last_hash)
            except StoreError as e:
                if e.code != "disk_full":
                    raise
                # the journal is intact: the verified point moves on once there is space
        return Health()

    def _check_pages(self, pragma: str) -> list[str]:
        """SQLite's check of every page; then the sessions that died before it started are
        forgotten, and the time of the check recorded (a failure is recorded by the caller)."""
        dead = sessions.dead(self.conn)
        problems = [r[0] for r in self.conn.execute(f"PRAGMA {pragma}")]
        self.pages_checked = pragma
        if not self.read_only:
            try:
                with self.write() as conn:
                    sessions.forget(conn, dead)
                    self.set_kv(conn, "meta", sessions.CHECKED_AT, iso_utc(self.clock.now()))
            except (sqlite3.DatabaseError, StoreError):
                pass        # not recorded: the next open checks again
        return problems

    def close(self) -> None:
        """Close the connection; the session ends here (a clean close, ``kiosk.store.sessions``)."""
        self._session.end()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """The context manager behind ``Store.write``/``Store.read`` (a class rather than a
    ``contextlib`` generator: it runs twice per sale). The store's lock keeps a thread from
    interleaving its statements with another's transaction on the same connection."""
    __slots__ = ("_store", "_begin", "_commit_on_error")

    def __init__(self, store: Store, begin: str, commit_on_error: bool):
        self._store, self._begin, self._commit_on_error = store, begin, commit_on_error

    def __enter__(self) -> sqlite3.Connection:
        store = self._store
        store._lock.acquire()
        try:
            store.conn.execute(self._begin)
        except BaseException as e:
            store._lock.release()
            raise _translated(e, store.path)    # noqa: B904 -- e itself, or its translation
        return store.conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        conn, path = self._store.conn, self._store.path
        try:
            if exc_type is None or self._commit_on_error:
                try:
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as e:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise _translated(e, path) from None
            elif conn.in_transaction:
                conn.execute("ROLLBACK")
            if exc is not None and _translated(exc, path) is not exc:
                raise _translated(exc, path) from None
            return False
        finally:
            self._store._lock.release()


def _recoverable(recorded: str | None) -> bool:
    """A recorded failure that every check recomputes (``kiosk.anchors``): cleared as soon as
    the journal reaches its anchors again (its entries fetched back from the platform)."""
    try:
        return bool(recorded) and json.loads(recorded or "")["code"] in anchors.RECOVERABLE
    except (ValueError, KeyError, TypeError):
        return False


def _translated(error: BaseException, path: Path) -> BaseException:
    """A full disk (or the size limit reached) becomes a clear error; nothing was kept."""
    if isinstance(error, sqlite3.Error) and space.is_disk_full(error, path.parent):
        return StoreError("disk_full")
    return error


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError("store_corrupt", detail=f"cannot switch to WAL (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")   # a sale reported done survives a power cut
        conn.execute("PRAGMA foreign_keys = OFF")   # platform data may arrive in any order
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_migrated(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def open_store(path: str | os.PathLike, *, create: bool = False, check: bool = True) -> Store:
    """Open (and with ``create``, make) the store, migrate it, and run the integrity check.

    A store that fails the check still opens, with ``store.health.ok`` False, so that
    ``comptoir check`` and ``status`` can say what is wrong; the counter service refuses to
    sell on it."""
    path = Path(path)
    if not path.exists() and not create:
        raise StoreError("store_missing", path=str(path))
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    read_only = False
    try:
        conn = _connect_migrated(path)
    except sqlite3.DatabaseError as e:
        if not space.is_disk_full(e, path.parent):
            raise StoreError("store_corrupt", detail=str(e)) from None
        ro = None if create else space.connect_read_only(path, BUSY_TIMEOUT_MS / 1000)
        if ro is None or ro.execute("PRAGMA user_version").fetchone()[0] != CURRENT_VERSION:
            raise StoreError("disk_full") from None
        conn, read_only = ro, True
    if create:
        with _txn(conn):
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?)",
                         (str(uuid.uuid4()),))
    elif conn.execute("SELECT 1 FROM meta WHERE key = 'device_id'").fetchone() is None:
        raise StoreError("store_corrupt", detail="no device id (was it made by comptoir init?)")
    store = Store(path, conn, read_only)
    if not read_only:
        store._session.begin(conn)       # before the check: a kill from here on is unclean
    if check:
        if not read_only and sessions.dead(conn):   # the touch app's start says "crash"
            with contextlib.suppress(sqlite3.Error, StoreError), store.write() as w:
                store.set_kv(w, "meta", sessions.UNCLEAN_SEEN, iso_utc(store.clock.now()))
        store.check_integrity(pages=None)
    return store


@contextlib.contextmanager
def _txn(conn):
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


__all__ = ["Store", "open_store", "Health", "CURRENT_VERSION"]
