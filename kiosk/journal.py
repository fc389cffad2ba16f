"""The journal: append-only, numbered ``seq = 1, 2, 3 …`` without gaps, each entry chained to
the previous one by ``hash = sha256(prev_hash + canonical JSON of the entry)``.

The canonical JSON (sorted keys, no spaces, UTF-8, integers only) is stored as ``body``; the
other columns are copies for indexed queries and are checked against the body on verification.
The canonical form and the hash are ``sync.common.chain``'s: the platform checks the
chains it receives with the same two functions.
There is deliberately no function here that changes or removes an entry.
"""
from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from kiosk import clock_guard
from sync.common.chain import GENESIS, KINDS, canonical_json, chain_hash, is_canonical

BODY_VERSION = 1

_COLUMNS = "seq, uuid, kind, ts, day, operator_id, student_id, amount_cents, ref_seq, body, prev_hash, hash"
_INSERT = f"INSERT INTO journal ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"   # built once: hot
_INSERT_POSTING = "INSERT INTO postings (seq, wallet_id, amount_cents) VALUES (?,?,?)"


class Entry(NamedTuple):
    """One journal row; ``data`` is ``body`` parsed. Immutable (a NamedTuple: cheap to make,
    and one is made on every sale)."""
    seq: int
    uuid: str
    kind: str
    ts: str
    day: str
    operator_id: str | None
    student_id: str | None
    amount_cents: int
    ref_seq: int | None
    body: str
    prev_hash: str
    hash: str
    data: dict

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Entry:
        return cls._make((*row, json.loads(row[9])))


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7): 48-bit Unix milliseconds, then 74 random
    bits from ``random`` (seeded by the OS, reseeded after a fork: no syscall per sale)."""
    value = (time.time_ns() // 1_000_000) << 80 | random.getrandbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76               # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62               # RFC 4122 variant
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def last_link(conn: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest entry, or (0, GENESIS) for an empty journal."""
    row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return row if row else (0, GENESIS)


def make_entry(*, device_id: str, seq: int, prev_hash: str, kind: str, ts: str, day: str,
               operator_id: str | None, student_id: str | None = None,
               postings: Sequence[tuple[str, int]] = (), ref_seq: int | None = None,
               details: dict | None = None) -> tuple[dict, str, str]:
    """An entry as the chain holds it: (its data, the canonical JSON body, its hash). The one
    place that shapes an entry: ``append`` uses it, and so can a simulated terminal (tests,
    benchmarks) that has no store."""
    if kind not in KINDS:
        raise ValueError(f"unknown journal kind {kind!r}")
    data = {**(details or {}), "v": BODY_VERSION, "uuid": uuid7(), "device": device_id,
            "seq": seq, "kind": kind, "ts": ts, "day": day, "operator": operator_id,
            "student": student_id, "amount_cents": sum(cents for _, cents in postings),
            "postings": [{"wallet": w, "amount_cents": c} for w, c in postings]}
    if ref_seq is not None:
        data["ref_seq"] = ref_seq
    body = canonical_json(data)
    return data, body, chain_hash(prev_hash, body)


def append(conn: sqlite3.Connection, *, device_id: str, kind: str, ts: str, day: str,
           operator_id: str | None, student_id: str | None = None,
           postings: Sequence[tuple[str, int]] = (), ref_seq: int | None = None,
           details: dict | None = None, head: tuple[int, str] | None = None,
           guard: clock_guard.ClockGuard | None = None) -> Entry:
    """Append one entry. Must run inside the caller's write transaction (``Store.write()``)
    so that the read of the last link and the insert are one atomic step. ``head`` is that
    last link when the caller has already read it in this same transaction (a sale reads it
    with the terminal's state: one statement fewer per tap); otherwise it is read here.
    A clock that went back (or leapt forward) since the previous entry is recorded in this
    one's body (``kiosk.clock_guard``; ``guard``: the counter's, which measures it)."""
    if not conn.in_transaction:
        raise RuntimeError("journal.append outside a write transaction")
    prev_seq, prev_hash = head or last_link(conn)
    seq = prev_seq + 1
    jump = clock_guard.stamp(conn, prev_seq, ts, guard)
    if jump is not None:
        details = {**(details or {}), clock_guard.FIELD: jump}
    data, body, digest = make_entry(device_id=device_id, seq=seq, prev_hash=prev_hash, kind=kind,
                                    ts=ts, day=day, operator_id=operator_id,
                                    student_id=student_id, postings=postings, ref_seq=ref_seq,
                                    details=details)
    row = (seq, data["uuid"], kind, ts, day, operator_id, student_id, data["amount_cents"],
           ref_seq, body, prev_hash, digest)
    conn.execute(_INSERT, row)
    for wallet, cents in postings:        # one or two
        conn.execute(_INSERT_POSTING, (seq, wallet, cents))
    return Entry(*row, data)


def get(conn: sqlite3.Connection, seq: int) -> Entry | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM journal WHERE seq = ?", (seq,)).fetchone()
    return Entry.from_row(row) if row else None


def entries(conn: sqlite3.Connection, where: str = "1", params: tuple = ()) -> Iterator[Entry]:
    for row in conn.execute(f"SELECT {_COLUMNS} FROM journal WHERE {where} ORDER BY seq", params):
        yield Entry.from_row(row)


@dataclass
class ChainReport:
    ok: bool
    last_seq: int          # last entry found good
    last_hash: str
    checked: int           # entries checked in this run
    bad_seq: int | None = None
    reason: str | None = None


