"""The central database's schema migrations (``sync.server.migrations``), on a SQLite file and
on a real PostgreSQL database (``backend``, see conftest.py).

A database as release 0.1.0 made it comes from a frozen fixture (``data/central-0.1.0.sql``:
0.1.0's DDL verbatim and the rows its CentralStore wrote for a small school), so no test needs
the git history. Upgraded, it must have exactly the schema of a database made new at HEAD
(tables, columns with their types and nullability, keys, indexes), keep every row, and serve
the app (enrol, push, pull). Upgrading again changes nothing; a database newer than the code
is refused untouched; a revision that fails rolls the whole upgrade back; several upgraders
at once on one new database leave one schema."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest
import sqlalchemy

from kiosk.journal import make_entry
from sync.protocol import PushedEntry
from sync.server import cli, migrations
from sync.server.backends import WRITER_LOCK, open_database, postgres_ddl
from sync.server.migrations import HEAD, REVISIONS, Upgrade
from sync.server.storage import CentralError, CentralStore

from .central_db import central_rows
from .pipes import rest_of

FIXTURE = Path(__file__).parent / "data" / "central-0.1.0.sql"
FIXTURE_TEXT = FIXTURE.read_text(encoding="utf-8")
STATEMENTS = [line.removesuffix(";") for line in FIXTURE_TEXT.splitlines()
              if line.strip() and not line.startswith("--")]
OLD_DDL = [s for s in STATEMENTS if s.startswith("CREATE ")]
TOKEN = re.search(r"terminal's token: (\S+)", FIXTURE_TEXT).group(1)
DEVICE = "6f1c2a5e-3b8d-4c1e-9a7f-0d2e4b6c8a10"
OLD_TABLES = [re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", s).group(1)
              for s in OLD_DDL if s.startswith("CREATE TABLE")]
OLD_COLUMNS = {"devices": re.search(r"INSERT INTO devices \(([^)]*)\)", FIXTURE_TEXT).group(1),
               "badges": "school_id, uid, student_id, status, version",     # 0003 adds two
               "categories": "school_id, code, name, wallet_kind, version",  # 0004 adds two
               "enrol_codes": "code_hash, school_id, device_name, created_at, expires_at,"
                              " used_at, used_by",                  # 0005 adds replaces
               "wallets": "school_id, id, student_id, kind, name, structured_communication,"
                          " is_default, balance_cents, version",    # 0006 adds opening_cents
               "operators": "school_id, id, name, role, pin_hash, active, version"}  # 0014: unlocked_at


# -- helpers ------------------------------------------------------------------------------
def central_main(argv: list[str]) -> int:
    """The platform's command line in English: these tests are about what it says, not its
    language (tests/test_translations.py checks the languages; French is the default)."""
    return cli.main(["--lang", "en", *argv])


def run_raw(db: str, statements: list[str]) -> None:
    """Statements (no parameters) in one transaction, with the driver itself: no app code."""
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as conn:               # commits on leaving
            for statement in statements:
                conn.execute(postgres_ddl(statement))
    else:
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")     # as 0.1.0 made it
            conn.execute("BEGIN")
            for statement in statements:
                conn.execute(statement)
            conn.execute("COMMIT")
        finally:
            conn.close()


def release_0_1_0(db: str, rows: bool = True) -> str:
    """Make ``db`` (new, empty) a database of release 0.1.0, from the frozen fixture."""
    run_raw(db, STATEMENTS if rows else OLD_DDL)
    return db


def schema_of(db: str) -> dict:
    """Every table's columns (name, type, nullable, default), keys and indexes."""
    engine = open_database(db).migration_engine()
    try:
        inspector = sqlalchemy.inspect(engine)
        found = {"columns": inspector.get_multi_columns(),    # one query each, all tables
                 "primary_key": inspector.get_multi_pk_constraint(),
                 "foreign_keys": inspector.get_multi_foreign_keys(),
                 "unique": inspector.get_multi_unique_constraints(),
                 "indexes": inspector.get_multi_indexes()}
    finally:
        engine.dispose()
    return {table: {
        "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in found["columns"][key]],
        "primary_key": found["primary_key"][key]["constrained_columns"],
        "foreign_keys": sorted((tuple(fk["constrained_columns"]), fk["referred_table"],
                                tuple(fk["referred_columns"]))
                               for fk in found["foreign_keys"][key]),
        "unique": sorted(tuple(u["column_names"]) for u in found["unique"][key]),
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                          for i in found["indexes"][key]),
    } for key in sorted(found["columns"]) for table in [key[1]]}


