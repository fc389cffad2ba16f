"""How far the sync agent's current pull has got, as the store keeps it: what the status
screens show (``comptoir status``, the touch app's status bar) while a long pull runs, and
after a cut until the next contact finishes it.

Written by the agent (``sync.pull_cursor``, which imports this module, never the other way)
in ``sync_state`` under ``KEY``, in the same transaction as each page it applies; emptied
when the pull completes. ``full``: the pull started from scratch, so until it completes the
terminal holds only part of the school (the data's age, ``last_pull_at``, is then still the
last completed pull's).

>>> p = Progress(records=1200, bytes=345_000, full=True)
>>> read(encode(p)) == p, read(""), read("garbage")
(True, None, None)
>>> size_text(345_000, "en"), size_text(2_500_000, "en"), size_text(800, "fr")
('337 kB', '2.4 MB', '1 ko')
"""
from __future__ import annotations

import json
import sqlite3
from typing import NamedTuple

from sync.common.i18n import coded, translator

KEY = "pull_progress"


class Progress(NamedTuple):
    records: int        # records received so far in this pull
    bytes: int          # bytes received so far (the answers' size on the wire)
    full: bool          # a pull from scratch: the terminal has part of the school only

    def plus(self, records: int, size: int) -> Progress:
        return Progress(self.records + records, self.bytes + size, self.full)


def encode(progress: Progress) -> str:
    return json.dumps(progress._asdict())


def read(value: str | None) -> Progress | None:
    """The progress a ``sync_state`` value holds; None when no pull is unfinished."""
    if not value:
        return None
    try:
        data = json.loads(value)
        return Progress(int(data["records"]), int(data["bytes"]), bool(data["full"]))
    except (ValueError, TypeError, KeyError):
        return None


def current(conn: sqlite3.Connection) -> Progress | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (KEY,)).fetchone()
    return read(row[0] if row else None)


def size_text(size: int, lang: str) -> str:
    """A size for people in ``lang``: kB up to a megabyte, MB beyond (1024-based)."""
    words = translator(lang)
    if size < 1 << 20:
        return words.pgettext("size_kb", coded("size_kb", "{size} kB")).format(
            size=max(1, round(size / 1024)))
    return words.pgettext("size_mb", coded("size_mb", "{size} MB")).format(
        size=f"{size / (1 << 20):.1f}")
