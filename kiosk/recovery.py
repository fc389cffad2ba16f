"""A terminal put back from an older backup gets its own entries back from the platform and
continues its chain, instead of selling on a fork of it (issue 15, point 2).

The platform holds every entry this terminal pushed. When it says it holds entry ``hw`` with
a hash this journal does not have there (the entry is missing, or another one holds the
number), ``catch_up``:

1. finds the last entry both chains share (the platform's hash at a seq is the next entry's
   ``prev_hash``: a few one-entry reads, exponential then binary search);
2. fetches the platform's entries after it, page by page (``GET /api/v1/journal``, through the
   ``fetch`` the agent gives), and checks every one as the chain check does: contiguous seq,
   each ``prev_hash`` the previous hash from this terminal's own shared entry on, each hash,
   canonical bodies, this device's id, postings adding up. Once the first page checks out,
   the platform's head is recorded as an anchor (``kiosk.anchors``,
   ``sync_state.platform_head``): from there every process, every restart, refuses to sell
   (``journal_behind``) until the journal reaches it (a mark alone, which a platform in
   trouble may get wrong, blocks nothing);
3. in one write transaction (a sale waits; the next one chains to the new head): sets the
   entries this journal holds after the shared one aside (``journal_forks``: entries sold on
   a fork, when the restore was made while the terminal was cut off), takes the platform's
   entries in their place, then sells each set-aside entry again at the end of the chain,
   its content unchanged but for ``fork`` (the original's seq, hash and uuid) and a void's
   ``ref_seq`` renumbered; a void of a sale the platform's entries voided already is not
   sold again (a sale is voided once; the void stays set aside). The platform applies
   those as any entry, once, and lists them for the office (``comptoir central forks``).
   The print queue, reservations, the verified point, the last Z and what the platform
   acknowledged follow the new numbers;
4. checks the chain again: the anchor is reached, sales go on.

Nothing here talks HTTP: the agent (``sync.agent``) passes the platform's head and a
``fetch(after, limit)`` returning a ``sync.protocol.JournalPage``.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from kiosk import anchors, journal
from kiosk.store import Store
from kiosk.store.schema import _APPEND_ONLY, _split
from sync.common.chain import GENESIS
from sync.common.clock import iso_utc
from sync.common.errors import ComptoirError
from sync.protocol import MAX_JOURNAL_ENTRIES, JournalPage, PushedEntry

log = logging.getLogger("comptoir.sync")

Fetch = Callable[[int, int], JournalPage]
FORK_KEY = "fork"
# The fields ``journal.make_entry`` writes itself: everything else in a body is the entry's
# own content (lines, items, report, reason, badge ...), sold again unchanged.
_CHAIN_FIELDS = {"v", "uuid", "device", "seq", "kind", "ts", "day", "operator", "student",
                 "amount_cents", "postings", "ref_seq"}


class Recovered(NamedTuple):
    fetched: int        # the platform's entries taken into the journal
    replayed: int       # entries sold on a fork, sold again at the end of the chain


class RecoveryError(ComptoirError):
    code = "chain_mismatch"     # the platform's copy does not continue this terminal's chain


def behind(conn: sqlite3.Connection, seq: int, digest: str) -> bool:
    """Does the platform hold entry ``seq`` (``digest``) that this journal lacks there?"""
    if seq <= 0:
        return False
    row = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return row is None or row[0] != digest


def catch_up(store: Store, head: tuple[int, str], fetch: Fetch, now: datetime) -> Recovered:
    """Bring the journal up to the platform's ``head`` (its high-water mark and hash)."""
    hw, last_hash = head
    with store.read() as conn:
        if not behind(conn, hw, last_hash):
            return Recovered(0, 0)
        mine = journal.last_link(conn)[0]
    log.warning("the platform holds this terminal's entries up to %d, its journal %d:"
                " fetching them back", hw, mine)
    common = _shared(store, hw, last_hash, fetch)

    def anchor() -> None:
        """Once a first page proves the platform holds entries of this chain beyond the
        journal (a mark alone proves nothing): no sale anywhere until they are back."""
        with store.write() as conn:
            store.set_kv(conn, "sync_state", anchors.PLATFORM_HEAD, f"{hw}:{last_hash}")
        store.check_integrity(pages=False)

    entries = _fetch(store, common, head, fetch, anchor)
    replayed = _splice(store, common, entries, hw, now)
    health = store.check_integrity(pages=False)
    if health.ok:
        log.warning("%d entries fetched back from the platform, %d sold again after them:"
                    " sales go on", len(entries), replayed)
    else:
        log.warning("%d entries fetched back from the platform, %d sold again after them:"
                    " sales stay blocked", len(entries), replayed)
    return Recovered(len(entries), replayed)


