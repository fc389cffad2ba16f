"""The journal's chain, recomputed independently of kiosk.journal, and each kind of damage."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid

import pytest
from hypothesis import given, settings, strategies as st

from kiosk import journal
from kiosk.demo.school import Badge


@pytest.fixture
def three_sales(service, marie, clock):
    for uid in (Badge.EMMA, Badge.LINA, Badge.LOUIS_RESERVED):
        service.sell(marie, uid, {"APPLE": 1, "SOUP": 1}, confirm={"allergen"})
        clock.advance(1)
    return service.store


def test_chain_is_sha256_of_prev_hash_and_canonical_json(three_sales):
    rows = three_sales.conn.execute(
        "SELECT seq, uuid, body, prev_hash, hash FROM journal ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, uid, body, prev_hash, digest in rows:
        data = json.loads(body)
        assert body == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert prev_hash == prev
        assert digest == hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        assert data["seq"] == seq and uuid.UUID(data["uuid"]).version == 7 and data["uuid"] == uid
        assert all(isinstance(p["amount_cents"], int) for p in data["postings"])
        prev = digest
    assert [r[0] for r in rows] == [1, 2, 3]


def _reference(obj) -> str:
    """The canonical form as DESIGN.md defines it, by the standard library."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Every character but lone surrogates (UTF-8 cannot carry them): controls, quotes,
# backslashes, DEL, U+2028, accents, emoji.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_canonical_json_is_the_standard_librarys_sorted_compact_form(value):
    assert journal.canonical_json(value) == _reference(value)


@pytest.mark.parametrize("value", [{"amount_cents": 2**70}, {"name": "\ud800"}, {1: "x"}])
def test_a_value_without_canonical_form_is_a_value_error(value):
    with pytest.raises(ValueError):
        journal.canonical_json(value)


def test_a_body_without_canonical_form_fails_the_chain_check(three_sales):
    # A body the stdlib reads (an integer beyond 64 bits) but that has no canonical form:
    # the check names the entry instead of crashing.
    conn = three_sales.conn
    body = conn.execute("SELECT body FROM journal WHERE seq = 2").fetchone()[0]
    data = json.loads(body)
    data["big"] = 2**70
    forged = _reference(data)
    conn.execute("DROP TRIGGER journal_append_only_u")
    prev = conn.execute("SELECT prev_hash FROM journal WHERE seq = 2").fetchone()[0]
    conn.execute("UPDATE journal SET body = ?, hash = ? WHERE seq = 2",
                 (forged, hashlib.sha256((prev + forged).encode()).hexdigest()))
    report = journal.verify(conn)
    assert not report.ok and report.bad_seq == 2 and "canonical" in report.reason


def test_append_needs_a_write_transaction(store):
    with pytest.raises(RuntimeError):
        journal.append(store.conn, device_id="d", kind="sale", ts="t", day="d", operator_id=None)
    with pytest.raises(ValueError):
        with store.write() as conn:
            journal.append(conn, device_id="d", kind="refund", ts="t", day="d", operator_id=None)


def tamper(store, sql, *params):
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER IF EXISTS journal_append_only_u")
    conn.execute("DROP TRIGGER IF EXISTS journal_append_only_d")
    conn.execute("DROP TRIGGER IF EXISTS postings_append_only_u")
    conn.execute("DROP TRIGGER IF EXISTS postings_append_only_d")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("sql, reason", [
    ("UPDATE journal SET amount_cents = 0 WHERE seq = 2", "column 'amount_cents' differs"),
    ("UPDATE journal SET student_id = 'S00002' WHERE seq = 2", "column 'student' differs"),
    ("UPDATE journal SET prev_hash = hash WHERE seq = 2", "prev_hash does not match"),
    ("UPDATE journal SET body = replace(body, '-150', '-15') WHERE seq = 2", "hash does not match"),
    ("UPDATE postings SET amount_cents = -1 WHERE seq = 2", "wallet postings differ"),
    ("DELETE FROM postings WHERE seq = 2", "wallet postings differ"),
    # A posting no entry names (it would change a displayed balance): found by the count.
    ("INSERT INTO postings (wallet_id, seq, amount_cents) VALUES ('W-OTHER', 2, -5)",
     "wallet postings differ"),
    ("DELETE FROM journal WHERE seq = 2", "entry 2 is missing"),
])
def test_each_kind_of_damage_is_found_at_its_seq(three_sales, sql, reason):
    tamper(three_sales, sql)
    for batch in (5000, 2, 1):          # wherever the batches of the check split the journal
        report = journal.verify(three_sales.conn, batch=batch)
        assert (report.ok, report.bad_seq, report.last_seq) == (False, 2, 1)
        assert reason in report.reason


def test_damage_found_by_an_incremental_check_too(three_sales):
    """From a verified point: a posting added to a later entry, or one taken away."""
    conn = three_sales.conn
    head_1 = conn.execute("SELECT hash FROM journal WHERE seq = 1").fetchone()[0]
    assert journal.verify(conn, 1, head_1).ok
    tamper(three_sales, "INSERT INTO postings (wallet_id, seq, amount_cents) VALUES ('W-X', 3, 7)")
    report = journal.verify(conn, 1, head_1)
    assert (report.ok, report.bad_seq, report.last_seq) == (False, 3, 2)
    assert report.last_hash == conn.execute("SELECT hash FROM journal WHERE seq = 2").fetchone()[0]
    tamper(three_sales, "DELETE FROM postings WHERE wallet_id = 'W-X'")
    assert journal.verify(conn, 1, head_1).ok
    tamper(three_sales, "DELETE FROM postings WHERE seq = 3")
    assert journal.verify(conn, 1, head_1).bad_seq == 3


def test_rewritten_chain_from_the_middle_is_still_caught_by_the_next_entry(three_sales):
    """Recomputing seq 2's hash after editing it breaks seq 3's prev_hash."""
    conn = three_sales.conn
    body = conn.execute("SELECT body FROM journal WHERE seq = 2").fetchone()[0]
    prev = conn.execute("SELECT hash FROM journal WHERE seq = 1").fetchone()[0]
    forged = body.replace('"qty":1', '"qty":2', 1)
    tamper(three_sales, "UPDATE journal SET body = ?, hash = ? WHERE seq = 2",
           forged, journal.chain_hash(prev, forged))
    report = journal.verify(conn)
    assert (report.ok, report.bad_seq) == (False, 3)


def test_verification_resumes_from_a_point(three_sales):
    conn = three_sales.conn
    seq1_hash = conn.execute("SELECT hash FROM journal WHERE seq = 1").fetchone()[0]
    report = journal.verify(conn, 1, seq1_hash)
    assert (report.ok, report.checked, report.last_seq) == (True, 2, 3)
    assert not journal.verify(conn, 1, "f" * 64).ok


def test_confirmations_recorded_only_when_needed(service, marie):
    plain = service.sell(marie, Badge.EMMA, {"APPLE": 1}, confirm={"allergen", "double_tap"})
    assert "confirmed" not in plain.entry.data
    alert = service.sell(marie, Badge.LINA, {"SOUP": 1}, confirm={"allergen", "double_tap"})
    assert alert.entry.data["confirmed"] == ["allergen"]
