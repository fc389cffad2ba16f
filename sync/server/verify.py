"""The platform checks what it holds: nightly (``nightly``), with ``comptoir central verify``
and ``POST /api/v1/admin/verify``.

For each of a school's terminals, its stored chain: seqs 1, 2, 3 … without a gap, every body
against its hash, every link (``prev_hash``), the columns kept beside the body (amount,
student, time …) against the body, the postings against the body's postings, the chain's end
against the head the platform acknowledged (``devices.high_water``/``last_hash``) and against
the anchor of the last verification (``anchors``: a cut tail, a rewritten chain). For each
wallet, its balance recomputed from all its movements: opening balance + the platform's
movements (top-ups, bank transfers, reservations, refunds) + the terminals' postings (sales,
voids, pickups, photocopies); its opening balance and old movements against the anchor.

A mismatch is a finding naming the terminal and seq or the wallet, recorded
(``verifications``) and shown to the office (``problems``); nothing is ever repaired here.
A verification that finds a terminal's chain whole moves that terminal's anchor to its head;
one that finds a school's wallets right moves their anchors (see ``anchors``).
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sync.common.chain import GENESIS, chain_hash, is_canonical
from sync.common.money import format_cents
from sync.server import anchors
from sync.server.database import Connection, Database
from sync.server.errors import Phrase

log = logging.getLogger("comptoir.central")

# journal columns kept beside the body, and the body's key for each
COLUMNS = (("uuid", "uuid"), ("kind", "kind"), ("ts", "ts"), ("day", "day"),
           ("operator_id", "operator"), ("student_id", "student"),
           ("amount_cents", "amount_cents"))
# What moved wallets besides the platform's own movements (``wallet_movements``): one query
# per table, ``(wallet_id, cents)`` per wallet of the school (``?``). Another table of money
# (e.g. the sales a restored terminal made on a fork, kept apart) is one more line here.
MOVED_BY_TERMINALS = [
    "SELECT p.wallet_id, SUM(p.amount_cents) FROM postings p JOIN devices d ON d.id = p.device_id"
    " WHERE d.school_id = ? GROUP BY p.wallet_id",
]
MOVEMENT_COLUMNS = "id, wallet_id, kind, amount_cents, ts, day, reservation_id, source_key, label"


@dataclass(frozen=True)
class Finding:
    """One mismatch: ``code`` says which check (``describe`` says it to people)."""
    code: str
    device_id: str | None = None
    seq: int | None = None
    wallet_id: str | None = None
    expected: Any = None
    found: Any = None


@dataclass
class Result:
    school_id: str
    started_at: str
    finished_at: str = ""
    devices: int = 0
    entries: int = 0
    wallets: int = 0
    findings: list[Finding] = field(default_factory=list)
    verification_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


def describe(f: Finding | dict) -> Phrase:
    """What a finding means, in a sentence for the office (translated by the catalogues)."""
    d = asdict(f) if isinstance(f, Finding) else f
    p = {"device": d.get("device_id"), "seq": d.get("seq"), "wallet": d.get("wallet_id"),
         "expected": d.get("expected"), "found": d.get("found")}
    if d["code"] in ("balance", "opening"):     # money, as the school writes it
        p["expected"], p["found"] = format_cents(p["expected"] or 0), format_cents(p["found"] or 0)
    texts = {
        "gap": Phrase("terminal {device}: entry {expected} is missing (the next one is {found}):"
                      " a row was deleted", **p),
        "link": Phrase("terminal {device}, entry {seq}: it does not follow the entry before it"
                       " (prev_hash changed or an entry replaced)", **p),
        "hash": Phrase("terminal {device}, entry {seq}: its content does not match its hash"
                       " (changed after it was received)", **p),
        "body": Phrase("terminal {device}, entry {seq}: its content is unreadable or not this"
                       " terminal's entry {seq}", **p),
        "column": Phrase("terminal {device}, entry {seq}: the column {expected} does not match"
                         " the entry's content ({found})", **p),
        "postings": Phrase("terminal {device}, entry {seq}: the wallets it moved do not match"
                           " its content (expected {expected}, found {found})", **p),
        "orphan_posting": Phrase("terminal {device}: a posting for entry {seq}, which the"
                                 " journal does not hold", **p),
        "head": Phrase("terminal {device}: the platform acknowledged entry {expected} as its"
                       " last, the journal ends at entry {found}", **p),
        "anchor_short": Phrase("terminal {device}: the journal ends at entry {found}, the last"
                               " verification saw it up to entry {expected} (a cut tail)", **p),
        "anchor_hash": Phrase("terminal {device}, entry {seq}: not the entry the last"
                              " verification saw (the chain was rewritten)", **p),
        "balance": Phrase("wallet {wallet}: balance {found}, its movements make {expected}",
                          **p),
        "opening": Phrase("wallet {wallet}: opening balance {found}, the last verification"
                          " saw {expected}", **p),
        "movements": Phrase("wallet {wallet}: its top-ups, transfers or reservations until the"
                            " last verification changed ({expected} then, {found} now)", **p),
        "device_gone": Phrase("terminal {device}: verified before up to entry {expected}, no"
                              " longer in the database", **p),
        "anchors_missing": Phrase("the anchors of the previous verifications are not in {found}"
                                  " (the file was lost or replaced, or this is another"
                                  " machine): a cut tail or a rewritten chain made since"
                                  " cannot be seen", **p),
        "wallet_gone": Phrase("wallet {wallet}: verified before, no longer in the database",
                              **p),
    }
    return texts.get(d["code"], Phrase("{code}: unknown finding", code=d["code"]))


def verify(db: Database, school_id: str, *, trigger: str = "command",
           anchors_path: Path | None = None, verification_id: int | None = None,
           accept: bool = False) -> Result:
    """Check a school's journal and wallets; record the verification and move the anchors
    of what is whole. ``verification_id``: the row ``nightly`` claimed for this run.
    ``accept``: an admin's explicit choice after a restore of the database from a backup
    (``comptoir central verify --accept``): what is found is reported as ever, then taken as
    the new anchors, even where it went back."""
    path = anchors_path or anchors.default_path(db.path, db.label)
    result = Result(school_id, db.stamp())
    with anchors.locked(path):
        held = anchors.read(path)
        with db.transaction(write=False) as conn:
            if school_id not in held["seen"] and db.execute(
                    conn, "SELECT 1 FROM verifications WHERE school_id = ? AND finished_at IS"
                          " NOT NULL", (school_id,)).fetchone():
                result.findings.append(Finding("anchors_missing", found=str(path)))
            heads = _check_chains(db, conn, school_id, held["devices"], result)
            money = _check_wallets(db, conn, school_id, held["schools"].get(school_id), result)
        bad_devices = set() if accept else {f.device_id for f in result.findings if f.device_id}
        for device_id, head in heads.items():
            if device_id not in bad_devices and head["seq"] > 0:
                held["devices"][device_id] = head
        if accept or not any(f.wallet_id for f in result.findings):
            held["schools"][school_id] = money
        if accept or not any(f.code == "anchors_missing" for f in result.findings):
            held["seen"][school_id] = result.started_at     # else: said until accepted
        if accept:
            log.warning("verification of school %s: the database as it is now accepted as the"
                        " new anchors", school_id)
        anchors.write(path, held)
    result.finished_at = db.stamp()
    result.verification_id = _record(db, result, trigger, verification_id)
    if result.ok:
        log.info("verification of school %s: %d terminals, %d entries, %d wallets: all right",
                 school_id, result.devices, result.entries, result.wallets)
    else:
        log.warning("verification of school %s: %d problems (see comptoir central problems)",
                    school_id, len(result.findings))
    return result


def _check_chains(db: Database, conn: Connection, school_id: str, held: dict,
                  result: Result) -> dict[str, dict]:
    """Every terminal's chain; returns each one's head as found ({seq, hash})."""
    devices = db.execute(conn, "SELECT id, high_water, last_hash FROM devices"
                               " WHERE school_id = ? ORDER BY id", (school_id,)).fetchall()
    heads = {}
    for device_id, high_water, last_hash in devices:
        result.devices += 1
        heads[device_id] = _check_chain(db, conn, device_id, result)
        head = heads[device_id]
        add = result.findings.append
        if (head["seq"], head["hash"]) != (high_water, last_hash):
            add(Finding("head", device_id, expected=high_water, found=head["seq"]))
        anchor = held.get(device_id)
        if anchor:
            if head["seq"] < anchor["seq"]:
                add(Finding("anchor_short", device_id, expected=anchor["seq"],
                            found=head["seq"]))
            elif head["hashes"].get(anchor["seq"]) != anchor["hash"]:
                add(Finding("anchor_hash", device_id, seq=anchor["seq"]))
        heads[device_id] = {"seq": head["seq"], "hash": head["hash"], "school": school_id}
    for device_id, anchor in sorted(held.items()):
        if anchor.get("school") == school_id and device_id not in heads:
            result.findings.append(Finding("device_gone", device_id, expected=anchor["seq"]))
    return heads


def _check_chain(db: Database, conn: Connection, device_id: str, result: Result) -> dict:
    postings: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for seq, wallet, cents in db.execute(conn, "SELECT seq, wallet_id, amount_cents FROM postings"
                                               " WHERE device_id = ?", (device_id,)):
        postings[seq].add((wallet, cents))
    add = result.findings.append
    expected_seq, prev, hashes = 1, GENESIS, {}
    rows = db.execute(conn, "SELECT seq, uuid, kind, ts, day, operator_id, student_id,"
                            " amount_cents, body, prev_hash, hash FROM journal"
                            " WHERE device_id = ? ORDER BY seq", (device_id,))
    for row in rows:
        seq, body, prev_hash, digest = row[0], row[8], row[9], row[10]
        result.entries += 1
        if seq != expected_seq:
            add(Finding("gap", device_id, expected=expected_seq, found=seq))
        if prev_hash != prev:
            add(Finding("link", device_id, seq))
        if chain_hash(prev_hash, body) != digest:
            add(Finding("hash", device_id, seq))
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        if (not isinstance(data, dict) or not is_canonical(data, body)
                or data.get("seq") != seq or data.get("device") != device_id):
            add(Finding("body", device_id, seq))
        else:
            said = tuple(data.get(key) for _, key in COLUMNS)
            if said != row[1:8]:
                for (column, key), value, kept in zip(COLUMNS, said, row[1:8]):
                    if value != kept:
                        add(Finding("column", device_id, seq, expected=column, found=key))
            listed = data.get("postings")
            told = {(str(p.get("wallet")), c if type(c := p.get("amount_cents")) is int
                     else repr(c)) for p in (listed if isinstance(listed, list) else [])
                    if isinstance(p, dict)}
            held = postings.get(seq, set())
            if told != held:
                add(Finding("postings", device_id, seq, expected=_pairs(told),
                            found=_pairs(held)))
        postings.pop(seq, None)
        hashes[seq] = digest
        expected_seq, prev = seq + 1, digest
    for seq in sorted(postings):
        add(Finding("orphan_posting", device_id, seq))
    return {"seq": expected_seq - 1, "hash": prev, "hashes": hashes}


def _pairs(pairs: set[tuple[Any, Any]]) -> str:
    return ", ".join(f"{w} {c}" for w, c in sorted(pairs, key=str)) or "-"


def _check_wallets(db: Database, conn: Connection, school_id: str, held: dict | None,
                   result: Result) -> dict:
    """Every wallet's balance recomputed; openings and old movements against the anchor.
    Returns the school's new anchor (openings, movement digests)."""
    add = result.findings.append
    wallets = {w: (int(balance), int(opening)) for w, balance, opening in db.execute(
        conn, "SELECT id, balance_cents, opening_cents FROM wallets WHERE school_id = ?",
        (school_id,))}
    moved: dict[str, int] = defaultdict(int)
    movements: dict[str, list[tuple]] = defaultdict(list)
    for row in db.execute(conn, f"SELECT {MOVEMENT_COLUMNS} FROM wallet_movements"
                                " WHERE school_id = ? ORDER BY wallet_id, id", (school_id,)):
        moved[row[1]] += int(row[3])
        movements[row[1]].append(row)
    for sql in MOVED_BY_TERMINALS:
        for wallet, cents in db.execute(conn, sql, (school_id,)):
            moved[wallet] += int(cents)
    for wallet, (balance, opening) in sorted(wallets.items()):
        result.wallets += 1
        if balance != opening + moved[wallet]:
            add(Finding("balance", wallet_id=wallet, expected=opening + moved[wallet],
                        found=balance))
    until = max((r[4] for rows in movements.values() for r in rows), default="")
    if held:
        for wallet, (opening, count, digest) in sorted(held["wallets"].items()):
            if wallet not in wallets:
                add(Finding("wallet_gone", wallet_id=wallet))
                continue
            if wallets[wallet][1] != opening:
                add(Finding("opening", wallet_id=wallet, expected=opening,
                            found=wallets[wallet][1]))
            old = [r for r in movements.get(wallet, []) if r[4] <= held["until"]]
            if (len(old), anchors.movements_digest(old)) != (count, digest):
                add(Finding("movements", wallet_id=wallet, expected=count, found=len(old)))
    return {"until": until, "wallets": {
        wallet: [opening, len(movements.get(wallet, [])),
                 anchors.movements_digest(movements.get(wallet, []))]
        for wallet, (_, opening) in wallets.items()}}


def _record(db: Database, result: Result, trigger: str, verification_id: int | None) -> int:
    findings = json.dumps([asdict(f) for f in result.findings])
    with db.transaction() as conn:
        if verification_id is not None:
            db.execute(conn, "UPDATE verifications SET finished_at = ?, problems = ?,"
                             " findings = ? WHERE id = ?",
                       (result.finished_at, len(result.findings), findings, verification_id))
            return verification_id
        return db.execute(conn, "INSERT INTO verifications (school_id, trigger, started_at,"
                                " finished_at, problems, findings) VALUES (?, ?, ?, ?, ?, ?)"
                                " RETURNING id", (result.school_id, trigger, result.started_at,
                                                  result.finished_at, len(result.findings),
                                                  findings)).fetchone()[0]
