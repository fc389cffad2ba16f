"""The anchors: what the terminal knows of its own journal outside the journal's rows.

The chain check proves that every entry links to the one before; it cannot see entries cut
off the end (the newest rows deleted), nor a store put back from an older copy. Other parts
of the store remember how far the journal went, and the journal must reach each of them:

* ``acknowledged``: the platform acknowledged entries up to ``sync_state.pushed_seq``;
* ``balances``: a wallet's balance pulled from the platform includes this terminal's entries
  up to its ``included_seq``;
* ``verified``: the last chain check went up to ``meta.verified_seq`` (``verified_hash``);
* ``day_close``: the last Z report was entry ``meta.last_close`` (``seq:hash``);
* ``print_queue``: a print job names the entry it prints;
* ``platform``: the platform said it holds this terminal's entries up to ``seq:hash``
  (``sync_state.platform_head``, written by ``kiosk.recovery`` when that is beyond the
  journal: a store restored from a backup learns it at its first contact).

A journal that stops before one of them was cut (``journal_cut``), or is behind the platform
(``journal_behind``, until ``kiosk.recovery`` has fetched the entries back): sales are blocked
either way. An anchor's entry present with another hash is a changed chain
(``chain_broken``). Each anchor is one indexed read: this runs at every open."""
from __future__ import annotations

import sqlite3
from typing import NamedTuple

LAST_CLOSE = "last_close"          # meta: "seq:hash" of the last Z report (day close)
PLATFORM_HEAD = "platform_head"    # sync_state: "seq:hash" the platform holds, when ahead

CUT = "journal_cut"
BEHIND = "journal_behind"
RECOVERABLE = (CUT, BEHIND)        # recomputed at every check: cleared once the journal reaches


class Problem(NamedTuple):
    code: str          # journal_cut | journal_behind | chain_broken
    detail: str        # which anchor, for support (English, as the chain check's details)
    seq: int           # the anchor's entry


def _split(value: str | None) -> tuple[int, str | None]:
    if not value:
        return 0, None
    seq, _, digest = value.partition(":")
    try:
        return int(seq), digest or None
    except ValueError:
        return 0, None


def anchors(conn: sqlite3.Connection) -> list[tuple[str, int, str | None]]:
    """(name, seq, hash or None) of every anchor the store holds."""
    def one(sql: str) -> str | None:
        row = conn.execute(sql).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    found = [
        ("acknowledged", int(one("SELECT value FROM sync_state WHERE key = 'pushed_seq'") or 0),
         None),
        ("balances", int(one("SELECT MAX(included_seq) FROM wallets") or 0), None),
        ("verified", int(one("SELECT value FROM meta WHERE key = 'verified_seq'") or 0),
         one("SELECT value FROM meta WHERE key = 'verified_hash'")),
        ("day_close", *_split(one(f"SELECT value FROM meta WHERE key = '{LAST_CLOSE}'"))),
        ("print_queue", int(one("SELECT MAX(entry_seq) FROM print_jobs") or 0), None),
        ("platform", *_split(one(f"SELECT value FROM sync_state WHERE key = '{PLATFORM_HEAD}'"))),
    ]
    return [(name, seq, digest) for name, seq, digest in found if seq > 0]


def check(conn: sqlite3.Connection) -> Problem | None:
    """The first anchor the journal does not reach (the platform's last: a cut is said as
    such even when the platform holds more), or None."""
    row = conn.execute("SELECT seq FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    last = row[0] if row else 0
    found = sorted(anchors(conn), key=lambda a: a[0] == "platform")
    for name, seq, digest in found:
        code = BEHIND if name == "platform" else CUT
        if seq > last:
            return Problem(code, f"the journal ends at entry {last}, the {name} anchor is"
                                 f" entry {seq}", seq)
        if digest is not None:
            held = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
            if held is None or held[0] != digest:
                return Problem(BEHIND if name == "platform" else "chain_broken",
                               f"entry {seq} is not the one the {name} anchor names", seq)
    return None


def record_close(conn: sqlite3.Connection, seq: int, digest: str) -> None:
    """A Z report was recorded (in the caller's transaction): the journal must keep it."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
                 " SET value = excluded.value", (LAST_CLOSE, f"{seq}:{digest}"))
