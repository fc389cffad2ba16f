"""A lost badge, blocked everywhere: blocking and unblocking are journal entries.

A supervisor blocks a badge (lost, stolen) or unblocks it at a terminal: the badge's status
changes in the store and a ``badge_block`` / ``badge_unblock`` entry (no money, the badge's
UID in ``badge``) is chained in the same transaction. The sync agent pushes it with the rest
of the journal; the platform applies it (``sync.server.badges``) and every terminal's next
pull carries the badge's new status.

Until the platform has acknowledged this terminal's entry (its high-water mark covers it),
the terminal's own decision wins over anything pulled: ``reapply_pending`` runs after every
pull page and import, in the same transaction, so that neither an incremental pull nor a
full resync can bring a badge blocked here back to life. Once acknowledged, the platform's
status is the truth (it may hold a later decision, made elsewhere).
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import NamedTuple

from kiosk import holders, journal
from kiosk.clock_guard import ClockGuard
from kiosk.operators import Session
from kiosk.store import Store
from sync.common.chain import BADGE_KINDS
from sync.common.clock import BusinessDay, iso_utc
from sync.common.errors import Refusal
from sync.common.uids import normalise_uid

PENDING_SQL = ("SELECT body FROM journal WHERE seq > ? AND kind IN ('badge_block', 'badge_unblock')"
               " ORDER BY seq")


class BadgeChange(NamedTuple):
    entry: journal.Entry
    uid: str
    status: str             # "blocked" or "active"
    student_id: str
    name: str               # the student's, as the counter shows it


def set_status(store: Store, session: Session, uid: str, block: bool, now: datetime,
               day: BusinessDay, guard: ClockGuard | None = None) -> BadgeChange:
    """Block (``block``) or unblock a badge known here: journalled, then pushed at the next
    sync. Refused for an unknown badge and for a badge already in that state."""
    session.require("block_badge" if block else "unblock_badge")
    store.health.raise_if_bad()
    uid = normalise_uid(uid)
    kind = "badge_block" if block else "badge_unblock"
    status = BADGE_KINDS[kind]
    with store.write() as conn:
        row = conn.execute("SELECT b.student_id, b.status, s.first_name || ' ' || s.last_name"
                           " FROM badges b LEFT JOIN students s ON s.id = b.student_id"
                           " WHERE b.uid = ?", (uid,)).fetchone()
        if row is None:
            raise Refusal("unknown_badge")
        student_id, current, name = row
        if current == status:
            raise Refusal("badge_already_blocked" if block else "badge_not_blocked")
        state = holders.read_state(conn)
        entry = journal.append(conn, head=state.head, device_id=store.device_id, kind=kind,
                               ts=iso_utc(now), day=day.of(now), operator_id=session.operator_id,
                               student_id=student_id, details={"badge": uid}, guard=guard)
        conn.execute("UPDATE badges SET status = ? WHERE uid = ?", (status, uid))
    return BadgeChange(entry, uid, status, student_id, name or student_id)


def pending(conn: sqlite3.Connection, acknowledged_seq: int) -> dict[str, str]:
    """This terminal's block/unblock decisions the platform has not acknowledged yet (its
    entries after ``acknowledged_seq``): badge UID → the status the last one set."""
    out: dict[str, str] = {}
    for (body,) in conn.execute(PENDING_SQL, (acknowledged_seq,)):
        data = json.loads(body)
        out[data["badge"]] = BADGE_KINDS[data["kind"]]
    return out


def reapply_pending(conn: sqlite3.Connection, acknowledged_seq: int) -> int:
    """After pulled data was written (same transaction): the decisions the platform has not
    acknowledged win over it. Returns how many badges that kept in their local status."""
    kept = 0
    for uid, status in pending(conn, acknowledged_seq).items():
        kept += conn.execute("UPDATE badges SET status = ? WHERE uid = ? AND status != ?",
                             (status, uid, status)).rowcount
    return kept


def acknowledged_seq(conn: sqlite3.Connection) -> int:
    """The last of this terminal's entries the platform is known to hold (the agent's
    ``pushed_seq``); 0 for a terminal that never pushed."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = 'pushed_seq'").fetchone()
    return int(row[0]) if row else 0
