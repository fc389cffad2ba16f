"""The last backup of this terminal's store, as recorded in it (``kiosk.backup`` writes it;
the terminal's health report sends it to the platform)."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sync.common.clock import iso_utc

if TYPE_CHECKING:
    from kiosk.store import Store

LAST = "last_backup"          # meta: the last backup written (JSON)
LAST_ATTEMPT = "last_backup_attempt"   # meta: the last attempt, written or not (JSON)


def record(conn: sqlite3.Connection, at: datetime, file: Path | None, seq: int,
           folders: dict[str, str]) -> None:
    """In the caller's transaction: the attempt, and the backup if one was written."""
    attempt = {"at": iso_utc(at), "file": str(file) if file else None, "seq": seq,
               "folders": folders}
    rows = [(LAST_ATTEMPT, json.dumps(attempt))]
    if file is not None:
        rows.append((LAST, json.dumps(attempt)))
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", rows)


def last_backup(store: Store) -> dict | None:
    """The last backup written: ``{"at": UTC ISO time, "file": path, "seq": last journal
    entry in it, "folders": {folder: status}, "last_attempt": the same for the last try}``
    (a status is written, absent, not_writable, same_disk, disk_full or failed); None when
    no backup was ever written."""
    last, attempt = store.meta(LAST), store.meta(LAST_ATTEMPT)
    if last is None:
        return None
    found = json.loads(last)
    found["last_attempt"] = json.loads(attempt) if attempt else None
    return found
