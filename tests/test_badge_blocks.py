"""A lost badge is blocked everywhere (issue 13, point 1), end to end on the real parts: two
terminal stores driven through their `comptoir` commands and the real sync agent, the
reference server as its own process (`comptoir central serve`) over loopback HTTP, restarted
on the same database where the test says so; on a SQLite file, then on PostgreSQL
(``backend``, see conftest.py)."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from kiosk.demo.school import Badge

from .central_db import central_rows
from .test_sync_e2e import comptoir, enrolled_terminal, free_port

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=400)

LUC = {"operator": "Luc", "pin": "5678"}          # supervisor
MARIE = {"operator": "Marie", "pin": "1234"}      # seller
REFUSED = 3                                       # `comptoir`'s exit code for a refusal


class Platform:
    """`comptoir central serve` on one database and one port, which can be restarted (a new
    process on the same database)."""

    def __init__(self, db: str):
        self.db, self.port = db, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "central", "serve", "--db", self.db, "--port",
             str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/api/v1/device", timeout=1)
                return
            except requests.ConnectionError:
                assert self.process.poll() is None, self.process.stderr.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process.stderr.close()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def central(self, *args: str, check_rc: int | None = 0) -> subprocess.CompletedProcess:
        return comptoir("central", *args, "--db", self.db, check_rc=check_rc)

    def badge_status(self, uid: str) -> str:
        [(status,)] = central_rows(self.db, "SELECT status FROM badges WHERE uid = ?", (uid,))
        return status


@pytest.fixture(scope="module")
def platform(central_dbs):
    db = central_dbs.new()
    comptoir("central", "init", "--db", db, "--school", "Institut Saint-Michel")
    comptoir("central", "demo-data", "--db", db, "--students", "40")
    served = Platform(db)
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def terminals(platform, tmp_path):
    """Two terminals enrolled with the platform, each with the school pulled."""
    made = []
    for name in ("Cantine 1", "Cantine 2"):
        folder = tmp_path / name.replace(" ", "")
        enrolled_terminal({"db": platform.db, "url": platform.url}, folder, name)
        comptoir("sync", "--once", data=folder)
        made.append(folder)
    return made


def sell_soup(folder, uid: str, check_rc: int = 0) -> subprocess.CompletedProcess:
    return comptoir("sell", "--badge", uid, "SOUP", "--confirm", "double_tap", data=folder,
                    check_rc=check_rc, **MARIE)


def refused_as_blocked(folder, uid: str) -> None:
    out = sell_soup(folder, uid, check_rc=REFUSED)
    assert "Badge bloqué" in out.stderr, out.stderr


def test_block_on_one_terminal_is_refused_everywhere_after_restart_and_full_resync(
        platform, terminals):
    from kiosk.config import TerminalConfig
    from kiosk.counter import CounterService
    from kiosk.store import open_store

    t1, t2 = terminals
    with open_store(t1 / "comptoir.db") as store:     # as the touch app's "Badge perdu" does
        service = CounterService(store, TerminalConfig())
        service.block_badge(service.login(LUC["operator"], LUC["pin"]), Badge.EMMA)
    refused_as_blocked(t1, Badge.EMMA)
    sell_soup(t2, Badge.EMMA)                     # T2 has not heard of it yet

    comptoir("sync", "--once", data=t1)           # T1 pushes its journal, the block with it
    assert platform.badge_status(Badge.EMMA) == "blocked"
    comptoir("sync", "--once", data=t2)           # T2's next pull carries it
    refused_as_blocked(t2, Badge.EMMA)

    platform.restart()                            # a new server process on the same database
    for folder in (t1, t2):
        comptoir("sync", "--full", data=folder)
        refused_as_blocked(folder, Badge.EMMA)


# -- the platform's side, on its own (both backends: ``central_db``) -----------------------------
@pytest.fixture
def school(central_db, demo_data):
    from sync.models import DataSet
    from sync.server.storage import CentralStore
    store = CentralStore(central_db, create=True)
    store.add_school("School A", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    try:
        yield store
    finally:
        store.close()


class PushingTerminal:
    """A terminal's chain made as ``kiosk.journal.append`` makes it, pushed straight to the
    platform's push (what the HTTP route calls)."""

    def __init__(self, store):
        import uuid
        self.store, self.seq, self.last_hash = store, 0, "0" * 64
        code = store.create_enrol_code("school-a", "Cantine 1")
        token = store.enrol(code, str(uuid.uuid4()))["token"]
        self.device = store.authenticate(token)

    def entry(self, kind: str, uid: str, ts: str = "2026-11-24T11:00:00.000000Z",
              postings=(), **details) -> object:
        from kiosk.journal import make_entry
        from sync.protocol import PushedEntry
        self.seq += 1
        _, body, digest = make_entry(device_id=self.device.id, seq=self.seq,
                                     prev_hash=self.last_hash, kind=kind, ts=ts, day="2026-11-24",
                                     operator_id="op-luc", student_id="S00001", postings=postings,
                                     details={"badge": uid, **details})
        entry = PushedEntry(seq=self.seq, body=body, prev_hash=self.last_hash, hash=digest)
        self.last_hash = digest
        return entry

    def push(self, *entries) -> dict:
        return self.store.push(self.device, list(entries))


def badge_row(store, uid: str) -> tuple:
    [row] = central_rows(store, "SELECT status, status_by, version FROM badges WHERE uid = ?",
                         (uid,))
    return row


