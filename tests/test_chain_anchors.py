"""A journal cut at its end is caught (issue 15, point 1).

The chain check proves each entry links to the one before; deleting the newest entries (the
append-only triggers dropped first, as someone with the file would) leaves a chain that still
links. Every anchor the store holds (what the platform acknowledged, the balances' included
seq, the last verified point, the last Z, the print queue) must be reached by the journal:
at open, by ``comptoir check``, and before any sale. A real store file throughout."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from kiosk.counter import CounterService
from kiosk.demo.school import Badge
from kiosk.store import open_store
from kiosk.store.schema import _APPEND_ONLY
from sync.common.errors import StoreError


def cut_tail(path, keep: int) -> None:
    """What someone with the file does: drop the triggers, delete the newest entries and
    their postings, put the triggers back."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    for t in ("journal", "postings"):
        conn.execute(f"DROP TRIGGER {t}_append_only_d")
    conn.execute("DELETE FROM journal WHERE seq > ?", (keep,))
    conn.execute("DELETE FROM postings WHERE seq > ?", (keep,))
    for t in ("journal", "postings"):
        for stmt in _APPEND_ONLY.format(t=t).strip().split(";\n"):
            if f"{t}_append_only_d" in stmt:
                conn.execute(stmt.rstrip(";") + ";")
    conn.execute("COMMIT")
    conn.close()


def _sell(service, marie, count: int) -> None:
    for _ in range(count):
        service.sell(marie, Badge.EMMA, {"SOUP": 1}, confirm={"double_tap"})


def _anchor(store, service, name: str, marie, luc) -> None:
    """Give the store one anchor at entry 5 (and no other beyond entry 3)."""
    with store.write() as conn:
        if name == "acknowledged":
            store.set_kv(conn, "sync_state", "pushed_seq", 5)
        elif name == "balances":
            conn.execute("UPDATE wallets SET included_seq = 5 WHERE id = 'W00001'")
    if name == "verified":
        assert store.check_integrity().ok
        assert store.meta("verified_seq") == "5"
    elif name == "day_close":
        service.close_day(luc)          # entry 6, a Z; its print job removed below
        with store.write() as conn:
            conn.execute("DELETE FROM print_jobs")
    elif name == "print_queue":
        service.request_receipt(5)


@pytest.mark.parametrize("anchor", ["acknowledged", "balances", "verified", "day_close",
                                    "print_queue"])
def test_a_cut_tail_blocks_sales_at_open(store, service, marie, luc, config, clock, anchor):
    _sell(service, marie, 5)
    _anchor(store, service, anchor, marie, luc)
    path = store.path
    store.close()
    cut_tail(path, keep=3)

    reopened = open_store(path)
    try:
        health = reopened.health
        assert not health.ok and health.code == "journal_cut", (anchor, health)
        again = CounterService(reopened, config, clock)
        seller = again.login("Marie", "1234")
        with pytest.raises(StoreError) as refused:
            again.sell(seller, Badge.EMMA, {"SOUP": 1}, confirm={"double_tap"})
        assert refused.value.code == "journal_cut"
        # what a canteen worker reads: what happened and what to do
        text = refused.value.message("fr")
        assert "manquent" in text and "synchronisez" in text.lower(), text
        assert reopened.conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0] == 3
        # nothing clears it but the journal reaching the anchor again: a full check neither
        assert not reopened.check_integrity(full=True).ok
    finally:
        reopened.close()


def test_an_intact_store_with_every_anchor_sells(store, service, marie, luc):
    from kiosk import anchors
    _sell(service, marie, 5)
    for name in ("acknowledged", "balances", "verified", "print_queue"):
        _anchor(store, service, name, marie, luc)
    service.close_day(luc)
    assert {a[0] for a in anchors.anchors(store.conn)} == {
        "acknowledged", "balances", "verified", "day_close", "print_queue"}
    assert store.check_integrity().ok and store.check_integrity(full=True).ok


def test_a_replaced_tail_at_the_verified_point_is_a_broken_chain(store, service, marie):
    """Cut back to 3 and sold again up to 5: entry 5 is not the one verified before."""
    _sell(service, marie, 5)
    assert store.check_integrity().ok
    path = store.path
    store.close()
    cut_tail(path, keep=3)
    # a release without the anchors sold on from entry 3: append the way its sale did
    from kiosk import journal
    with open_store(path, check=False) as s, s.write() as conn:
        for _ in range(2):
            journal.append(conn, device_id=s.device_id, kind="sale", ts="2026-11-24T11:00:00Z",
                           day="2026-11-24", operator_id="op", postings=[])
    with open_store(path) as s:
        assert s.health.code == "chain_broken" and s.health.bad_seq == 5, s.health


def test_comptoir_check_says_the_journal_was_cut(tmp_path, store, service, marie):
    """`comptoir check` on a cut store: not "intègre", exit code 1, the reason in French."""
    _sell(service, marie, 4)
    with store.write() as conn:
        store.set_kv(conn, "sync_state", "pushed_seq", 4)
    path = store.path
    store.close()
    cut_tail(path, keep=2)
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "--data", str(path.parent),
                           "check"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "intègre" not in proc.stdout + proc.stderr
    assert "entrée 4" in proc.stderr or "opération 4" in proc.stderr, proc.stderr
