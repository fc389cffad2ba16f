"""Every edit of a terminal's store behind the application's back is found by the full check
(``comptoir check``, the nightly integrity monitor), and what lies past the last verified
point or short of it by the check at every open too (issue 15: the tampering table at the
terminal's end; the platform's is tests/test_server_verify.py): each column of random journal
rows and postings, a row deleted in the middle, two rows swapped, a posting added, the tail
cut off. A real store file, a day of sales and a void made by the counter service; each
mutant on a fresh copy."""
from __future__ import annotations

import random
import shutil
import sqlite3

import pytest

from kiosk.demo.school import Badge
from kiosk.store import open_store

TRIGGERS = ("journal_append_only_u", "journal_append_only_d", "postings_append_only_u",
            "postings_append_only_d")
JOURNAL_COLUMNS = ("uuid", "kind", "ts", "day", "operator_id", "student_id", "amount_cents",
                   "ref_seq", "body", "prev_hash", "hash")


def changed(column, value):
    """Another value of the column's type, still accepted by the table's constraints."""
    if column == "kind":
        return "photocopy" if value != "photocopy" else "sale"
    if isinstance(value, int) or column in ("amount_cents", "ref_seq"):
        return (value or 0) + 1
    if value is None:
        return "X"
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def mutants(conn: sqlite3.Connection, seed: int = 2026) -> list[tuple[str, list[tuple]]]:
    """(name, statements) of every mutant of this journal."""
    rng = random.Random(seed)
    seqs = [r[0] for r in conn.execute("SELECT seq FROM journal ORDER BY seq")]
    last = seqs[-1]
    found = []
    for seq in rng.sample(seqs[1:-1], 2) + [last]:
        row = dict(zip(JOURNAL_COLUMNS, conn.execute(
            f"SELECT {', '.join(JOURNAL_COLUMNS)} FROM journal WHERE seq = ?", (seq,)).fetchone()))
        for column in JOURNAL_COLUMNS:
            found.append((f"journal {seq}.{column}",
                          [(f"UPDATE journal SET {column} = ? WHERE seq = ?",
                            (changed(column, row[column]), seq))]))
    postings = conn.execute("SELECT seq, wallet_id, amount_cents FROM postings ORDER BY seq").fetchall()
    for seq, wallet, amount in rng.sample(postings, 2):
        found.append((f"posting {seq} amount", [("UPDATE postings SET amount_cents = ? WHERE seq = ?"
                                                 " AND wallet_id = ?", (amount - 1, seq, wallet))]))
        found.append((f"posting {seq} wallet", [("UPDATE postings SET wallet_id = 'W-OTHER'"
                                                 " WHERE seq = ? AND wallet_id = ?", (seq, wallet))]))
        found.append((f"posting {seq} deleted", [("DELETE FROM postings WHERE seq = ? AND"
                                                  " wallet_id = ?", (seq, wallet))]))
    middle = seqs[len(seqs) // 2]
    found.append(("posting added", [("INSERT INTO postings (seq, wallet_id, amount_cents)"
                                     " VALUES (?, 'W-OTHER', -5)", (middle,))]))
    found.append(("middle entry deleted", [("DELETE FROM postings WHERE seq = ?", (middle,)),
                                           ("DELETE FROM journal WHERE seq = ?", (middle,))]))
    a, b = middle, middle + 1
    found.append(("two entries swapped", [("UPDATE journal SET seq = 1000000 WHERE seq = ?", (a,)),
                                          ("UPDATE journal SET seq = ? WHERE seq = ?", (a, b)),
                                          ("UPDATE journal SET seq = ? WHERE seq = 1000000", (b,))]))
    found.append(("tail cut", [("DELETE FROM postings WHERE seq >= ?", (last - 1,)),
                               ("DELETE FROM journal WHERE seq >= ?", (last - 1,))]))
    found.append(("last entry cut", [("DELETE FROM postings WHERE seq = ?", (last,)),
                                     ("DELETE FROM journal WHERE seq = ?", (last,))]))
    return found


@pytest.fixture
def day(service, marie, luc, clock, tmp_path):
    """A day's sales, a pickup and a void, the store checked to its end (its verified point:
    the anchor a cut tail falls short of), then closed: the pristine copy."""
    for uid, cart in ((Badge.EMMA, {"APPLE": 1, "SOUP": 1}), (Badge.LINA, {"SOUP": 1}),
                      (Badge.EMMA, {"APPLE": 2, "WATER": 1}), (Badge.LOUIS_RESERVED, {"APPLE": 1}),
                      (Badge.CHLOE, {"SOUP": 1}), (Badge.EMMA, {"WATER": 1})):
        service.sell(marie, uid, cart, confirm={"allergen"})
        clock.advance(5)
    service.pickup(marie, Badge.LOUIS_RESERVED)
    last_sale = service.store.conn.execute(
        "SELECT MAX(seq) FROM journal WHERE kind = 'sale'").fetchone()[0]
    service.void(luc, last_sale)
    service.sell(marie, Badge.CHLOE, {"APPLE": 1})
    assert service.store.check_integrity(full=True).ok
    service.store.close()
    return service.store.path


def test_every_mutant_of_the_terminal_store_is_found(day, tmp_path):
    conn = sqlite3.connect(day)
    table = mutants(conn)
    last = conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0]
    conn.close()
    assert len(table) >= 40
    missed = []
    for n, (name, statements) in enumerate(table):
        copy = tmp_path / f"mutant{n}.db"
        shutil.copy(day, copy)
        conn = sqlite3.connect(copy)
        for trigger in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
        conn.close()
        store = open_store(copy)                    # the check at open (comptoir check: full)
        try:
            at_open = store.health
            full = store.check_integrity(full=True)
        finally:
            store.close()
        if full.ok:
            missed.append(name)
        if "cut" in name or name == f"journal {last}.hash":
            assert not at_open.ok, name     # at open too: short of the verified point, or not it
    assert missed == [], f"{len(missed)} of {len(table)} mutants not found: {missed}"
