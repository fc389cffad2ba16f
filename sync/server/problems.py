"""What the office must look at: ``comptoir central problems`` and ``GET /api/v1/admin/problems``.

Each problem has a ``kind``, what it is about (terminal, seq, wallet), since when, a sentence
of detail, what it means and how to resolve it (``KINDS``, translated by the catalogues).

The list is made of SOURCES, each a function ``(db, conn, school_id, now) -> [Problem]``:
another kind of problem is a function appended to ``SOURCES`` and a line in ``KINDS`` (e.g.
the sales a restored terminal made on a fork, from their own table).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.common.clock import iso_utc
from sync.server import nightly
from sync.server.database import Connection, Database
from sync.server.errors import Phrase
from sync.server.schools import setting_values
from sync.server.verify import describe

# kind -> (what it means, how to resolve it)
KINDS: dict[str, tuple[Phrase, Phrase]] = {
    "conflict": (
        Phrase("A terminal sent an entry whose number the platform already holds with other"
               " content: it was refused (409) and kept as evidence, never applied. The"
               " terminal's journal and the platform's disagree from that entry on."),
        Phrase("Do not sell on that terminal until its chain is checked (comptoir check on the"
               " terminal). If it was restored from a backup, follow the restore procedure of"
               " the README; otherwise compare the two entries and contact support.")),
    "verification": (
        Phrase("The platform's verification found its stored journal or a wallet balance"
               " different from what the entries and movements say: the database was changed"
               " outside the application, or damaged. Nothing was repaired."),
        Phrase("Find out who or what changed the database (restores, manual edits). Restore"
               " the database from a backup taken before the change, or re-enter the missing"
               " entries from the terminals, then run comptoir central verify again.")),
    "verification_unfinished": (
        Phrase("A nightly verification started but did not finish (the server stopped during"
               " it, or it failed: see the server's log)."),
        Phrase("Run comptoir central verify; if it fails again, read the server's log.")),
    "silent": (
        Phrase("A terminal has not contacted the platform for longer than the school allows:"
               " its sales are not here yet and it does not receive top-ups, reservations or"
               " blocked badges."),
        Phrase("Check that the terminal is on and connected (comptoir sync --status on it);"
               " if it was replaced, revoke it (comptoir central revoke).")),
    "fork": (
        Phrase("A terminal put back from an older copy while offline sold on a fork of its"
               " journal: this entry reached the platform once, at a new number, and was"
               " applied (kiosk.recovery)."),
        Phrase("Check the student's wallet history for this sale (comptoir central forks lists"
               " them all); refund it if it should not have been made, then find out why the"
               " terminal was put back from an old copy.")),
}


@dataclass(frozen=True)
class Problem:
    kind: str
    since: str                      # ISO 8601 UTC
    detail: Phrase
    device_id: str | None = None
    device_name: str | None = None
    seq: int | None = None
    wallet_id: str | None = None

    def as_dict(self, say: Callable[[Phrase], str] = str) -> dict:
        meaning, resolution = KINDS[self.kind]
        return {"kind": self.kind, "since": self.since, "device_id": self.device_id,
                "device_name": self.device_name, "seq": self.seq, "wallet_id": self.wallet_id,
                "detail": say(self.detail), "meaning": say(meaning),
                "resolution": say(resolution)}


Source = Callable[[Database, Connection, str, datetime], list[Problem]]


def conflicts(db: Database, conn: Connection, school_id: str, now: datetime) -> list[Problem]:
    rows = db.execute(conn, "SELECT c.device_id, d.name, c.seq, MIN(c.received_at) FROM conflicts c"
                            " JOIN devices d ON d.id = c.device_id WHERE d.school_id = ?"
                            " GROUP BY c.device_id, d.name, c.seq ORDER BY 4",
                      (school_id,)).fetchall()
    return [Problem("conflict", at, Phrase("terminal {device}: entry {seq} refused, it differs"
                                           " from the one received", device=name, seq=seq),
                    device, name, seq) for device, name, seq, at in rows]


def failed_verification(db: Database, conn: Connection, school_id: str,
                        now: datetime) -> list[Problem]:
    """The findings of the school's last finished verification (none once one is clean), and
    a nightly run started over an hour ago that never finished (until a later one does)."""
    found = []
    row = db.execute(conn, "SELECT finished_at, findings FROM verifications WHERE school_id = ?"
                           " AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
                     (school_id,)).fetchone()
    if row and row[1]:
        for f in json.loads(row[1]):
            found.append(Problem("verification", row[0], describe(f), f.get("device_id"),
                                 None, f.get("seq"), f.get("wallet_id")))
    stuck = db.execute(conn, "SELECT started_at FROM verifications WHERE school_id = ?"
                             " AND finished_at IS NULL AND started_at < ? AND id > COALESCE(("
                             "SELECT MAX(id) FROM verifications WHERE school_id = ?"
                             " AND finished_at IS NOT NULL), 0) ORDER BY id DESC LIMIT 1",
                       (school_id, iso_utc(now - timedelta(hours=1)), school_id)).fetchone()
    if stuck:
        found.append(Problem("verification_unfinished", stuck[0],
                             Phrase("verification started at {when}", when=stuck[0])))
    return found


def silent_terminals(db: Database, conn: Connection, school_id: str,
                     now: datetime) -> list[Problem]:
    hours = nightly.silence_hours(setting_values(db, school_id, conn))
    limit = iso_utc(now - timedelta(hours=hours))
    rows = db.execute(conn, "SELECT id, name, COALESCE(last_seen_at, enrolled_at) FROM devices"
                            " WHERE school_id = ? AND revoked_at IS NULL"
                            " AND COALESCE(last_seen_at, enrolled_at) < ? ORDER BY 3",
                      (school_id, limit)).fetchall()
    return [Problem("silent", seen, Phrase("terminal {device}: no contact since {when} (more"
                                           " than {hours} h)", device=name, when=seen,
                                           hours=hours), device, name)
            for device, name, seen in rows]


def forked_sales(db: Database, conn: Connection, school_id: str, now: datetime) -> list[Problem]:
    rows = db.execute(conn, "SELECT f.device_id, d.name, f.seq, f.forked_seq, f.received_at"
                            " FROM chain_forks f JOIN devices d ON d.id = f.device_id"
                            " WHERE d.school_id = ? ORDER BY f.received_at, f.seq",
                      (school_id,)).fetchall()
    return [Problem("fork", at, Phrase("terminal {device}: entry {seq} sold on a fork (its"
                                       " number there: {forked})", device=name, seq=seq,
                                       forked=forked), device, name, seq)
            for device, name, seq, forked, at in rows]


SOURCES: list[Source] = [conflicts, failed_verification, silent_terminals, forked_sales]


def problems(db: Database, school_id: str, now: datetime | None = None) -> list[Problem]:
    """Every problem of the school, from every source, oldest first."""
    now = now or db.now()
    with db.transaction(write=False) as conn:
        found = [p for source in SOURCES for p in source(db, conn, school_id, now)]
    return sorted(found, key=lambda p: p.since)
