"""The store file: pragmas, migrations, append-only journal, corruption, several writers."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from kiosk import journal
from kiosk.config import PolicySection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge
from kiosk.store import open_store
from kiosk.store.db import connect
from kiosk.store.schema import CURRENT_VERSION, migrate
from sync.common.clock import SystemClock
from sync.common.errors import StoreError


def test_wal_and_full_sync(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2     # FULL
    assert store.schema_version == CURRENT_VERSION


def test_journal_rows_cannot_be_updated_or_deleted(service, marie):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    for sql in ("UPDATE journal SET amount_cents = 0", "DELETE FROM journal",
                "UPDATE postings SET amount_cents = 0", "DELETE FROM postings"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            with service.store.write() as conn:
                conn.execute(sql)
    assert service.store.check_integrity(full=True).ok


def _old_entry(conn, seq, prev, wallet, amount, student="S1"):
    """An entry as version 1 of the program wrote it (no postings table yet)."""
    data = {"v": 1, "uuid": f"00000000-0000-0000-0000-{seq:012d}", "device": "dev-old", "seq": seq,
            "kind": "sale", "ts": f"2026-09-01T10:00:0{seq}.000000Z", "day": "2026-09-01",
            "operator": "op-1", "student": student, "amount_cents": amount,
            "postings": [{"wallet": wallet, "amount_cents": amount}],
            "lines": [{"article": "SOUP", "name": "Potage", "qty": 1, "unit_cents": -amount,
                       "total_cents": -amount, "wallet": wallet}]}
    body = journal.canonical_json(data)
    digest = journal.chain_hash(prev, body)
    conn.execute("INSERT INTO journal (seq, uuid, kind, ts, day, operator_id, student_id, amount_cents,"
                 " ref_seq, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 (seq, data["uuid"], "sale", data["ts"], data["day"], "op-1", student, amount, None,
                  body, prev, digest))
    return digest


def test_store_from_schema_v1_opens_migrated_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    conn = connect(path)
    assert migrate(conn, target=1) == 1
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('device_id', 'dev-old')")
    conn.execute("INSERT INTO students (id, first_name, last_name, class_name) VALUES"
                 " ('S1', 'Ana', 'Old', '3B')")
    conn.execute("INSERT INTO badges VALUES ('04AABBCC', 'S1', 'active')")
    conn.execute("INSERT INTO wallets (id, student_id, name, structured_communication, balance_cents,"
                 " included_seq) VALUES ('W1', 'S1', 'Portefeuille', '+++090/9337/55493+++', 1000, 1)")
    prev = journal.GENESIS
    for seq in (1, 2, 3):
        prev = _old_entry(conn, seq, prev, "W1", -100 * seq)
    conn.execute("COMMIT")
    conn.close()

    with open_store(path) as store:          # migrates to the current version
        assert store.schema_version == CURRENT_VERSION
        assert store.health.ok
        postings = store.conn.execute(
            "SELECT seq, wallet_id, amount_cents FROM postings ORDER BY seq").fetchall()
        assert postings == [(1, "W1", -100), (2, "W1", -200), (3, "W1", -300)]
        service = CounterService(store, TerminalConfig(), SystemClock())
        who = service.identify("04AABBCC")
        assert who.student.display_name == "Ana Old"
        assert who.wallets[0].balance_cents == 1000 - 200 - 300     # seq 1 already included
        assert journal.last_link(store.conn)[1] == prev
        assert store.check_integrity(full=True).ok


def test_store_from_schema_v3_keeps_its_postings_under_the_wallet_key(tmp_path):
    """Version 4 re-keys postings by (wallet, seq): every row kept, balances unchanged, the
    table still append-only, the chain still whole."""
    path = tmp_path / "v3.db"
    conn = connect(path)
    assert migrate(conn, target=3) == 3
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('device_id', 'dev-old')")
    for sid, uid, wid, balance in (("S1", "04AABBCC", "W1", 1000), ("S2", "04AABBDD", "W2", 500)):
        conn.execute("INSERT INTO students (id, first_name, last_name, class_name) VALUES"
                     " (?, 'Ana', 'Old', '3B')", (sid,))
        conn.execute("INSERT INTO badges VALUES (?, ?, 'active')", (uid, sid))
        conn.execute("INSERT INTO wallets (id, student_id, name, structured_communication,"
                     " balance_cents, included_seq) VALUES (?, ?, 'Portefeuille',"
                     " '+++090/9337/55493+++', ?, 0)", (wid, sid, balance))
    prev = journal.GENESIS
    for seq, (sid, wid) in enumerate((("S2", "W2"), ("S1", "W1"), ("S2", "W2"), ("S1", "W1")), 1):
        prev = _old_entry(conn, seq, prev, wid, -10 * seq, student=sid)
        conn.execute("INSERT INTO postings (seq, wallet_id, amount_cents) VALUES (?, ?, ?)",
                     (seq, wid, -10 * seq))
    conn.execute("COMMIT")
    conn.close()

    with open_store(path) as store:
        assert store.schema_version == CURRENT_VERSION and store.health.ok
        assert sorted(store.conn.execute("SELECT seq, wallet_id, amount_cents FROM postings")) == [
            (1, "W2", -10), (2, "W1", -20), (3, "W2", -30), (4, "W1", -40)]
        service = CounterService(store, TerminalConfig(), SystemClock())
        assert service.identify("04AABBCC").wallets[0].balance_cents == 1000 - 20 - 40
        assert service.identify("04AABBDD").wallets[0].balance_cents == 500 - 10 - 30
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute("UPDATE postings SET amount_cents = 0")
        assert store.check_integrity(full=True).ok


def test_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.db"
    open_store(path, create=True).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError) as info:
        open_store(path)
    assert info.value.code == "store_too_new"


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "comptoir.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as info:
        open_store(path)
    assert info.value.code == "store_corrupt"
    assert "endommagé" in str(info.value)


def test_damaged_pages_block_sales(store_path, store, clock):
    store.close()
    raw = bytearray(store_path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(raw), page * 8), 7):     # scribble over some pages
        raw[offset] = 0xA5
    store_path.write_bytes(bytes(raw))
    try:
        damaged = open_store(store_path)
    except StoreError as e:
        assert e.code == "store_corrupt"
        return
    with damaged:
        # Closed cleanly before the damage: the start does not read every page; the nightly
        # round of the integrity monitor does (kiosk.integrity), and blocks sales.
        damaged.check_integrity(pages=True)
        assert not damaged.health.ok and damaged.health.code in ("store_corrupt", "chain_broken")
        with pytest.raises(StoreError):
            damaged.health.raise_if_bad()


def test_missing_store_says_run_init(tmp_path):
    with pytest.raises(StoreError) as info:
        open_store(tmp_path / "none.db")
    assert info.value.code == "store_missing" and "comptoir init" in str(info.value)


def test_verified_point_moves_forward(service, marie, clock):
    for uid in (Badge.EMMA, Badge.LINA, Badge.LOUIS_RESERVED):
        service.sell(marie, uid, {"APPLE": 1}, confirm={"allergen"})
    assert service.store.check_integrity().ok
    last_seq, last_hash = journal.last_link(service.store.conn)
    verified = (int(service.store.meta("verified_seq")), service.store.meta("verified_hash"))
    assert verified == (last_seq, last_hash)


def test_two_writers_never_fork_the_chain(store_path, store, clock):
    """Two connections (as two processes would have) selling at the same time."""
    config = TerminalConfig(policy=PolicySection(double_tap_seconds=0, overdraft_limit_cents=100_000))
    badges = [Badge.EMMA, Badge.LINA, Badge.ADAM, Badge.NOAH]
    done, errors = [], []

    def seller(n):
        try:
            own = open_store(store_path)
            service = CounterService(own, config, clock)
            session = service.login("Marie", DEMO_PINS["Marie"])
            for i in range(60):
                done.append(service.sell(session, badges[(n + i) % 4], {"APPLE": 1},
                                         confirm={"allergen"}).entry.uuid)
            own.close()
        except Exception as e:      # reported below
            errors.append(e)

    threads = [threading.Thread(target=seller, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = store.conn.execute("SELECT seq, uuid FROM journal ORDER BY seq").fetchall()
    assert [seq for seq, _ in rows] == list(range(1, 181))
    assert sorted(u for _, u in rows) == sorted(done)
    assert store.check_integrity(full=True).ok


def test_a_detected_failure_blocks_every_process_until_a_full_check_passes(service, marie, store_path):
    for uid in (Badge.EMMA, Badge.LINA, Badge.LOUIS_RESERVED):
        service.sell(marie, uid, {"APPLE": 1}, confirm={"allergen"})
    assert service.store.check_integrity().ok          # verified point is now seq 3
    conn = sqlite3.connect(store_path)
    conn.execute("DROP TRIGGER journal_append_only_u")
    original = conn.execute("SELECT body FROM journal WHERE seq = 2").fetchone()[0]
    conn.execute("UPDATE journal SET body = replace(body, 'Pomme', 'Poire') WHERE seq = 2")
    conn.commit()
    assert _opened_health(store_path).ok               # before the verified point: not re-read
    with open_store(store_path, check=False) as checker:
        full = checker.check_integrity(full=True)
    assert (full.ok, full.bad_seq) == (False, 2)
    other = _opened_health(store_path)                 # any process, from now on
    assert (other.ok, other.bad_seq) == (False, 2)
    # Support restores the entry; a full check that passes lifts the block.
    conn.execute("UPDATE journal SET body = ? WHERE seq = 2", (original,))
    conn.commit()
    conn.close()
    assert not _opened_health(store_path).ok           # an incremental check does not lift it
    with open_store(store_path, check=False) as checker:
        assert checker.check_integrity(full=True).ok
    assert _opened_health(store_path).ok


def _opened_health(path):
    """The health a process opening the store finds (the start-up check)."""
    with open_store(path) as store:
        return store.health
