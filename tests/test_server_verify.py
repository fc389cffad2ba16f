"""The platform verifies what it holds (``sync.server.verify``): a table of mutants of a real
central database, on SQLite and PostgreSQL. A school with three terminals that sold, voided
and handed over reservations, and a ledger that took top-ups, a bank statement, reservations
and a refund, is verified once (clean: its anchors are written); then each mutant changes the
database by hand as an editor with a SQL console could, the verification must report it,
naming the terminal and seq or the wallet, and the database is put back (and verifies clean
again: no false alarm). Every mutant must be detected: the figures are printed."""
from __future__ import annotations

import importlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest

from kiosk.journal import GENESIS, chain_hash, make_entry
from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.protocol import PushedEntry
from sync.server import ledger, verify
from sync.server.storage import CentralError, CentralStore

from .conftest import BRUSSELS

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=BRUSSELS)    # before the 08:30 cutoff
TODAY = MORNING.date().isoformat()
TABLES = ("journal", "postings", "wallet_movements", "wallets", "devices")
# 68 mutants, each verified twice, on both backends: 25-40 s on a loaded 2-core machine.
pytestmark = pytest.mark.slow(seconds=50)


class Till:
    """A terminal's chain, pushed through the store as the HTTP route does."""

    def __init__(self, store: CentralStore, name: str):
        self.store = store
        self.device = store.authenticate(store.enrol(store.create_enrol_code("school-a", name),
                                                     str(uuid.uuid4()))["token"])
        self.seq, self.last = 0, GENESIS

    def entry(self, kind: str, postings: list[tuple[str, int]], student: str | None,
              minute: int, **details) -> PushedEntry:
        self.seq += 1
        _, body, digest = make_entry(
            device_id=self.device.id, seq=self.seq, prev_hash=self.last, kind=kind,
            ts=f"2026-11-24T11:{minute:02d}:00.000000Z", day=TODAY, operator_id="op-marie",
            student_id=student, postings=postings, details=details)
        e = PushedEntry(seq=self.seq, body=body, prev_hash=self.last, hash=digest)
        self.last = digest
        return e