def test_the_platform_checks_badge_entries_and_keeps_those_it_cannot_apply(school):
    from sync.server.errors import CentralError
    t = PushingTerminal(school)
    for uid, extra in ((Badge.EMMA.lower(), {}),               # not as the terminal writes it
                       (Badge.EMMA, {"postings": [("W00001", -100)]}),    # money
                       (Badge.EMMA, {"ts": "yesterday"})):
        t.seq, t.last_hash = 0, "0" * 64
        with pytest.raises(CentralError) as refused:
            t.push(t.entry("badge_block", uid, **extra))
        assert refused.value.code == "invalid"
    assert badge_row(school, Badge.EMMA)[0] == "active"
    t.seq, t.last_hash = 0, "0" * 64
    # A badge the school does not have: journalled (the chain goes on), nothing else changes.
    assert t.push(t.entry("badge_block", "0A0B0C0D"))["high_water"] == 1
    # A terminal whose clock runs a year ahead: its block is dated when it reaches the
    # platform, so the office's next unblock still wins.
    before = badge_row(school, Badge.EMMA)[2]
    t.push(t.entry("badge_block", Badge.EMMA, ts="2027-11-24T11:00:00.000000Z"))
    status, by, version = badge_row(school, Badge.EMMA)
    assert (status, by) == ("blocked", f"device:{t.device.id}:2") and version > before
    from sync.server import badges
    assert badges.set_status(school, "school-a", Badge.EMMA, block=False).status == "active"
    assert badge_row(school, Badge.EMMA)[:2] == ("active", "office")


def test_a_roster_refresh_or_a_reloaded_file_never_revives_a_lost_badge(school, demo_data):
    from sync.models import DataSet
    from sync.server import badges, roster
    csv = ("student_id,last_name,first_name,class,badges,wallet_id\n"
           f"S00001,Dubois,Emma,1A,{Badge.EMMA},W00001\n")
    badges.set_status(school, "school-a", Badge.EMMA, block=True)
    done = roster.import_roster(school, "school-a", csv)
    assert done["badges_changed"] == 0 and badge_row(school, Badge.EMMA)[0] == "blocked"
    school.load("school-a", DataSet.model_validate(demo_data))     # the school's file again
    assert badge_row(school, Badge.EMMA)[0] == "blocked"
    badges.set_status(school, "school-a", Badge.EMMA, block=False)      # found: the office
    assert badge_row(school, Badge.EMMA)[0] == "active"


# -- the terminal's side, on its own store --------------------------------------------------------
def test_a_block_is_a_journal_entry_and_wins_over_pulled_data_until_acknowledged(
        service, store, marie, luc, demo_data, clock):
    from kiosk import importer, journal
    from sync.common.errors import AuthError, Refusal
    with pytest.raises(AuthError):
        service.block_badge(marie, Badge.EMMA)                # a seller may not
    done = service.block_badge(luc, Badge.EMMA.lower())
    assert (done.uid, done.status, done.name) == (Badge.EMMA, "blocked", "Emma Dubois")
    with store.read() as conn:
        entry = journal.get(conn, done.entry.seq)
    assert (entry.kind, entry.amount_cents, entry.data["badge"], entry.data["postings"]) == (
        "badge_block", 0, Badge.EMMA, [])
    with pytest.raises(Refusal) as again:
        service.block_badge(luc, Badge.EMMA)
    assert again.value.code == "badge_already_blocked"
    assert again.value.message("fr") == "Ce badge est déjà bloqué."

    # The platform's data still says "active" (the block is not pushed): the block stays.
    importer.apply(store, importer.parse(demo_data), clock.now())
    with pytest.raises(Refusal) as refused:
        service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert refused.value.code == "blocked_badge"
    # Once the platform holds the entry, its data is the truth (here: a later unblock).
    with store.write() as conn:
        store.set_kv(conn, "sync_state", "pushed_seq", done.entry.seq)
    importer.apply(store, importer.parse(demo_data), clock.now())
    assert service.sell(marie, Badge.EMMA, {"SOUP": 1}).total_cents == 100
    assert store.check_integrity(full=True).ok


def test_a_store_of_schema_v4_takes_badge_entries_with_its_journal_intact(tmp_path):
    from kiosk import journal
    from kiosk.store import open_store
    from kiosk.store.db import connect
    from kiosk.store.schema import CURRENT_VERSION, migrate

    from .test_store import _old_entry
    path = tmp_path / "v4.db"
    conn = connect(path)
    assert migrate(conn, target=4) == 4
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('device_id', 'dev-old')")
    prev = "0" * 64
    for seq in (1, 2, 3):
        prev = _old_entry(conn, seq, prev, "W1", -10 * seq)
        conn.execute("INSERT INTO postings (seq, wallet_id, amount_cents) VALUES (?, 'W1', ?)",
                     (seq, -10 * seq))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("INSERT INTO journal SELECT 4, uuid, 'badge_block', ts, day, operator_id,"
                     " student_id, 0, NULL, body, hash, hash FROM journal WHERE seq = 3")
    conn.execute("COMMIT")
    conn.close()
    with open_store(path) as store:
        assert store.schema_version == CURRENT_VERSION and store.health.ok
        assert store.check_integrity(full=True).ok
        assert [r[0] for r in store.conn.execute("SELECT seq FROM journal")] == [1, 2, 3]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute("DELETE FROM journal")
        indexes = {r[0] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'journal'")}
        assert indexes >= {"journal_student_day", "journal_ref", "journal_closes"}
        with store.write() as conn:
            journal.append(conn, device_id="dev-old", kind="badge_block",
                           ts="2026-09-02T10:00:00.000000Z", day="2026-09-02", operator_id="op-1",
                           student_id="S1", details={"badge": "04AABBCC"})
        assert store.check_integrity(full=True).ok