def verify(conn: sqlite3.Connection, after_seq: int = 0, prev_hash: str = GENESIS,
           progress: Callable[[int], object] | None = None, batch: int = 5000) -> ChainReport:
    """Verify the chain from ``after_seq`` (whose hash is ``prev_hash``) to the end: contiguous
    seq, canonical bodies, hashes, indexed columns and postings equal to what the body says
    (each one there with its amount, and no other posting in the range checked).
    Stops at the first bad entry and names it."""
    expected_seq, expected_prev, checked, postings_said = after_seq + 1, prev_hash, 0, 0
    while True:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?",
            (expected_seq, batch)).fetchall()
        if not rows:
            break
        said: list[list] = []          # per row: its postings as the body says them
        bad = None
        for i, row in enumerate(rows):
            seq = expected_seq + i
            reason, postings = _check_row(row, seq, rows[i - 1][11] if i else expected_prev)
            if reason:
                bad = (i, reason)
                break
            said.append(postings)
        missing = _first_missing_posting(conn, said)
        if missing is not None and (bad is None or missing < bad[0]):
            bad = (missing, "wallet postings differ from the entry's content")
        if bad:
            i, reason = bad
            return ChainReport(False, expected_seq + i - 1, rows[i - 1][11] if i else expected_prev,
                               checked + i, bad_seq=expected_seq + i, reason=reason)
        postings_said += sum(map(len, said))
        expected_seq, expected_prev, checked = rows[-1][0] + 1, rows[-1][11], checked + len(rows)
        if progress:
            progress(expected_seq - 1)
    last_seq = expected_seq - 1
    if checked:
        extra = _first_extra_posting(conn, after_seq, last_seq, postings_said)
        if extra is not None:
            before = get(conn, extra - 1)
            return ChainReport(False, extra - 1, before.hash if before else prev_hash,
                               extra - 1 - after_seq, bad_seq=extra,
                               reason="wallet postings differ from the entry's content")
    return ChainReport(True, last_seq, expected_prev, checked)


def _check_row(row: Sequence[Any], expected_seq: int, expected_prev: str) -> tuple[str | None, list]:
    """(what is wrong with this row or None, its postings as [wallet, seq, cents])."""
    seq, uid, kind, ts, day, operator_id, student_id, amount, ref_seq, body, prev, digest = row
    if seq != expected_seq:
        return f"entry {expected_seq} is missing (next entry is {seq})", []
    if prev != expected_prev:
        return "prev_hash does not match the previous entry", []
    if chain_hash(prev, body) != digest:
        return "hash does not match the entry's content", []
    try:
        data = json.loads(body)
    except ValueError:
        return "entry body is not JSON", []
    if not is_canonical(data, body):
        return "entry body is not canonical JSON", []
    copies = {"seq": seq, "uuid": uid, "kind": kind, "ts": ts, "day": day,
              "operator": operator_id, "student": student_id, "amount_cents": amount,
              "ref_seq": ref_seq}
    for key, value in copies.items():
        if data.get(key) != value:
            return f"column {key!r} differs from the entry's content", []
    try:
        postings = [[p["wallet"], seq, p["amount_cents"]] for p in data.get("postings", [])]
    except (TypeError, KeyError):
        return "wallet postings differ from the entry's content", []
    if sum(c for _, _, c in postings) != amount or len({w for w, _, _ in postings}) != len(postings):
        return "wallet postings differ from the entry's content", []
    return None, postings


# Every posting a batch of bodies names, looked up by the table's key in one statement; the
# amount found (NULL when there is none) comes back in the order asked.
_LOOKUP_POSTINGS = (
    "SELECT p.amount_cents FROM json_each(?) k LEFT JOIN postings p"
    " ON p.wallet_id = k.value ->> 0 AND p.seq = k.value ->> 1 ORDER BY k.key")


def _first_missing_posting(conn: sqlite3.Connection, said: list[list]) -> int | None:
    """Index (in ``said``: the batch's entries) of the first entry whose body names a posting
    that the postings table does not hold with that amount, or None."""
    asked = [p for postings in said for p in postings]
    if not asked:
        return None
    found = conn.execute(_LOOKUP_POSTINGS, (canonical_json(asked),)).fetchall()
    k = 0
    for i, postings in enumerate(said):
        for _, _, cents in postings:
            if found[k][0] != cents:
                return i
            k += 1
    return None


def _first_extra_posting(conn: sqlite3.Connection, after_seq: int, last_seq: int, said: int) -> int | None:
    """Every posting the bodies name is there (checked per batch); any other posting in the
    range makes the count larger. Then find the first entry it belongs to (rare: a scan)."""
    held = conn.execute("SELECT COUNT(*) FROM postings WHERE seq > ? AND seq <= ?",
                        (after_seq, last_seq)).fetchone()[0]
    if held == said:
        return None
    by_seq: dict[int, int] = {}
    for (seq,) in conn.execute("SELECT seq FROM postings WHERE seq > ? AND seq <= ?",
                               (after_seq, last_seq)):
        by_seq[seq] = by_seq.get(seq, 0) + 1
    for seq in sorted(by_seq):
        entry = get(conn, seq)
        if entry is None or len(entry.data.get("postings", [])) != by_seq[seq]:
            return seq
    return after_seq + 1      # not reached: the counts differ, so some entry differs
