"""The pull cursor's epoch, read from the data itself: it changes only when the platform's
data really went back (a restore from an older copy), never because the server restarted.

Every write that takes change versions (``Database.next_versions``) records a **mark**, a
random 8-hex value, at the first version it took (table ``version_marks``). The epoch of a
version ``v`` is the mark of the write that took it: the newest mark at or below ``v``
(``NO_MARK`` when there is none, e.g. a database upgraded from before the marks). A cursor
``v2:<epoch>:<v>`` is honoured only while the database still gives ``v`` that epoch:

- a restart, a second server process or a new app on the same database read the same
  marks: the next pull is incremental;
- a database restored from an older copy holds the marks up to its own last version ``c``
  only. A cursor at ``v <= c`` comes from the history the copy shares, and stays good. One at
  ``v > c`` is either "from the future" (nothing written since the restore) or, once writes
  have handed ``v`` out again, finds a new random mark there: ``cursor_expired``, and the
  terminal pulls from scratch. It can never skip a change whose version it has already seen.

A mark costs one small row per write transaction (push, top-up, roster...); ``prune``
(at each ``comptoir central serve`` start) drops those older than ``KEEP``. A cursor whose
mark is gone reads ``NO_MARK`` there, which no mark equals: its terminal pulls from scratch,
as it would have after any restart before the marks. Pruning never makes a cursor match.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sync.common.clock import iso_utc

NO_MARK = "00000000"        # the epoch of versions no mark covers
KEEP = timedelta(days=400)  # a terminal silent for longer pulls the school from scratch


def record(db: Any, conn: Any, first_version: int) -> None:
    """Mark the versions a write takes from ``first_version`` on (in its transaction)."""
    db.execute(conn, "INSERT INTO version_marks (first_version, mark, made_at) VALUES (?, ?, ?)",
               (first_version, secrets.token_hex(4), db.stamp()))


def of(db: Any, conn: Any, version: int) -> str:
    """The epoch of ``version``: the mark of the write that took it."""
    row = db.execute(conn, "SELECT mark FROM version_marks WHERE first_version <= ?"
                           " ORDER BY first_version DESC LIMIT 1", (version,)).fetchone()
    return row[0] if row else NO_MARK


def prune(db: Any, keep: timedelta = KEEP) -> int:
    """Drop the marks made more than ``keep`` ago; returns how many."""
    with db.transaction() as conn:
        return db.execute(conn, "DELETE FROM version_marks WHERE made_at < ?",
                          (iso_utc(db.now() - keep),)).rowcount
