"""The platform's copy of a terminal's chain, given back to it, and the forks it tells.

* ``entries``: a terminal reads back its own entries after a seq (``GET /api/v1/journal``),
  exactly as it pushed them. A terminal put back from an older backup gets the entries it
  had made since that backup this way, checks every link from its own last entry and
  continues the chain (``kiosk.recovery``): it never sells on a fork of its own chain.
* ``record_fork``/``forks``: an entry a terminal sold while its journal was out of date (put
  back from a backup while cut off from the platform) arrives again at the end of its chain,
  with the original's seq, hash and uuid in ``fork``. It is applied as any entry, exactly
  once (in the push's transaction, idempotent on ``(device, seq)``), and recorded in
  ``chain_forks`` for the office: ``comptoir central forks`` lists them.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sync.common.clock import local_time
from sync.server.database import Connection, Database
from sync.server.devices import Device

FORK_KEY = "fork"       # in an entry's body: {"seq", "hash", "uuid"} of the entry sold again


def entries(db: Database, device: Device, after: int, limit: int) -> dict:
    """The ``JournalPage`` fields: the device's own entries after ``after``, in seq order."""
    with db.transaction(write=False) as conn:
        hw, last = db.execute(conn, "SELECT high_water, last_hash FROM devices WHERE id = ?",
                              (device.id,)).fetchone()
        rows = db.execute(conn, "SELECT seq, body, prev_hash, hash FROM journal"
                                " WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                          (device.id, after, limit)).fetchall()
    found = [{"seq": r[0], "body": r[1], "prev_hash": r[2], "hash": r[3]} for r in rows]
    more = bool(found) and found[-1]["seq"] < hw
    return {"entries": found, "high_water": hw, "last_hash": last, "has_more": more}


def record_fork(db: Database, conn: Connection, device: Device, seq: int, data: dict, now: str) -> None:
    """In the push's transaction: entry ``seq`` is one sold on a fork, sold again."""
    fork = data.get(FORK_KEY)
    if not isinstance(fork, dict):
        return
    db.execute(conn, "INSERT INTO chain_forks (device_id, seq, forked_seq, forked_hash,"
                     " forked_uuid, kind, student_id, amount_cents, received_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
               (device.id, seq, fork["seq"] if type(fork.get("seq")) is int else 0,
                str(fork.get("hash", "")), str(fork.get("uuid", "")), data["kind"],
                data.get("student"),
                data["amount_cents"], now))


def forks(db: Database, school_id: str) -> list[dict]:
    """The school's entries sold on a fork and sold again, newest first, with the terminal's
    name: what the office looks at."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT d.name, f.device_id, f.seq, f.forked_seq, f.forked_hash,"
                                " f.kind, f.student_id, f.amount_cents, f.received_at, j.ts"
                                " FROM chain_forks f JOIN devices d ON d.id = f.device_id"
                                " JOIN journal j ON j.device_id = f.device_id AND j.seq = f.seq"
                                " WHERE d.school_id = ? ORDER BY f.received_at DESC, f.seq DESC",
                          (school_id,)).fetchall()
    keys = ("device_name", "device_id", "seq", "forked_seq", "forked_hash", "kind",
            "student_id", "amount_cents", "received_at", "ts")
    return [dict(zip(keys, r)) for r in rows]


def forks_table(found: list[dict], tz: ZoneInfo) -> str:
    """``comptoir central forks``: the entries sold on a fork, as a table (the school's
    local times); what each means and what to do, in one line above it."""
    from sync.server.cli_text import _, columns, cut, money, pgettext, when
    if not found:
        return _("No entry sold on a fork: every terminal's journal followed on from the"
                 " platform's.")
    head = (pgettext("column", "Terminal"), pgettext("column", "No."),
            pgettext("column", "Original no."), pgettext("column", "Date"),
            pgettext("column", "Operation"), pgettext("column", "Student"),
            pgettext("column", "Amount"), pgettext("column", "Received"))
    lines = [_("Entries a terminal sold while its journal was out of date (put back from an"
               " older copy while offline). Each was applied once, at a new number: check"
               " it with the student's wallet history.")]
    lines += columns(head, [
        (cut(f["device_name"]), str(f["seq"]), str(f["forked_seq"]),
         when(local_time(f["ts"], tz)), f["kind"], f["student_id"] or "-",
         money(f["amount_cents"]), when(local_time(f["received_at"], tz))) for f in found],
        right=1)
    return "\n".join(lines)
