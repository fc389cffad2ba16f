"""Whether the store's last close was clean, so that a clean start skips SQLite's page check.

``PRAGMA quick_check`` reads every page of the file: 3 s on a store of a million journal
entries on this machine, more on a Pi's SD card. A store closed cleanly has nothing new to
show it; a store whose last user was killed (a crash, a power cut, a kill -9) may. So:

* every process that opens the store for writing records a *session* in it (a ``meta`` row
  ``session:<random id>`` whose value names the process: the machine's boot, its pid and its
  start time) and deletes it when it closes the store, or when it exits normally (a
  ``weakref.finalize``: a CLI command that never closes its store is still a clean exit);
* a session row whose process is gone is a close that did not happen. The next open that
  checks the store (``open_store(check=True)``) then runs ``PRAGMA quick_check`` and deletes
  those rows once the check is done (whatever it found: a failure is recorded in the store
  and keeps blocking sales); without one, it checks only the journal chain from its last
  verified point (milliseconds);
* a store that never had a page check under this scheme (``meta.pages_checked_at`` missing:
  made by an older version, whose last close nobody knows) is checked too.

Safe against a kill at any moment: the row is committed before the open returns and deleted
only when the store is closed, so a process killed at any point in between leaves it behind;
dead rows are read *before* the check starts and deleted only after it has finished, so a
checker killed mid-check leaves them too. The integrity monitor (``kiosk.integrity``) runs
the page check nightly; ``comptoir check`` runs ``PRAGMA integrity_check`` and the whole
chain, always.

A process is its boot (``/proc/sys/kernel/random/boot_id``), pid and start time
(``/proc/<pid>/stat``): a pid reused by another process, or after a reboot, is not the same
process. Without ``/proc`` no session is recorded and every open checks the pages, as before.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
from pathlib import Path

PREFIX = "session:"
CHECKED_AT = "pages_checked_at"      # meta: UTC time of the last PRAGMA quick/integrity_check
END_WAIT_SECONDS = 2.0
UNCLEAN_SEEN = "unclean_seen_at"     # meta: when a checking open last found a dead session


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]      # the name, in brackets, may hold spaces


def identity() -> dict | None:
    """This process, as a session row names it; None where /proc cannot tell."""
    boot, start = _boot_id(), _start_time(os.getpid())
    if boot is None or start is None:
        return None
    return {"boot": boot, "pid": os.getpid(), "start": start}


def _alive(value: str, boot: str | None) -> bool:
    try:
        who = json.loads(value)
        return who["boot"] == boot and _start_time(int(who["pid"])) == who["start"]
    except (ValueError, KeyError, TypeError):
        return False


def dead(conn: sqlite3.Connection) -> list[str]:
    """Keys of the session rows whose process is gone: closes that did not happen."""
    boot = _boot_id()
    rows = conn.execute("SELECT key, value FROM meta WHERE key >= ? AND key < ?",
                        (PREFIX, PREFIX[:-1] + chr(ord(PREFIX[-1]) + 1))).fetchall()
    return [key for key, value in rows if not _alive(value, boot)]


def needs_page_check(conn: sqlite3.Connection) -> bool:
    """True when the last close was not clean (or nobody knows): a dead session, or no page
    check ever recorded; or where sessions cannot be told apart (no /proc)."""
    if identity() is None:
        return True
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (CHECKED_AT,)).fetchone() is None:
        return True
    return bool(dead(conn))


class Session:
    """This process's session row in one store: ``begin`` after opening, ``end`` at close
    (or at the process's normal exit, or when the store is collected)."""

    def __init__(self, lock: threading.RLock):
        self.lock = lock
        self.conn: sqlite3.Connection | None = None
        self.key: str | None = None
        self.pending = False          # begin() failed on a full disk: try again at a write

    def begin(self, conn: sqlite3.Connection) -> bool:
        """Record the session (committed before the store is used). False when it could not
        be recorded: no /proc (every open then checks the pages, as before), or a full disk
        (nothing can be written either; ``Store.write`` records it before the first write)."""
        who = identity()
        self.conn, self.pending = conn, False
        if who is None:
            return False
        key = PREFIX + uuid.uuid4().hex
        try:
            with self.lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(who)))
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except sqlite3.Error:
            with self.lock, contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:          # a COMMIT refused (a full disk)
                    conn.execute("ROLLBACK")
            self.pending = True
            return False
        self.key = key
        return True

    def end(self) -> None:
        """Delete the session row, then close the connection. A kill before the delete is
        committed leaves the row: the next open checks the pages."""
        if not self.lock.acquire(timeout=END_WAIT_SECONDS):
            return                # a thread stuck in a transaction: the row stays, the next open checks
        try:
            conn, key, self.conn, self.key, self.pending = self.conn, self.key, None, None, False
            if conn is None:
                return
            try:
                if key is not None:
                    if conn.in_transaction:       # a write cut short by the exit: not ours
                        conn.execute("ROLLBACK")
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            except sqlite3.Error:
                pass                              # the row stays: the next open checks
            finally:
                conn.close()
        finally:
            self.lock.release()


def forget(conn: sqlite3.Connection, keys: list[str]) -> None:
    """Delete dead session rows once a page check has run (in the caller's transaction)."""
    conn.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in keys])