def fill(store: CentralStore, demo_data: dict) -> None:
    store.add_school("School A", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    rng = random.Random(15)
    wallets = [(w["id"], w["student_id"]) for w in demo_data["wallets"]]
    for name in ("Cantine 1", "Cantine 2", "Accueil"):
        till = Till(store, name)
        entries = []
        for i in range(12):
            wallet, student = rng.choice(wallets)
            cents = -rng.choice((100, 250, 300, 420))
            entries.append(till.entry("sale", [(wallet, cents)], student, i))
            if i % 5 == 4:      # a void of the sale just made
                entries.append(till.entry("void", [(wallet, -cents)], student, i,
                                          ref_seq=till.seq))
        entries.append(till.entry("close", [], None, 59))
        store.push(till.device, entries)
    ledger.topup(store, "school-a", "W00002", 1500, "cash")
    ledger.topup(store, "school-a", "W00003", 2000, None)
    communication = next(w["structured_communication"] for w in demo_data["wallets"]
                         if w["id"] == "W00004")
    ledger.import_bank(store, "school-a", "date;amount;communication\n"
                                          f"20/11/2026;12,50;{communication}\n")
    done = ledger.create_reservation(store, "school-a", "S00002", MORNING.date(), "SANDW-HAM")
    ledger.create_reservation(store, "school-a", "S00003", MORNING.date(), "SANDW-CHEESE",
                              confirm_allergens=True)
    ledger.cancel_reservation(store, "school-a", done["reservation"]["id"])


@pytest.fixture(scope="module")
def platform(central_dbs, demo_data, tmp_path_factory):
    clock = ManualClock(MORNING)
    store = CentralStore(central_dbs.new(), create=True, now=clock.now)
    fill(store, demo_data)
    anchors = tmp_path_factory.mktemp("anchors") / "central.anchors.json"
    first = verify.verify(store, "school-a", anchors_path=anchors)
    assert first.ok, first.findings
    assert (first.devices, first.entries) == (3, 3 * 15)
    yield store, anchors, snapshot(store)
    store.close()


# -- putting the database back after each mutant -----------------------------------------------
def snapshot(store: CentralStore) -> dict[str, tuple[list[str], list[tuple]]]:
    saved = {}
    with store.transaction(write=False) as conn:
        for table in TABLES:
            cursor = store.execute(conn, f"SELECT * FROM {table}")
            saved[table] = ([d[0] for d in cursor.description], cursor.fetchall())
    return saved


def restore(store: CentralStore, saved: dict) -> None:
    with store.transaction() as conn:
        store.execute(conn, "DELETE FROM journal")      # before its devices (foreign key)
        columns, rows = saved["devices"]
        store.execute_many(conn, f"INSERT INTO devices ({', '.join(columns)}) VALUES"
                                 f" ({', '.join('?' * len(columns))}) ON CONFLICT (id) DO UPDATE"
                                 " SET " + ", ".join(f"{c} = excluded.{c}" for c in columns),
                           rows)
        for table in ("journal", "postings", "wallet_movements", "wallets"):
            columns, rows = saved[table]
            store.execute(conn, f"DELETE FROM {table}")
            store.execute_many(conn, f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
                                     f" ({', '.join('?' * len(columns))})", rows)


# -- the mutants -------------------------------------------------------------------------------
@dataclass
class Mutant:
    name: str
    statements: list[tuple[str, tuple]]     # what the editor runs
    device: str | None = None               # a finding must name this terminal ...
    wallet: str | None = None               # ... or this wallet


def changed(value):
    """Another value of the same type, as an editor would type it."""
    if value is None:
        return "S00001"
    if isinstance(value, int):
        return value + 1
    return value[:-1] + ("1" if value[-1] != "1" else "2")


def mutants(saved: dict) -> list[Mutant]:
    rng = random.Random(2026)
    columns, journal = saved["journal"]
    col = columns.index
    by_device: dict[str, list[tuple]] = {}
    for row in sorted(journal, key=lambda r: (r[col("device_id")], r[col("seq")])):
        by_device.setdefault(row[col("device_id")], []).append(row)
    devices = sorted(by_device)
    d0, chain = devices[0], by_device[devices[0]]
    middle = chain[len(chain) // 2]
    sale = next(r for r in chain[3:] if r[col("kind")] == "sale")
    seq = middle[col("seq")]
    where = " WHERE device_id = ? AND seq = ?"
    wallet_of_sale = next(p[2] for p in saved["postings"][1]
                          if p[0] == d0 and p[1] == sale[col("seq")])
    m = [   # the issue's twelve
        Mutant("amount changed", [("UPDATE journal SET amount_cents = amount_cents - 100" + where,
                                   (d0, sale[col("seq")]))], d0),
        Mutant("student changed", [("UPDATE journal SET student_id = 'S00042'" + where,
                                    (d0, sale[col("seq")]))], d0),
        Mutant("wallet changed", [("UPDATE postings SET wallet_id = 'W00042'" + where,
                                   (d0, sale[col("seq")]))], d0),
        Mutant("time changed", [("UPDATE journal SET ts = '2026-11-24T09:00:00.000000Z'" + where,
                                 (d0, sale[col("seq")]))], d0),
        Mutant("hash changed", [("UPDATE journal SET hash = ?" + where,
                                 (changed(middle[col("hash")]), d0, seq))], d0),
        Mutant("body changed", [("UPDATE journal SET body = REPLACE(body, '\"ts\":\"2026-11-24T11',"
                                 " '\"ts\":\"2026-11-24T10')" + where, (d0, seq))], d0),
        Mutant("row deleted (middle)", [("DELETE FROM journal" + where, (d0, seq)),
                                        ("DELETE FROM postings" + where, (d0, seq))], d0),
        Mutant("row replaced by a consistent one",
               replaced(saved, d0, sale, wallet_of_sale), d0),
        Mutant("tail truncated (journal only)",
               [("DELETE FROM journal WHERE device_id = ? AND seq > ?", (d0, seq)),
                ("DELETE FROM postings WHERE device_id = ? AND seq > ?", (d0, seq))], d0),
        Mutant("tail truncated, platform head moved back too",
               [("DELETE FROM journal WHERE device_id = ? AND seq > ?", (d0, seq)),
                ("DELETE FROM postings WHERE device_id = ? AND seq > ?", (d0, seq)),
                ("UPDATE devices SET high_water = ?, last_hash = ? WHERE id = ?",
                 (seq, middle[col("hash")], d0))], d0),
        Mutant("balance raised by 50 EUR", [("UPDATE wallets SET balance_cents = balance_cents"
                                             " + 5000 WHERE id = 'W00001'", ())], wallet="W00001"),
        Mutant("two rows swapped", swapped(saved, chain[2], chain[6]), d0),
    ]
    m += [
        Mutant("chain rewritten from the middle (hashes recomputed, head moved)",
               rewritten(saved, chain, len(chain) // 2), d0),
        Mutant("posting deleted", [("DELETE FROM postings" + where, (d0, sale[col("seq")]))], d0),
        Mutant("posting added", [("INSERT INTO postings (device_id, seq, wallet_id, amount_cents)"
                                  " VALUES (?, ?, 'W00050', -100)", (d0, sale[col("seq")]))], d0),
        Mutant("last entry deleted, head kept", [
            ("DELETE FROM journal" + where, (d0, chain[-1][col("seq")]))], d0),
        Mutant("balance lowered by 1 cent", [("UPDATE wallets SET balance_cents = balance_cents"
                                              " - 1 WHERE id = 'W00010'", ())], wallet="W00010"),
        Mutant("balance and opening raised together", [
            ("UPDATE wallets SET balance_cents = balance_cents + 5000,"
             " opening_cents = opening_cents + 5000 WHERE id = 'W00001'", ())], wallet="W00001"),
        Mutant("top-up raised, balance too", [
            ("UPDATE wallet_movements SET amount_cents = amount_cents + 5000"
             " WHERE wallet_id = 'W00002' AND kind = 'topup'", ()),
            ("UPDATE wallets SET balance_cents = balance_cents + 5000 WHERE id = 'W00002'", ())],
               wallet="W00002"),
        Mutant("refund deleted, balance too", [
            ("DELETE FROM wallet_movements WHERE wallet_id = 'W00002' AND kind = 'refund'", ()),
            ("UPDATE wallets SET balance_cents = balance_cents - 500 WHERE id = 'W00002'", ())],
               wallet="W00002"),
        Mutant("old top-up invented, balance too", [
            ("INSERT INTO wallet_movements (school_id, id, wallet_id, kind, amount_cents, ts, day)"
             " VALUES ('school-a', 'M-FAKE', 'W00005', 'topup', 5000,"
             " '2026-11-01T10:00:00.000000Z', '2026-11-01')", ()),
            ("UPDATE wallets SET balance_cents = balance_cents + 5000 WHERE id = 'W00005'", ())],
               wallet="W00005"),
        Mutant("wallet deleted", [("DELETE FROM wallets WHERE id = 'W00004'", ())],
               wallet="W00004"),
        Mutant("terminal deleted with its journal", [
            ("DELETE FROM postings WHERE device_id = ?", (d0,)),
            ("DELETE FROM journal WHERE device_id = ?", (d0,)),
            ("DELETE FROM devices WHERE id = ?", (d0,))], d0),
        Mutant("terminal moved to another school", [
            ("INSERT INTO schools (id, name, created_at) VALUES ('school-x', 'X',"
             " '2026-11-24T06:00:00.000000Z') ON CONFLICT (id) DO NOTHING", ()),
            ("UPDATE devices SET school_id = 'school-x' WHERE id = ?", (d0,))], d0),
        Mutant("body not JSON", [("UPDATE journal SET body = 'garbage'" + where, (d0, seq))], d0),
        Mutant("body with postings of another shape", [
            ("UPDATE journal SET body = REPLACE(body, '\"postings\":[', '\"postings\":[[1],')"
             + where, (d0, sale[col("seq")]))], d0),
    ]
    # generated: each field of random rows
    for table, skip, key in (("journal", {"device_id", "seq", "received_at"}, "device_id"),
                             ("postings", {"device_id", "seq"}, "device_id"),
                             ("wallet_movements", {"school_id", "id"}, "wallet_id"),
                             ("wallets", {"school_id", "id", "version"}, "id")):
        columns, rows = saved[table]
        for column in columns:
            if column in skip:
                continue
            for row in rng.sample(rows, min(2, len(rows))):
                value = row[columns.index(column)]
                if table == "wallets" and column not in ("balance_cents", "opening_cents"):
                    continue    # names, kinds, communications: the roster's, not money
                ident = {c: row[columns.index(c)] for c in
                         (("device_id", "seq") if table in ("journal", "postings")
                          else ("school_id", "id"))}
                if table == "postings":
                    ident["wallet_id"] = row[columns.index("wallet_id")]
                sql = (f"UPDATE {table} SET {column} = ? WHERE "
                       + " AND ".join(f"{c} = ?" for c in ident))
                named = row[columns.index(key)]
                m.append(Mutant(f"{table}.{column} of a random row",
                                [(sql, (changed(value), *ident.values()))],
                                device=named if key == "device_id" else None,
                                wallet=named if key != "device_id" else None))
    return m


def replaced(saved: dict, d0: str, row: tuple, wallet: str) -> list[tuple[str, tuple]]:
    """The sale at ``row`` replaced by another, well-formed, whose hash is its own (the link
    to the next entry breaks, unless the editor rewrites the rest: see ``rewritten``)."""
    columns = saved["journal"][0]
    col = columns.index
    _, body, digest = make_entry(device_id=d0, seq=row[col("seq")], prev_hash=row[col("prev_hash")],
                                 kind="sale", ts=row[col("ts")], day=TODAY, operator_id="op-marie",
                                 student_id=row[col("student_id")], postings=[(wallet, -50)])
    return [("UPDATE journal SET body = ?, hash = ?, amount_cents = -50 WHERE device_id = ?"
             " AND seq = ?", (body, digest, d0, row[col("seq")])),
            ("UPDATE postings SET amount_cents = -50 WHERE device_id = ? AND seq = ?",
             (d0, row[col("seq")]))]


def swapped(saved: dict, a: tuple, b: tuple) -> list[tuple[str, tuple]]:
    columns = saved["journal"][0]
    col = columns.index
    fields = ("body", "hash", "prev_hash", "uuid", "kind", "ts", "student_id", "amount_cents")
    sets = ", ".join(f"{f} = ?" for f in fields)
    return [(f"UPDATE journal SET {sets} WHERE device_id = ? AND seq = ?",
             (*(y[col(f)] for f in fields), x[col("device_id")], x[col("seq")]))
            for x, y in ((a, b), (b, a))]


def rewritten(saved: dict, chain: list[tuple], start: int) -> list[tuple[str, tuple]]:
    """An editor who knows the chain: one amount lowered in a body, every hash after it
    recomputed, the device's head moved to the new last hash. Only the anchor sees it."""
    columns = saved["journal"][0]
    col = columns.index
    statements, prev = [], chain[start][col("prev_hash")]
    for i, row in enumerate(chain[start:]):
        body = row[col("body")]
        if i == 0:
            body = body.replace('"op-marie"', '"op-luc"')
        digest = chain_hash(prev, body)
        statements.append(("UPDATE journal SET body = ?, prev_hash = ?, hash = ?,"
                           " operator_id = ? WHERE device_id = ? AND seq = ?",
                           (body, prev, digest, "op-luc" if i == 0 else row[col("operator_id")],
                            row[col("device_id")], row[col("seq")])))
        prev = digest
    statements.append(("UPDATE devices SET last_hash = ? WHERE id = ?",
                       (prev, chain[0][col("device_id")])))
    return statements


def test_every_mutant_of_the_platform_database_is_detected(platform, backend, capsys):
    store, anchors, saved = platform
    table = mutants(saved)
    issue_cases = 12
    missed, unnamed = [], []
    for mutant in table:
        with store.transaction() as conn:
            for sql, params in mutant.statements:
                store.execute(conn, sql, params)
        result = verify.verify(store, "school-a", anchors_path=anchors)
        if result.ok:
            missed.append(mutant.name)
        elif not any((mutant.device and f.device_id == mutant.device)
                     or (mutant.wallet and f.wallet_id == mutant.wallet)
                     for f in result.findings):
            unnamed.append((mutant.name, result.findings))
        restore(store, saved)
        again = verify.verify(store, "school-a", anchors_path=anchors)
        assert again.ok, (mutant.name, again.findings)
    with capsys.disabled():
        print(f"\n[{backend}] mutants: {len(table)} ({issue_cases} of the issue, "
              f"{len(table) - issue_cases} more), detected {len(table) - len(missed)}, "
              f"missed {len(missed)}")
    assert len(table) >= 40
    assert missed == []
    assert unnamed == []


def test_a_finding_names_the_terminal_and_seq_and_nothing_is_repaired(platform):
    store, anchors, saved = platform
    columns, journal = saved["journal"]
    row = journal[5]
    device, seq = row[columns.index("device_id")], row[columns.index("seq")]
    with store.transaction() as conn:
        store.execute(conn, "UPDATE journal SET amount_cents = 1 WHERE device_id = ? AND seq = ?",
                      (device, seq))
        store.execute(conn, "UPDATE wallets SET balance_cents = balance_cents + 5000"
                            " WHERE id = 'W00001'")
    try:
        for _ in range(2):      # reported every time: nothing repaired, the anchor stays
            result = verify.verify(store, "school-a", anchors_path=anchors)
            column = [f for f in result.findings if f.code == "column"]
            assert [(f.device_id, f.seq, f.expected) for f in column] == [
                (device, seq, "amount_cents")]
            balance = [f for f in result.findings if f.code == "balance"]
            assert [(f.wallet_id, f.found - f.expected) for f in balance] == [("W00001", 5000)]
            assert str(verify.describe(balance[0])).startswith("wallet W00001: balance")
        assert snapshot(store)["journal"] != saved["journal"]   # still as the editor left it
    finally:
        restore(store, saved)
    assert verify.verify(store, "school-a", anchors_path=anchors).ok


def test_verification_is_recorded(platform):
    store, anchors, _ = platform
    result = verify.verify(store, "school-a", anchors_path=anchors, trigger="command")
    with store.transaction(write=False) as conn:
        row = store.execute(conn, "SELECT trigger, problems, finished_at FROM verifications"
                                  " WHERE id = ?", (result.verification_id,)).fetchone()
    assert row == ("command", 0, result.finished_at)


def test_openings_loaded_and_computed_by_the_upgrade(platform, demo_data):
    """A loaded wallet's opening is its file balance; revision 0006 computes the openings of
    an older database (without the column's values) from its balances and movements."""
    store, anchors, saved = platform
    columns, wallets = saved["wallets"]
    opening = {r[columns.index("id")]: r[columns.index("opening_cents")] for r in wallets}
    assert opening == {w["id"]: w["balance_cents"] for w in demo_data["wallets"]}
    revision = importlib.import_module(
        "sync.server.migrations.versions.0006_wallets_opening_balance_and_verification")
    try:
        with store.transaction() as conn:
            store.execute(conn, "UPDATE wallets SET opening_cents = 0")
            store.execute(conn, revision.OPENINGS)
        again = snapshot(store)["wallets"]
        assert sorted(again[1]) == sorted(wallets)
    finally:
        restore(store, saved)


def test_a_restore_is_reported_until_an_admin_accepts_it(platform):
    """A database restored from an older backup (here: its tail and head moved back) is a
    cut tail for the anchors, every night, until an admin accepts it (``--accept``)."""
    store, anchors, saved = platform
    columns, journal = saved["journal"]
    device = journal[0][columns.index("device_id")]
    cut = [r for r in journal if r[columns.index("device_id")] == device][9]
    try:
        with store.transaction() as conn:
            for table in ("journal", "postings"):
                store.execute(conn, f"DELETE FROM {table} WHERE device_id = ? AND seq > 10",
                              (device,))
            store.execute(conn, "UPDATE devices SET high_water = 10, last_hash = ? WHERE id = ?",
                          (cut[columns.index("hash")], device))
            store.execute(conn, "UPDATE wallets SET balance_cents = opening_cents + COALESCE(("
                                "SELECT SUM(amount_cents) FROM wallet_movements m WHERE"
                                " m.wallet_id = wallets.id), 0) + COALESCE((SELECT"
                                " SUM(p.amount_cents) FROM postings p WHERE p.wallet_id ="
                                " wallets.id), 0)")
        for _ in range(2):
            found = verify.verify(store, "school-a", anchors_path=anchors).findings
            assert [(f.code, f.device_id, f.expected, f.found) for f in found] == [
                ("anchor_short", device, 15, 10)]
        accepted = verify.verify(store, "school-a", anchors_path=anchors, accept=True)
        assert [f.code for f in accepted.findings] == ["anchor_short"]     # said once more
        assert verify.verify(store, "school-a", anchors_path=anchors).ok
    finally:
        restore(store, saved)       # the terminal pushes its entries again: whole again
    assert verify.verify(store, "school-a", anchors_path=anchors).ok


def test_a_lost_anchors_file_is_said_until_accepted(platform):
    store, anchors, _ = platform
    kept = anchors.read_bytes()
    try:
        anchors.unlink()
        for _ in range(2):
            found = verify.verify(store, "school-a", anchors_path=anchors).findings
            assert [(f.code, f.found) for f in found] == [("anchors_missing", str(anchors))]
            assert "not in" in str(verify.describe(found[0]))
        verify.verify(store, "school-a", anchors_path=anchors, accept=True)
        assert verify.verify(store, "school-a", anchors_path=anchors).ok
        anchors.write_text("{not json")
        with pytest.raises(CentralError, match="not a Comptoir anchors file"):
            verify.verify(store, "school-a", anchors_path=anchors)
    finally:
        anchors.write_bytes(kept)
    assert verify.verify(store, "school-a", anchors_path=anchors).ok
