"""Push: a terminal's journal entries applied exactly once, each in one transaction with
the wallet balances it moves.

Idempotent on ``(device, seq)``: an entry already applied with the same hash is skipped (a
retry after a lost answer); the same seq with another hash is a ``conflict``, recorded as
evidence and never applied. The chain is checked link by link (``prev_hash``, ``hash``) and
every body the way the terminal's own chain check reads it (``parse_body``).
"""
from __future__ import annotations

import json
import logging

from sync.common.chain import BADGE_KINDS, KINDS, chain_hash, is_canonical
from sync.protocol import PushedEntry
from sync.server import badges, cash_topups, chain_copy, ledger
from sync.server.database import Connection, Database
from sync.server.devices import Device
from sync.server.errors import CentralError, Phrase

log = logging.getLogger("comptoir.central")


class Conflict(Exception):
    """An entry whose seq the platform holds with another hash (rolls the push back)."""

    def __init__(self, entry: PushedEntry):
        self.entry = entry


def push(db: Database, device: Device, entries: list[PushedEntry]) -> dict:
    """Apply a terminal's entries exactly once, in one transaction: all or nothing.
    Returns the PushResponse fields."""
    try:
        with db.transaction() as conn:
            result = _apply(db, conn, device, entries)
    except Conflict as c:
        # The request is rolled back, but the conflicting entry is evidence: keep it.
        with db.transaction() as conn:
            db.execute(conn, "INSERT INTO conflicts (device_id, seq, hash, body, received_at)"
                             " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (device.id, c.entry.seq, c.entry.hash, c.entry.body, db.stamp()))
        log.warning("conflict: device %s sent seq %d with another hash", device.id,
                    c.entry.seq)
        raise CentralError("conflict", "entry {seq} differs from the one already received"
                           " (recorded, not applied)", seq=c.entry.seq) from None
    if result["applied"]:
        log.info("push device %s: %d applied, high water %d", device.id,
                 result["applied"], result["high_water"])
    return result


def _apply(db: Database, conn: Connection, device: Device, entries: list[PushedEntry]) -> dict:
    hw, last = db.execute(conn, "SELECT high_water, last_hash FROM devices WHERE id = ?",
                          (device.id,)).fetchone()
    for i, e in enumerate(entries):
        if e.seq != entries[0].seq + i:
            raise CentralError("invalid", "entries must have contiguous increasing seq",
                               seq=e.seq)
    now, applied = db.stamp(), 0
    deltas: dict[str, int] = {}         # wallet -> cents, all entries together
    wallets_ok: set[str] = set()        # wallets known to be the school's
    if len(entries) > 20:       # a terminal catching up names many wallets: one query
        wallets_ok = {r[0] for r in db.execute(conn, "SELECT id FROM wallets"
                                                     " WHERE school_id = ?", (device.school_id,))}
    journal, postings = [], []      # the new rows, written together at the end
    forked: list[tuple[int, dict]] = []
    for e in entries:
        if e.seq <= hw:
            row = db.execute(conn, "SELECT hash FROM journal WHERE device_id = ? AND seq = ?",
                             (device.id, e.seq)).fetchone()
            if row and row[0] == e.hash:
                continue        # already applied: a retry after a lost answer
            raise Conflict(e)
        if e.seq != hw + 1:
            raise CentralError("gap", "expected seq {expected_seq}, got {got}",
                               expected_seq=hw + 1, got=e.seq)
        if e.prev_hash != last:
            raise CentralError("chain_broken", "prev_hash is not the previous entry's hash",
                               seq=e.seq)
        if chain_hash(e.prev_hash, e.body) != e.hash:
            raise CentralError("chain_broken", "hash does not match the entry", seq=e.seq)
        data = parse_body(e, device)
        for p in data["postings"]:
            if p["wallet"] not in wallets_ok:
                if not db.execute(conn, "SELECT 1 FROM wallets WHERE school_id = ? AND id = ?",
                                  (device.school_id, p["wallet"])).fetchone():
                    raise CentralError("invalid", "entry {seq}: unknown wallet {wallet!r}"
                                       " in this school", seq=e.seq, wallet=p["wallet"])
                wallets_ok.add(p["wallet"])
            deltas[p["wallet"]] = deltas.get(p["wallet"], 0) + p["amount_cents"]
            postings.append((device.id, e.seq, p["wallet"], p["amount_cents"]))
        journal.append((device.id, e.seq, data["uuid"], data["kind"], data["ts"],
                        data["day"], data.get("operator"), data.get("student"),
                        data["amount_cents"], e.body, e.prev_hash, e.hash, now))
        if data["kind"] == "pickup":
            ledger.mark_delivered(db, conn, device, data)
        elif data["kind"] in BADGE_KINDS:
            badges.apply_entry(db, conn, device, data, db.now())
        if chain_copy.FORK_KEY in data:     # sold on a fork, sold again: for the office
            forked.append((e.seq, data))
        hw, last, applied = e.seq, e.hash, applied + 1
    if applied:
        db.execute_many(conn, "INSERT INTO journal (device_id, seq, uuid, kind, ts, day,"
                              " operator_id, student_id, amount_cents, body, prev_hash, hash,"
                              " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        journal)
        db.execute_many(conn, "INSERT INTO postings (device_id, seq, wallet_id, amount_cents)"
                              " VALUES (?, ?, ?, ?)", postings)
        # New balances and new versions, so that the next pulls deliver them.
        first = db.next_versions(conn, len(deltas)) if deltas else 0
        db.execute_many(conn, "UPDATE wallets SET balance_cents = balance_cents + ?, version = ?"
                              " WHERE school_id = ? AND id = ?",
                        [(cents, first + offset, device.school_id, wallet)
                         for offset, (wallet, cents) in enumerate(sorted(deltas.items()))])
        db.execute(conn, "UPDATE devices SET high_water = ?, last_hash = ? WHERE id = ?",
                   (hw, last, device.id))
        for seq, data in forked:
            chain_copy.record_fork(db, conn, device, seq, data, now)
    return {"high_water": hw, "last_hash": last, "applied": applied}


def parse_body(e: PushedEntry, device: Device) -> dict:
    """The fields the server keeps from an entry body, checked the way the terminal's own
    chain check does (canonical JSON, postings adding up to the amount)."""
    try:
        data = json.loads(e.body)
    except ValueError:
        raise CentralError("invalid", "entry {seq}: body is not JSON", seq=e.seq) from None

    def bad(why: str) -> CentralError:
        return CentralError("invalid", "entry {seq}: {why}", seq=e.seq, why=why)

    if not isinstance(data, dict) or not is_canonical(data, e.body):
        raise bad(Phrase("body is not a canonical JSON object"))
    if isinstance(data.get("device"), str) and data["device"] != device.id:
        raise CentralError("forbidden", "entry {seq}: made by another terminal: a terminal"
                                        " pushes only its own journal", seq=e.seq)
    if data.get("seq") != e.seq or data.get("device") != device.id:
        raise bad(Phrase("body seq or device does not match"))
    if data.get("kind") not in KINDS:
        raise bad(Phrase("unknown kind"))
    for key in ("uuid", "ts", "day"):
        if not isinstance(data.get(key), str):
            raise bad(Phrase("{key} missing", key=key))
    for key in ("student", "operator"):
        if not isinstance(data.get(key), (str, type(None))):
            raise bad(Phrase("{key} is not a string", key=key))
    postings, amount = data.get("postings"), data.get("amount_cents")
    if (type(amount) is not int or not isinstance(postings, list)
            or not all(isinstance(p, dict) and isinstance(p.get("wallet"), str)
                       and type(p.get("amount_cents")) is int for p in postings)
            or sum(p["amount_cents"] for p in postings) != amount
            or len({p["wallet"] for p in postings}) != len(postings)):
        raise bad(Phrase("amount_cents and postings do not add up"))
    if data["kind"] in BADGE_KINDS and (why := badges.check_entry(data)) is not None:
        raise bad(why)
    if data["kind"] == cash_topups.KIND and (why := cash_topups.check_entry(data)) is not None:
        raise bad(why)
    return data
