"""The platform's files are private (``sync.server.private_files``): real files, real modes.

A central database holds operators' PIN hashes and terminals' token hashes: the file, its
WAL and SHM, and the verification anchors are readable by the service's user only, whatever
the umask, and a database made by an older release (0644) is fixed at its next open, with a
line in the log. (PostgreSQL keeps its files in its own 0700 data folder: nothing to do.)"""
from __future__ import annotations

import logging
import os
import sqlite3
import stat

import pytest

from sync.server import cli, verify
from sync.server.storage import CentralStore


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)       # the usual umask: files 0644 unless the code says otherwise
    yield
    os.umask(old)


def test_a_new_database_its_wal_shm_and_anchors_are_owner_only(tmp_path, open_umask, capsys):
    db = tmp_path / "central.db"
    assert cli.main(["--lang", "en", "init", "--db", str(db), "--school", "École"]) == 0
    assert mode(db) == 0o600
    with CentralStore(db) as store:
        with store.transaction() as conn:       # a writer: SQLite has its WAL and SHM open
            store.execute(conn, "UPDATE change_counter SET value = value WHERE id = 1")
            companions = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in companions)
            assert [mode(p) for p in companions] == [0o600, 0o600]
        verify.verify(store, store.school_id())
    assert mode(db.with_name("central.db.anchors.json")) == 0o600
    assert not [p.name for p in tmp_path.iterdir() if mode(p) & 0o077]


def test_older_files_are_fixed_at_open_and_the_log_says_so(tmp_path, open_umask, caplog):
    db = tmp_path / "central.db"
    CentralStore(db, create=True).close()
    os.chmod(db, 0o644)                         # as release 0.1 made it
    holder = sqlite3.connect(db)                # keeps a WAL and SHM, made 0644 as the file
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE change_counter SET value = value WHERE id = 1")
    wal, shm = db.with_name("central.db-wal"), db.with_name("central.db-shm")
    os.chmod(wal, 0o644)
    os.chmod(shm, 0o644)
    holder.execute("COMMIT")
    try:
        with caplog.at_level(logging.WARNING, logger="comptoir.central"):
            CentralStore(db).close()
        assert [mode(p) for p in (db, wal, shm)] == [0o600, 0o600, 0o600]
    finally:
        holder.close()
    said = [r.getMessage() for r in caplog.records]
    assert sum("readable by other users (mode 0644): made owner-only (0600)" in m
               for m in said) == 3, said
    caplog.clear()
    CentralStore(db).close()                    # nothing more to fix: nothing said
    assert not caplog.records
