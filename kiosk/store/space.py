"""A full disk is told apart from a damaged store, and does not stop the terminal from reading.

On a completely full disk SQLite says ``SQLITE_FULL`` when a write needs a page, but opening
a WAL store no other process holds open fails earlier, with ``SQLITE_IOERR_SHMSIZE`` (its
shared-memory file cannot be made): a disk I/O error that, unexplained, looks like a damaged
store. Such an error while the store's file system has (almost) no free space left is a full
disk (:func:`is_disk_full`).

A store that cannot be opened for writing because the disk is full is opened read-only
(:func:`connect_read_only`: SQLite's ``immutable`` mode, which needs no shared-memory file),
so that ``comptoir status``, ``balance`` and ``check`` still work; ``kiosk.store.db.Store``
reopens it for writing by itself once space is back.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

# Below this much free space the disk is full: a disk I/O error of SQLite is taken for a full
# disk (a write needs a few 4 KiB pages, the shared-memory file 32 KiB), and the status and the
# touch app's banner say so.
FULL_BYTES = 1 << 20


def free_bytes(folder: Path) -> int | None:
    """The space this process may still write in ``folder``'s file system (None: unknown)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    blocks = st.f_bfree if os.geteuid() == 0 else st.f_bavail    # root may use the reserve
    return blocks * st.f_frsize


def is_disk_full(error: BaseException, folder: Path) -> bool:
    """Whether ``error`` (from SQLite or the OS) means that ``folder``'s disk is full."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    if not isinstance(error, sqlite3.Error):
        return False
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "disk is full" in str(error):
        return True
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk I/O error" in str(error):
        free = free_bytes(folder)
        return free is not None and free < FULL_BYTES
    return False


def is_full(folder: Path) -> bool:
    """Whether ``folder``'s disk has (almost) no space left for this process."""
    free = free_bytes(folder)
    return free is not None and free < FULL_BYTES


def connect_read_only(path: Path, timeout: float) -> sqlite3.Connection | None:
    """A read-only connection that needs no byte of free space, or None when it would not
    see every committed change (a write-ahead log not yet copied into the file)."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?immutable=1", uri=True,
                           isolation_level=None, timeout=timeout, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn
