"""The central database's two backends (``sync.server.backends``) behave alike: the portable
SQL that ``CentralStore`` and new server code write, transactions (one writer at a time,
readers never blocked, a failure rolls everything back), and many terminals pushing at once
without an entry applied twice or a debit lost. Each test runs on a SQLite file and on a
database of a real PostgreSQL server (``backend``, see conftest.py); the last ones are about
PostgreSQL only: clear errors, no password shown, a restarted database costs no request."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import psycopg
import pytest

from kiosk.demo.school import generate
from kiosk.journal import GENESIS, make_entry
from sync.models import DataSet
from sync.protocol import PushedEntry
from sync.server import cli
from sync.server.backends import safe_label
from sync.server.storage import CentralError, CentralStore

from .central_db import central_rows
from .conftest import TODAY


def central_main(argv: list[str]) -> int:
    """The platform's command line in English: these tests are about what it says, not its
    language (tests/test_translations.py checks the languages; French is the default)."""
    return cli.main(["--lang", "en", *argv])


def school(db: str) -> CentralStore:
    store = CentralStore(db, create=True)
    store.add_school("School A", "school-a")
    store.load("school-a", DataSet.model_validate(generate(students=5, operators=False)))
    return store


class Chain:
    """A terminal's journal, enrolled straight on the store (no HTTP: the threads below stand
    for the server's worker threads)."""

    def __init__(self, store: CentralStore, name: str):
        self.id = str(uuid.uuid4())
        self.device = store.authenticate(store.enrol(store.create_enrol_code("school-a", name),
                                                     self.id)["token"])
        self.entries: list[PushedEntry] = []

    def sale(self, wallet: str, cents: int) -> PushedEntry:
        seq = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else GENESIS
        _, body, digest = make_entry(
            device_id=self.id, seq=seq, prev_hash=prev, kind="sale",
            ts="2026-11-24T11:00:00.000000Z", day=TODAY, operator_id="op-marie",
            student_id="S00001", postings=[(wallet, cents)])
        self.entries.append(PushedEntry(seq=seq, body=body, prev_hash=prev, hash=digest))
        return self.entries[-1]


# -- the portable SQL ----------------------------------------------------------------------
def test_portable_sql_runs_alike(central_db):
    """What backends.py promises new server code (e.g. ledger.py): ``?`` placeholders,
    ``%`` in text, ids numbered by the database and read back with RETURNING, upserts with
    ``excluded``, BIGINT cents beyond 32 bits, NULLs, rowcount."""
    with CentralStore(central_db, create=True) as store:
        with store.transaction() as conn:
            store.execute(conn, "CREATE TABLE IF NOT EXISTS top_ups (id INTEGER PRIMARY KEY"
                                " AUTOINCREMENT, wallet_id TEXT NOT NULL, cents BIGINT NOT NULL,"
                                " note TEXT, UNIQUE (wallet_id, note))")
            ids = [store.execute(conn, "INSERT INTO top_ups (wallet_id, cents, note)"
                                       " VALUES (?, ?, ?) RETURNING id", row).fetchone()[0]
                   for row in [("W1", 2500, "100% remboursé"), ("W1", 5_000_000_000, None),
                               ("W2", -1, "?")]]
            assert ids == [1, 2, 3]
            store.execute(conn, "INSERT INTO top_ups (wallet_id, cents, note) VALUES (?, ?, ?)"
                                " ON CONFLICT (wallet_id, note) DO UPDATE SET cents ="
                                " top_ups.cents + excluded.cents", ("W1", 100, "100% remboursé"))
            assert store.execute(conn, "UPDATE top_ups SET cents = cents * 2 WHERE wallet_id = ?",
                                 ("W1",)).rowcount == 2
        rows = central_rows(store, "SELECT id, cents, note FROM top_ups WHERE note LIKE '%rem%'"
                                   " OR note IS NULL OR note = ? ORDER BY id", ("?",))
        assert rows == [(1, 5200, "100% remboursé"), (2, 10_000_000_000, None), (3, -1, "?")]
        assert central_rows(store, "SELECT sum(cents) FROM top_ups")[0][0] == 10_000_005_199


def test_a_failed_transaction_leaves_nothing(central_db):
    with school(central_db) as store:
        balances = central_rows(store, "SELECT id, balance_cents FROM wallets ORDER BY id")
        with pytest.raises(ZeroDivisionError):
            with store.transaction() as conn:
                store.execute(conn, "UPDATE wallets SET balance_cents = 12345")
                raise ZeroDivisionError("a failure inside the transaction")
        assert central_rows(store, "SELECT id, balance_cents FROM wallets ORDER BY id") == balances
        # A refusal inside a transaction (a CentralError) rolls back the same way.
        chain = Chain(store, "Cantine 1")
        good, bad = chain.sale("W00001", -100), chain.sale("W99999", -100)
        with pytest.raises(CentralError, match="unknown wallet"):
            store.push(chain.device, [good, bad])
        assert store.device_state(chain.device)["high_water"] == 0
        assert central_rows(store, "SELECT count(*) FROM journal") == [(0,)]
        # ... and the store works on after both.
        assert store.push(chain.device, [good])["applied"] == 1


def test_a_catching_up_push_checks_every_wallet(central_db):
    """A big push (a terminal back online) checks its wallets in one query: one wallet not of
    this school, anywhere in it, refuses the whole push, and the next big one goes through."""
    with school(central_db) as store:
        store.add_school("School B", "school-b")
        other = generate(students=2, operators=False)
        for w in other["wallets"]:
            w["id"] = "B-" + w["id"]
        store.load("school-b", DataSet.model_validate(other))
        chain = Chain(store, "Cantine 1")
        for n in range(40):
            chain.sale("B-W00001" if n == 30 else ("W00001", "W00002")[n % 2], -10)
        with pytest.raises(CentralError, match="entry 31: unknown wallet 'B-W00001'") as e:
            store.push(chain.device, chain.entries)
        assert e.value.seq == 31 and store.device_state(chain.device)["high_water"] == 0
        assert store.push(chain.device, chain.entries[:30])["applied"] == 30


# -- one writer at a time, readers never wait -----------------------------------------------
def test_writers_wait_for_each_other_readers_do_not(central_db):
    with school(central_db) as store:
        chain = Chain(store, "Cantine 1")
        done = {}

        def run(name, fn):
            done[name] = fn()

        with store.transaction() as conn:          # a write transaction, held open, on rows the
            store.execute(conn, "UPDATE schools SET name = 'Renamed'")    # push below never touches
            reader = threading.Thread(target=run, args=("read", lambda: store.device_state(
                chain.device)["high_water"]))
            writer = threading.Thread(target=run, args=("write", lambda: store.push(
                chain.device, [chain.sale("W00001", -100)])["applied"]))
            reader.start()
            writer.start()
            reader.join(10)
            assert done.get("read") == 0            # answered while the write is open
            writer.join(0.5)
            assert writer.is_alive() and "write" not in done   # waits for the first writer
        writer.join(10)
        assert done["write"] == 1
        assert central_rows(store, "SELECT name FROM schools") == [("Renamed",)]
        [(balance,)] = central_rows(store, "SELECT balance_cents FROM wallets WHERE id = ?",
                                    ("W00001",))
        wallet = next(w for w in generate(students=5)["wallets"] if w["id"] == "W00001")
        assert balance == wallet["balance_cents"] - 100


def test_many_terminals_pushing_at_once_apply_each_entry_once(central_db):
    """Six terminals sell to the same wallets at once; each pushes every batch twice from two
    threads (a retry racing its original, as after a lost answer): every entry is applied
    exactly once, every debit is counted, and each change has its own version. A terminal
    pulling all along sees the balances move and ends on the final ones."""
    with school(central_db) as store:
        before = dict(central_rows(store, "SELECT id, balance_cents FROM wallets"))
        puller = Chain(store, "Lecteur").device
        chains = [Chain(store, f"Cantine {i}") for i in range(6)]
        for i, chain in enumerate(chains):
            for n in range(24):
                chain.sale(("W00001", "W00002")[(i + n) % 2], -(n + 1))
        counter_before = central_rows(store, "SELECT value FROM change_counter")[0][0]
        results, failures = {c.id: [] for c in chains}, []
        start = threading.Barrier(len(chains) * 2 + 1)
        seen, stop = {}, threading.Event()

        def pull_all(cursor: str) -> str:
            while True:
                page = store.pull(puller, cursor, 7)
                seen.update((w["id"], w["balance_cents"]) for w in page["wallets"])
                cursor = page["cursor"]
                if not page["has_more"]:
                    return cursor

        def pulling():
            cursor = pull_all("")
            start.wait()
            while not stop.is_set():
                cursor = pull_all(cursor)
            seen["cursor"] = cursor

        def terminal(chain: Chain):
            start.wait()
            try:
                for i in range(0, len(chain.entries), 3):
                    answer = store.push(chain.device, chain.entries[i:i + 3])
                    results[chain.id].append(answer["applied"])
            except Exception as e:      # noqa: BLE001 -- every failure fails the test
                failures.append(repr(e))

        threads = [threading.Thread(target=terminal, args=(c,)) for c in chains for _ in (0, 1)]
        reader = threading.Thread(target=pulling)
        for t in [reader, *threads]:
            t.start()
        for t in threads:
            t.join(60)
        stop.set()
        reader.join(60)
        assert not failures and not any(t.is_alive() for t in [reader, *threads])
        for chain in chains:
            assert sum(results[chain.id]) == 24, results[chain.id]     # once, not twice
            state = store.device_state(chain.device)
            assert (state["high_water"], state["last_hash"]) == (24, chain.entries[-1].hash)
        assert central_rows(store, "SELECT count(*), sum(amount_cents) FROM journal") == [
            (6 * 24, -6 * sum(range(1, 25)))]
        after = dict(central_rows(store, "SELECT id, balance_cents FROM wallets"))
        spent = {w: sum(-(n + 1) for i in range(6) for n in range(24)
                        if ("W00001", "W00002")[(i + n) % 2] == w) for w in ("W00001", "W00002")}
        assert after == before | {w: before[w] + spent[w] for w in spent}
        pull_all(seen.pop("cursor"))         # what the puller had, and one last round
        assert seen == after
        # Each push that applied a batch (3 sales on the two wallets) took two new versions.
        pushes = [applied for r in results.values() for applied in r if applied]
        assert pushes == [3] * (6 * 8)
        assert central_rows(store, "SELECT value FROM change_counter")[0][0] == (
            counter_before + 2 * len(pushes))


# -- PostgreSQL only ----------------------------------------------------------------------
def test_postgres_errors_are_clear_and_keep_the_password(postgres):
    port = postgres.port
    with pytest.raises(CentralError) as e:
        CentralStore(f"postgresql://postgres:hunter2@127.0.0.1:{port}/nowhere", create=True)
    assert "nowhere" in e.value.message and "does not exist" in e.value.message
    assert "hunter2" not in e.value.message
    assert e.value.message.startswith(f"postgresql://postgres@127.0.0.1:{port}/nowhere:")
    url = postgres.create_database("empty_one")
    with pytest.raises(CentralError, match="no central database .*comptoir central init"):
        CentralStore(url)               # an empty database: not initialised yet
    with socket_closed() as dead:
        with pytest.raises(CentralError, match="cannot open the central database"):
            CentralStore(f"postgresql://postgres:hunter2@127.0.0.1:{dead}/x")
    assert safe_label("postgresql://u:p@h/d?sslmode=require") == "postgresql://u@h/d"
    postgres.drop_database("empty_one")


def socket_closed():
    """A loopback port nothing listens on."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            yield s.getsockname()[1]      # bound, not listening: connections are refused
    return port()


def test_postgres_restart_of_sessions_costs_no_request(postgres):
    url = postgres.create_database("restarted")
    with school(url) as store:
        chain = Chain(store, "Cantine 1")
        assert store.push(chain.device, [chain.sale("W00001", -100)])["applied"] == 1
        # The database cuts every session (as a restart or a failover does).
        with psycopg.connect(postgres.url("postgres"), autocommit=True) as admin:
            cut = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                " WHERE datname = 'restarted'").fetchone()[0]
        assert cut >= 1
        assert store.push(chain.device, [chain.sale("W00001", -100)])["applied"] == 1
        assert store.device_state(chain.device)["high_water"] == 2
    postgres.drop_database("restarted")


def test_cli_takes_the_database_from_the_environment(postgres, capsys):
    url = postgres.create_database("from_env")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    run = subprocess.run([sys.executable, "-m", "sync.server.cli", "init", "--school", "Env"],
                         env=env | {"COMPTOIR_CENTRAL_DB": url, "COMPTOIR_LANG": "en"},
                         capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"ready in postgresql://postgres@127.0.0.1:{postgres.port}/from_env" in run.stdout
    assert central_main(["enrol-code", "--db", url, "--name", "Cantine 1"]) == 0
    capsys.readouterr()
    run = subprocess.run([sys.executable, "-m", "sync.server.cli", "admin-token"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "--db" in run.stderr and "COMPTOIR_CENTRAL_DB" in run.stderr
    postgres.drop_database("from_env")