def _mine(store: Store, seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    rows = store.fetch_all("SELECT hash FROM journal WHERE seq = ?", (seq,))
    return rows[0][0] if rows else None


def _shared(store: Store, hw: int, last_hash: str, fetch: Fetch) -> int:
    """The last seq whose entry both chains hold (0: none, the genesis)."""
    def theirs(seq: int) -> str:
        if seq == 0:
            return GENESIS
        if seq == hw:
            return last_hash
        page = fetch(seq, 1)
        if not page.entries or page.entries[0].seq != seq + 1:
            raise RecoveryError(detail=f"the platform did not give entry {seq + 1} back")
        return page.entries[0].prev_hash

    def same(seq: int) -> bool:
        return _mine(store, seq) == theirs(seq)

    top = min(hw, _last(store))
    if same(top):
        return top
    differs, step, good = top, 1, 0
    while top - step > 0:           # down in growing steps to a shared entry ...
        if same(top - step):
            good = top - step
            break
        differs, step = top - step, step * 2
    while differs - good > 1:       # ... then halve the range between the two
        mid = (good + differs) // 2
        if same(mid):
            good = mid
        else:
            differs = mid
    return good


def _last(store: Store) -> int:
    rows = store.fetch_all("SELECT seq FROM journal ORDER BY seq DESC LIMIT 1")
    return rows[0][0] if rows else 0


def _fetch(store: Store, common: int, head: tuple[int, str], fetch: Fetch,
           first_page: Callable[[], None]) -> list[tuple]:
    """The platform's entries after ``common`` up to its head, each checked; as journal rows.
    ``first_page`` is called once the first page has checked out."""
    hw, last_hash = head
    seq, prev = common, _mine(store, common) or GENESIS
    rows: list[tuple] = []
    while seq < hw:
        page = fetch(seq, MAX_JOURNAL_ENTRIES)
        if not page.entries:
            raise RecoveryError(detail=f"the platform stopped at entry {seq} of {hw}")
        for e in page.entries:
            row = _row(store.device_id, e, seq + 1, prev)
            rows.append(row)
            seq, prev = e.seq, e.hash
        if len(rows) == len(page.entries):
            first_page()
    if seq != hw or prev != last_hash:
        raise RecoveryError(detail=f"entry {hw} fetched back is not the one the platform named")
    return rows


def _row(device_id: str, e: PushedEntry, expected_seq: int, expected_prev: str) -> tuple:
    """The journal row of a fetched entry, checked the way the chain check reads one."""
    try:
        data = json.loads(e.body)
        row = (e.seq, data["uuid"], data["kind"], data["ts"], data["day"], data.get("operator"),
               data.get("student"), data["amount_cents"], data.get("ref_seq"), e.body,
               e.prev_hash, e.hash)
    except (ValueError, KeyError, TypeError):
        raise RecoveryError(detail=f"entry {e.seq} fetched back is not an entry") from None
    reason, _postings = journal._check_row(row, expected_seq, expected_prev)
    if reason is None and data.get("device") != device_id:
        reason = "another terminal's entry"
    if reason is not None:
        raise RecoveryError(detail=f"entry {e.seq} fetched back: {reason}")
    return row


def _splice(store: Store, common: int, rows: list[tuple], hw: int, now: datetime) -> int:
    """One transaction: set aside what follows ``common``, take ``rows``, sell again."""
    with store.write() as conn:
        if rows and rows[0][10] != _mine_in(conn, common):
            raise RecoveryError(detail=f"entry {common} changed while fetching")
        forked = list(journal.entries(conn, "seq > ?", (common,)))
        if forked:
            conn.executemany(
                "INSERT OR IGNORE INTO journal_forks (seq, hash, prev_hash, body, set_aside_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(f.seq, f.hash, f.prev_hash, f.body, iso_utc(now)) for f in forked])
            _delete_after(conn, common)
        conn.executemany(journal._INSERT, rows)
        conn.executemany(journal._INSERT_POSTING, [
            (r[0], p["wallet"], p["amount_cents"])
            for r in rows for p in json.loads(r[9]).get("postings", [])])
        renumbered: dict[int, int] = {}
        for f in forked:
            if f.kind == "void" and conn.execute(
                    "SELECT 1 FROM journal WHERE kind = 'void' AND ref_seq = ?",
                    (renumbered.get(f.ref_seq or 0, f.ref_seq),)).fetchone():
                continue    # the sale was voided meanwhile, on the platform's side: once is
                #             enough (the void stays set aside, its replayed_seq empty)
            renumbered[f.seq] = _sell_again(conn, store.device_id, f, renumbered)
        _follow(store, conn, common, renumbered, hw, {f.seq for f in forked})
    return len(renumbered)


def _mine_in(conn: sqlite3.Connection, seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    row = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return row[0] if row else None


def _delete_after(conn: sqlite3.Connection, common: int) -> None:
    """The one place entries leave the journal: set aside first (``journal_forks``), in the
    caller's transaction, the append-only triggers put back before it commits."""
    for table in ("journal", "postings"):
        conn.execute(f"DROP TRIGGER {table}_append_only_d")
        conn.execute(f"DELETE FROM {table} WHERE seq > ?", (common,))
        for stmt in _split(_APPEND_ONLY.format(t=table)):
            if f"{table}_append_only_d" in stmt:
                conn.execute(stmt)


def _sell_again(conn: sqlite3.Connection, device_id: str, f: journal.Entry,
                renumber: dict[int, int]) -> int:
    """Entry ``f`` (set aside) appended again at the head, its content unchanged."""
    details = {k: v for k, v in f.data.items() if k not in _CHAIN_FIELDS}
    details[FORK_KEY] = {"seq": f.seq, "hash": f.hash, "uuid": f.uuid}
    ref = renumber.get(f.ref_seq, f.ref_seq) if f.ref_seq is not None else None
    # (a void of an entry sold on the fork voids it at its new number)
    again = journal.append(conn, device_id=device_id, kind=f.kind, ts=f.ts, day=f.day,
                           operator_id=f.operator_id, student_id=f.student_id,
                           postings=[(p["wallet"], p["amount_cents"])
                                     for p in f.data.get("postings", [])],
                           ref_seq=ref, details=details)
    conn.execute("UPDATE journal_forks SET replayed_seq = ? WHERE seq = ? AND hash = ?",
                 (again.seq, f.seq, f.hash))
    return again.seq


def _follow(store: Store, conn: sqlite3.Connection, common: int, renumbered: dict[int, int],
            hw: int, forked: set[int]) -> None:
    """What pointed at an entry sold again follows it to its new number (a receipt waiting
    in the print queue, a reservation picked up here)."""
    for table, key, column in (("print_jobs", "id", "entry_seq"),
                               ("reservations", "id", "delivered_seq")):
        moved = conn.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} > ?",
                             (common,)).fetchall()
        conn.executemany(f"UPDATE {table} SET {column} = ? WHERE {key} = ?",
                         [(renumbered[seq], k) for k, seq in moved if seq in renumbered])
    # a receipt of a void not sold again: its number is another entry's now
    conn.executemany("UPDATE print_jobs SET entry_seq = NULL, status = 'failed', last_error = ?"
                     " WHERE entry_seq = ? AND status IN ('pending', 'unconfirmed')",
                     [("voided meanwhile", seq) for seq in forked - set(renumbered)])
    verified = int(store.meta("verified_seq") or 0)
    if verified >= common and hw > common:
        # checked up to the shared entry, and every entry taken was checked as it came (the
        # chain check's own rule; its postings written from its body): the chain check
        # after this goes on from the platform's head, over the entries sold again only
        store.set_kv(conn, "meta", "verified_seq", hw)
        store.set_kv(conn, "meta", "verified_hash", _mine_in(conn, hw) or GENESIS)
    elif verified > common:
        store.set_kv(conn, "meta", "verified_seq", common)
        store.set_kv(conn, "meta", "verified_hash", _mine_in(conn, common) or GENESIS)
    close_seq = int((store.meta(anchors.LAST_CLOSE) or "0").partition(":")[0] or 0)
    if close_seq > common:
        new = renumbered.get(close_seq)
        if new is None:
            conn.execute("DELETE FROM meta WHERE key = ?", (anchors.LAST_CLOSE,))
        else:
            anchors.record_close(conn, new, _mine_in(conn, new) or GENESIS)
    store.set_kv(conn, "sync_state", "pushed_seq", hw)
