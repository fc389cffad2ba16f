"""A badge blocked (lost, stolen) or unblocked, by a terminal or by the office: one function,
``decide``, applies every such decision, in the caller's transaction.

Where decisions come from: a terminal's ``badge_block`` / ``badge_unblock`` journal entry,
applied by the push that brings it (``sync.server.push``), and the office
(``set_status``: ``comptoir central badge block|unblock``, later the back office pages).

**Order.** Decisions are applied in the order they were *made*, not the order they reach the
platform: the badge keeps the time of the decision that set its status (``status_at``), and
a decision made before that time changes nothing. A terminal's decision is dated by the
terminal's clock (the entry's ``ts``), but never later than the moment the platform receives
it (a terminal whose clock runs ahead cannot outlast the office's next decision); the office's
by the platform's clock. Two decisions with the same time: the one received last wins. So a
block made offline at 10:00 and pushed at noon does not undo an unblock the office made at
11:00, and an unblock made offline does not undo a later block.

Whatever a decision does, the badge row gets a new change version: every terminal's next pull
carries its status, the terminal that sent an overtaken decision included (it showed its own
decision until then, see ``kiosk.badges``).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import NamedTuple

from sync.common.chain import BADGE_KINDS
from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.errors import Refusal
from sync.common.uids import normalise_uid
from sync.server.database import Connection, Database
from sync.server.devices import Device
from sync.server.errors import CentralError, Phrase

log = logging.getLogger("comptoir.central")
OFFICE = "office"


class Decision(NamedTuple):
    uid: str
    student_id: str
    status: str         # the badge's status after the decision: "active" or "blocked"
    applied: bool       # False: a later decision had already been made (it stands)
    changed: bool       # the status is not what it was before


def decide(db: Database, conn: Connection, school_id: str, uid: str, status: str,
           at: datetime, by: str) -> Decision | None:
    """Apply one decision (``status``: "blocked" or "active", made at ``at`` by ``by``) to a
    badge of the school, in the caller's write transaction. None: no such badge here."""
    row = db.execute(conn, "SELECT student_id, status, status_at FROM badges"
                           " WHERE school_id = ? AND uid = ?", (school_id, uid)).fetchone()
    if row is None:
        return None
    student_id, before, before_at = row
    applied = before_at is None or at >= parse_iso_utc(before_at)
    version = db.next_versions(conn, 1)
    if applied:
        db.execute(conn, "UPDATE badges SET status = ?, status_at = ?, status_by = ?, version = ?"
                         " WHERE school_id = ? AND uid = ?",
                   (status, iso_utc(at), by, version, school_id, uid))
    else:
        db.execute(conn, "UPDATE badges SET version = ? WHERE school_id = ? AND uid = ?",
                   (version, school_id, uid))
    after = status if applied else before
    return Decision(uid, student_id, after, applied, after != before)


def apply_entry(db: Database, conn: Connection, device: Device, data: dict,
                received: datetime) -> Decision | None:
    """A terminal's ``badge_block`` / ``badge_unblock`` entry (checked by ``check_entry``),
    in the push's transaction. An entry naming a badge the school does not have is kept in
    the journal and changes nothing."""
    at = min(parse_iso_utc(data["ts"]), received)
    decision = decide(db, conn, device.school_id, data["badge"], BADGE_KINDS[data["kind"]], at,
                      f"device:{device.id}:{data['seq']}")
    if decision is None:
        log.warning("push device %s: entry %d names a badge unknown in its school (kept,"
                    " not applied)", device.id, data["seq"])
    elif not decision.applied:
        log.info("push device %s: entry %d is older than the badge's last decision (kept,"
                 " not applied)", device.id, data["seq"])
    return decision


def check_entry(data: dict) -> Phrase | None:
    """What is wrong with a badge entry's body (None: nothing): the badge's UID as the
    terminal normalises it, a readable time, no money."""
    uid = data.get("badge")
    try:
        if not isinstance(uid, str) or normalise_uid(uid) != uid:
            return Phrase("badge is not a normalised badge UID")
    except Refusal:
        return Phrase("badge is not a normalised badge UID")
    try:
        parse_iso_utc(data["ts"])
    except ValueError:
        return Phrase("ts is not a time with its time zone")
    if data.get("amount_cents") != 0 or data.get("postings"):
        return Phrase("a badge entry moves no money")
    return None


def set_status(db: Database, school_id: str, uid: str, block: bool) -> Decision:
    """The office blocks or unblocks a badge of its school, now: the same ``decide`` as a
    terminal's entry, in its own transaction."""
    try:
        uid = normalise_uid(uid)
    except Refusal:
        raise CentralError("invalid", "not a badge UID (4 to 10 bytes in hexadecimal):"
                                      " {uid}", uid=repr(uid)) from None
    with db.transaction() as conn:
        decision = decide(db, conn, school_id, uid, "blocked" if block else "active", db.now(),
                          OFFICE)
    if decision is None:
        raise CentralError("not_found", "no badge {uid} in this school", uid=uid)
    return decision