def rows_of(db: str) -> dict[str, list[tuple]]:
    """Every row of the tables of 0.1.0, in 0.1.0's columns, in a stable order."""
    return {t: sorted(central_rows_raw(db, f"SELECT {OLD_COLUMNS.get(t, '*')} FROM {t}"),
                      key=repr) for t in OLD_TABLES}


def central_rows_raw(db: str, sql: str) -> list[tuple]:
    """A read with the driver itself (no CentralStore: it would upgrade the database)."""
    backend = open_database(db)
    try:
        with backend.transaction(write=False) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        backend.close()


def fresh(central_dbs) -> str:
    """A new database made at HEAD by the app (``comptoir central init``)."""
    db = central_dbs.new()
    CentralStore(db, create=True).close()
    return db


def upgrade(db: str, create: bool = False) -> Upgrade:
    backend = open_database(db)
    try:
        return migrations.upgrade(backend, create=create)
    finally:
        backend.close()


# -- the revisions ------------------------------------------------------------------------
def test_revisions_are_numbered_in_one_line_and_0001_is_release_0_1_0():
    from alembic.script import ScriptDirectory
    script = ScriptDirectory(str(migrations.FOLDER))
    assert script.get_current_head() == HEAD == REVISIONS[-1]
    chain = [s.revision for s in reversed(list(script.walk_revisions()))]
    assert chain == list(REVISIONS) == [f"{n:04d}" for n in range(1, len(REVISIONS) + 1)]
    for previous, revision in zip((None, *REVISIONS), REVISIONS):
        assert script.get_revision(revision).down_revision == previous
    release = script.get_revision("0001").module
    assert release.DDL == OLD_DDL       # 0.1.0's schema, verbatim: never edit a revision


# -- a database of release 0.1.0 ----------------------------------------------------------
def test_database_of_release_0_1_0_upgrades_in_place(central_dbs, capsys):
    old = release_0_1_0(central_dbs.new())
    rows = rows_of(old)
    assert len(rows["journal"]) == 3 and len(rows["devices"]) == 1
    assert "alembic_version" not in schema_of(old)

    assert central_main(["migrate", "--db", old]) == 0
    assert capsys.readouterr().out.endswith(
        f": schema revision none (release 0.1.0's schema) -> {HEAD} (head)\n")
    new = fresh(central_dbs)
    assert schema_of(old) == schema_of(new)         # tables, columns, keys, indexes
    devices = dict((c[0], c[1:]) for c in schema_of(new)["devices"]["columns"])
    assert devices["version"][1:3] == devices["last_seen_at"][1:3] == (True, None)
    assert rows_of(old) == rows                     # every old row, unchanged
    assert central_rows_raw(old, "SELECT version, last_seen_at FROM devices") == [(None, None)]
    assert central_rows_raw(old, "SELECT version_num FROM alembic_version") == [(HEAD,)]

    # Twice: nothing to do, nothing changed.
    assert central_main(["migrate", "--db", old]) == 0
    assert capsys.readouterr().out.endswith(f": schema revision {HEAD} (head): up to date\n")
    assert schema_of(old) == schema_of(new) and rows_of(old) == rows

    # The app works on it: the old terminal pushes on, pulls; a new one enrols.
    with CentralStore(old) as store:
        assert store.schema == Upgrade(HEAD, HEAD)
        device = store.authenticate(TOKEN)
        state = store.device_state(device)
        assert state["high_water"] == 3
        _, body, digest = make_entry(
            device_id=DEVICE, seq=4, prev_hash=state["last_hash"], kind="sale",
            ts="2026-11-25T11:00:00.000000Z", day="2026-11-25", operator_id="op-marie",
            student_id="S00001", postings=[("W00001", -100)])
        pushed = store.push(device, [PushedEntry(seq=4, body=body, prev_hash=state["last_hash"],
                                                 hash=digest)])
        assert (pushed["applied"], pushed["high_water"]) == (1, 4)
        page = store.pull(device, "", 1000)
        balances = {w["id"]: (w["balance_cents"], w["included_seq"]) for w in page["wallets"]}
        old_balance = dict((r[1], r[7]) for r in rows["wallets"])["W00001"]
        assert balances["W00001"] == (old_balance - 100, 4)
        assert len(page["students"]) == 3 and not page["has_more"]
        code = store.create_enrol_code("school-a", "Cantine 2")
        assert store.enrol(code, "another-terminal")["school_id"] == "school-a"
        journal = store.sales_journal("school-a", period="custom",
                                      first_day=date(2026, 11, 1), last_day=date(2026, 11, 30))
        assert journal["count"] >= 4
    central_rows(old, "UPDATE devices SET version = ?, last_seen_at = ? WHERE id = ?",
                 ("0.2.0", "2026-11-25T11:00:01Z", DEVICE), write=True)
    assert central_rows(old, "SELECT version, last_seen_at FROM devices WHERE id = ?",
                        (DEVICE,)) == [("0.2.0", "2026-11-25T11:00:01Z")]
    central_dbs.drop(old)
    central_dbs.drop(new)


def test_any_command_upgrades_and_says_so(central_dbs, capsys):
    """A school without IT installs the new version and runs it: the first command (``serve``
    at boot, here ``admin-token --list``) upgrades the database and says so."""
    old = release_0_1_0(central_dbs.new())
    assert central_main(["admin-token", "--db", old, "--list"]) == 0
    out, err = capsys.readouterr()
    assert "made 2026-11-24T06:30:00" in out        # the admin token of 0.1.0
    assert err.endswith(": schema upgraded from revision none (release 0.1.0's schema) to"
                        f" {HEAD}\n")
    assert central_main(["admin-token", "--db", old, "--list"]) == 0
    assert capsys.readouterr().err == ""
    central_dbs.drop(old)


def test_a_new_database_is_made_at_head(central_dbs):
    db = central_dbs.new()
    assert central_main(["init", "--db", db, "--school", "Solo"]) == 0
    assert central_rows_raw(db, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    assert central_rows_raw(db, "SELECT name, value FROM central_meta WHERE name = 'schema'"
                            ) == [("schema", "1")]
    assert central_rows_raw(db, "SELECT id, value FROM change_counter") == [(1, 0)]
    # Revision 0001 on an empty database is exactly release 0.1.0's schema.
    at_0001, old = central_dbs.new(), release_0_1_0(central_dbs.new(), rows=False)
    upgrade_to(at_0001, "0001")
    with_version = schema_of(at_0001)
    assert with_version.pop("alembic_version")
    assert with_version == schema_of(old)
    for made in (db, at_0001, old):
        central_dbs.drop(made)


def upgrade_to(db: str, revision: str) -> None:
    """Only up to ``revision`` (what a database of that revision looks like)."""
    engine = open_database(db).migration_engine()
    try:
        with engine.connect() as conn, conn.begin():
            migrations._alembic_upgrade(conn, revision)
    finally:
        engine.dispose()


# -- refusals and failures ----------------------------------------------------------------
def test_a_database_newer_than_the_code_is_refused_untouched(central_dbs, capsys):
    db = fresh(central_dbs)
    run_raw(db, ["UPDATE alembic_version SET version_num = '0099'",
                 "CREATE TABLE made_by_0099 (id TEXT)"])
    before = schema_of(db)
    with pytest.raises(CentralError, match=r"schema revision 0099, newer than this version of"
                                           rf" comptoir knows \(up to {HEAD}\).*not changed"):
        CentralStore(db)
    assert central_main(["migrate", "--db", db]) == 1
    assert "revision 0099, newer" in capsys.readouterr().err
    assert schema_of(db) == before
    assert central_rows_raw(db, "SELECT version_num FROM alembic_version") == [("0099",)]
    central_dbs.drop(db)


def test_no_central_database_is_said_and_not_made(central_dbs, capsys):
    db = central_dbs.new()
    assert central_main(["migrate", "--db", db]) == 1
    assert "no central database (make one with 'comptoir central init')" in (
        capsys.readouterr().err)
    if not db.startswith("postgresql://"):
        assert not Path(db).exists()
    central_dbs.drop(db)


def test_a_failing_revision_rolls_the_whole_upgrade_back(central_dbs, monkeypatch, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    broken = f"{int(HEAD) + 1:04d}"
    (folder / "versions" / f"{broken}_broken.py").write_text(
        'from sync.server.migrations import execute\n'
        f'revision, down_revision, branch_labels, depends_on = "{broken}", "{HEAD}", None, None\n'
        'def upgrade():\n'
        '    execute("ALTER TABLE devices ADD COLUMN ip TEXT")\n'
        '    execute("ALTER TABLE no_such_table ADD COLUMN x TEXT")\n')
    monkeypatch.setattr(migrations, "FOLDER", folder)
    monkeypatch.setattr(migrations, "REVISIONS", (*REVISIONS, broken))
    monkeypatch.setattr(migrations, "HEAD", broken)
    old = release_0_1_0(central_dbs.new())
    before, rows = schema_of(old), rows_of(old)
    with pytest.raises(CentralError, match="upgrading the schema from none .release 0.1.0's"
                                           f" schema. to {broken} failed, the database was not"
                                           " changed: .*no_such_table"):
        CentralStore(old)
    assert schema_of(old) == before and rows_of(old) == rows     # not even 0001 -> 0002
    monkeypatch.undo()
    with CentralStore(old) as store:                              # the code without it
        assert store.schema == Upgrade(None, HEAD, unversioned=True)
    central_dbs.drop(old)


# -- several processes at once --------------------------------------------------------------
UPGRADER = """
import sys
from sync.server import migrations
from sync.server.backends import open_database
current = migrations.current
def counted(backend):
    found = current(backend)
    print("read", found, flush=True)        # next: the lock, which the test holds
    return found
migrations.current = counted
backend = open_database(sys.argv[1])
try:
    done = migrations.upgrade(backend, create=True)
    print("done", done.before, done.after, flush=True)
finally:
    backend.close()
"""


def test_upgraders_at_once_on_a_new_database_leave_one_schema(central_dbs, monkeypatch):
    """Each server process upgrades at start: here two processes and two threads (each with
    its own connections) at once on a new database, all held at the upgrade's lock (the
    database's write lock on SQLite, the writers' advisory lock on PostgreSQL) until every
    one waits for it, then let go together: one makes the schema, the others find it made
    and change nothing. (On PostgreSQL, whatever the database's default isolation: here
    REPEATABLE READ, where a transaction's snapshot would predate the lock.)"""
    db = central_dbs.new()
    if central_dbs.pg is not None:
        central_dbs.pg.admin(f"ALTER DATABASE {db.rsplit('/', 1)[-1]}"
                             " SET default_transaction_isolation = 'repeatable read'")
    results, failures, past_first_read = [], [], []
    current = migrations.current

    def counted(backend):
        found = current(backend)
        past_first_read.append(found)       # next: the lock, which the test holds
        return found
    monkeypatch.setattr(migrations, "current", counted)

    def start():
        try:
            done = upgrade(db, create=True)
            results.append((done.before, done.after))
        except Exception as e:          # noqa: BLE001 -- the test says which
            failures.append(e)

    threads = [threading.Thread(target=start) for _ in range(2)]
    root = str(Path(__file__).resolve().parent.parent)
    with held_lock(db) as waiting:
        processes = [subprocess.Popen([sys.executable, "-c", UPGRADER, db], cwd=root,
                                      env={**os.environ, "PYTHONPATH": root},
                                      stdout=subprocess.PIPE, text=True) for _ in range(2)]
        for t in threads:
            t.start()
        for process in processes:           # each has read the schema: none yet
            assert process.stdout.readline() == "read (None, False)\n"
        deadline = time.monotonic() + 30
        while (len(past_first_read) < len(threads) or waiting() < 4) and (
                time.monotonic() < deadline):
            time.sleep(0.05)
        assert past_first_read == [(None, False)] * len(threads)
        time.sleep(0.3)                 # SQLite says nothing of who waits: let them get there
        assert not results and not failures
    for process in processes:
        out, _ = rest_of(process, timeout=60)
        assert process.returncode == 0
        before, after = out.split()[1:]
        results.append((None if before == "None" else before, after))
    for t in threads:
        t.join(60)
    assert not failures, failures
    assert sorted(results, key=repr) == sorted([(None, HEAD)] + [(HEAD, HEAD)] * 3, key=repr)
    new = fresh(central_dbs)
    assert schema_of(db) == schema_of(new)
    assert central_rows_raw(db, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    central_dbs.drop(db)
    central_dbs.drop(new)


class held_lock:
    """The upgrade's lock, held by "another process" (a connection of the test's); ``as``
    gives a function counting the upgraders waiting for it (PostgreSQL only: on SQLite
    it says 4)."""

    def __init__(self, db: str):
        self.db, self.sqlite = db, not db.startswith("postgresql://")

    def __enter__(self):
        if self.sqlite:
            self.conn = sqlite3.connect(self.db, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("BEGIN IMMEDIATE")
            return lambda: 4
        self.conn = psycopg.connect(self.db, autocommit=True)
        self.conn.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
        return lambda: self.conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()[0]

    def __exit__(self, *exc):
        if self.sqlite:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK,))
        self.conn.close()


def test_new_revision_writes_the_next_numbered_file(monkeypatch, tmp_path):
    from alembic.script import ScriptDirectory
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "VERSIONS", folder / "versions")
    path = migrations.new_revision("Devices: last IP address")
    assert path.name == f"{int(HEAD) + 1:04d}_devices_last_ip_address.py"
    script = ScriptDirectory(str(folder)).get_revision(path.name[:4])
    assert (script.revision, script.down_revision) == (path.name[:4], HEAD)
    assert script.doc == "Devices: last IP address"
