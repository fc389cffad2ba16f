"""The terminal's backups (issue 18, point 4), on real stores and real file systems: a backup
is an online, owner-only, checked copy named by its time and last entry; it goes on while
another process sells; older ones are pruned (never the newest); a USB folder that is not
there is skipped with a clear status; a full disk is a status and harms nothing; a damaged
backup is refused by the restore; an intact store is replaced only with --force, kept aside;
a Z and the sync daemon's night make one by themselves. The drill with the platform is in
tests/test_backup_drill.py."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk import backup, backup_status, importer, journal
from kiosk.cli import main
from kiosk.config import BackupSection, PolicySection, SyncSection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge, generate
from kiosk.store import open_store
from sync.agent import Agent
from sync.client import Client
from sync.common.clock import SystemClock, business_day

from .smalldisk import small_disk  # noqa: F401 -- a fixture
from .test_crash import _Child, _sellable_badges
from .test_sync_faults import free_port

# A child process that sells, a tmpfs, a daemon: some 25 s on a loaded machine.
pytestmark = pytest.mark.slow(seconds=25)
NOW = datetime(2026, 12, 7, 21, 0, tzinfo=timezone.utc)     # 22:00 in Brussels
CONFIG = TerminalConfig(policy=PolicySection(double_tap_seconds=0, overdraft_limit_cents=10**9,
                                            offline_daily_cap_cents=10**9))


def shop(folder: Path, config: TerminalConfig = CONFIG) -> tuple[CounterService, object]:
    """A terminal's store with the demo school (a real file), Marie logged in."""
    store = open_store(folder / "comptoir.db", create=True)
    data = generate(40, day=business_day(SystemClock().now(), config.tz))
    importer.apply(store, importer.parse(data), SystemClock().now())
    service = CounterService(store, config)
    return service, service.login("Marie", DEMO_PINS["Marie"])


def sell(service: CounterService, session, count: int) -> None:
    for _ in range(count):
        service.sell(session, Badge.EMMA, {"SOUP": 1})


def rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT seq, prev_hash, hash, body FROM journal ORDER BY seq").fetchall()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def toml(folder: Path, text: str) -> None:
    (folder / "terminal.toml").write_text(text, encoding="utf-8")


def test_a_backup_is_an_owner_only_checked_copy_named_by_time_and_last_entry(tmp_path):
    data = tmp_path / "data"
    service, session = shop(data)
    sell(service, session, 3)
    (data / "backups").mkdir(mode=0o755)            # made by hand, too open: closed
    result = backup.make_backup(service.store.path, CONFIG, NOW)
    (copy,) = result.copies
    assert copy.status == "written" and result.seq == 3
    assert copy.file == data / "backups" / "comptoir-2026-12-07_220000-seq3.db"
    assert mode(copy.file) == 0o600 and mode(copy.file.parent) == 0o700
    assert sorted(p.name for p in copy.file.parent.iterdir()) == [copy.file.name]  # no -wal, no temp
    with backup.open_copy(copy.file) as conn:
        assert rows(conn) == rows(service.store.conn)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert not conn.execute("SELECT 1 FROM meta WHERE key LIKE 'session:%'").fetchall()
    assert backup.check_copy(copy.file)[:2] == (None, 3)
    recorded = backup_status.last_backup(service.store)
    assert recorded is not None
    assert (recorded["seq"], recorded["file"], recorded["at"]) == (3, str(copy.file),
                                                                   "2026-12-07T21:00:00.000000Z")
    assert recorded["folders"] == {str(data / "backups"): "written"}
    service.store.close()


def test_no_backup_recorded_before_the_first(tmp_path):
    service, _session = shop(tmp_path / "data")
    assert backup_status.last_backup(service.store) is None
    service.store.close()


def test_older_backups_are_pruned_never_the_newest(tmp_path):
    data = tmp_path / "data"
    service, session = shop(data)
    for days_ago in (20, 15, 13, 0):
        sell(service, session, 1)
        backup.make_backup(service.store.path, CONFIG, NOW - timedelta(days=days_ago))
    kept = [p.name for p in backup.backups_in(data / "backups")]
    assert kept == ["comptoir-2026-11-24_220000-seq3.db", "comptoir-2026-12-07_220000-seq4.db"]
    # a terminal that made none for a month: its last backup stays, however old
    later = NOW + timedelta(days=40)
    assert backup.prune(data / "backups", 14, later.astimezone(CONFIG.tz)) == [
        data / "backups" / kept[0]]
    assert [p.name for p in backup.backups_in(data / "backups")] == [kept[1]]
    service.store.close()


def test_a_usb_folder_not_there_is_skipped_with_a_clear_status(tmp_path, small_disk, capsys):  # noqa: F811
    data = tmp_path / "data"
    service, session = shop(data)
    sell(service, session, 2)
    service.store.close()
    absent = tmp_path / "usb-not-plugged"
    toml(data, f'[backup]\nsecond_folder = "{absent}"\n')
    assert main(["--data", str(data), "--lang", "en", "backup"]) == 0
    out = capsys.readouterr().out
    assert "written" in out and "skipped: the folder is not there (USB key not plugged in?)" in out
    mount_point = tmp_path / "usb-mount-point"      # the key not mounted: an empty folder
    mount_point.mkdir()
    toml(data, f'[backup]\nsecond_folder = "{mount_point}"\n')
    assert main(["--data", str(data), "--lang", "fr", "backup"]) == 0
    assert "USB" in capsys.readouterr().out and not list(mount_point.iterdir())
    # the key plugged in (a file system of its own): a second checked copy there
    toml(data, f'[backup]\nsecond_folder = "{small_disk.path}"\n')
    assert main(["--data", str(data), "--lang", "en", "backup"]) == 0
    (on_key,) = backup.backups_in(small_disk.path)
    (local, *_older) = reversed(backup.backups_in(data / "backups"))
    assert on_key.read_bytes() == local.read_bytes() and mode(on_key) == 0o600
    assert backup.check_copy(on_key)[:2] == (None, 2)
    # a key mounted read-only
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk.path)], check=True)
    try:
        config = replace(CONFIG, backup=BackupSection(second_folder=str(small_disk.path)))
        result = backup.make_backup(data / "comptoir.db", config, NOW)
        assert [c.status for c in result.copies] == ["written", "not_writable"]
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk.path)], check=True)


def test_a_full_disk_is_a_status_and_harms_nothing(tmp_path, small_disk, capsys):  # noqa: F811
    """The store and its backup folder on a disk that fills up: the backup says so, leaves
    nothing behind, and the store is intact and sells again once space is freed."""
    data = small_disk.path / "data"
    service, session = shop(data)
    sell(service, session, 2)
    before = rows(service.store.conn)
    small_disk.fill()
    result = backup.make_backup(service.store.path, CONFIG, NOW)
    assert [c.status for c in result.copies] == ["disk_full"] and result.file is None
    assert main(["--data", str(data), "--lang", "en", "backup"]) == 1
    captured = capsys.readouterr()
    assert "NOT written: the disk is full" in captured.out and "untouched" in captured.err
    assert list((data / "backups").iterdir()) == []         # no half-written copy
    small_disk.free()
    assert rows(service.store.conn) == before
    assert service.store.check_integrity(full=True).ok
    sell(service, session, 1)
    assert backup.make_backup(service.store.path, CONFIG, NOW).copies[0].status == "written"
    service.store.close()


def test_a_backup_while_another_process_sells_is_consistent(tmp_path):
    data = tmp_path / "data"
    db = data / "comptoir.db"
    store = open_store(db, create=True)
    school = generate(60, day=business_day(SystemClock().now(), CONFIG.tz))
    importer.apply(store, importer.parse(school), SystemClock().now())
    store.close()
    child = _Child(db, _sellable_badges(school))
    try:
        child.go()
        child.wait_ready(60)
        seqs = [0]
        for i in range(3):
            # Sales go on between the backups: one after the last copy (reading the child's
            # reports also keeps its pipe from filling up, which would stall it).
            child.wait_sold_after(seqs[-1], 60)
            result = backup.make_backup(db, CONFIG, NOW + timedelta(seconds=i))
            assert [c.status for c in result.copies] == ["written"], result
            seqs.append(result.seq)
        # a store open in another process is never replaced, even forced
        assert main(["--data", str(data), "restore", "--force"]) == 3
    finally:
        child.close()
    seqs = seqs[1:]
    assert seqs == sorted(seqs) and seqs[0] >= 1 and len(set(seqs)) == 3
    with sqlite3.connect(db) as live:
        final = rows(live)
    for path in backup.backups_in(data / "backups"):
        with backup.open_copy(path) as conn:
            copy = rows(conn)
        assert copy == final[:len(copy)]            # a prefix of the store: a snapshot
        assert backup.check_copy(path)[0] is None


def damage(path: Path) -> None:
    """Garbage over the journal's first page (a page in use: SQLite's check finds it)."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'journal'"
                               ).fetchone()
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(os.urandom(page_size))


def test_a_damaged_backup_is_refused_and_nothing_changes(tmp_path, capsys):
    data = tmp_path / "data"
    service, session = shop(data)
    sell(service, session, 40)
    service.store.close()
    result = backup.make_backup(data / "comptoir.db", CONFIG, NOW)
    assert result.file is not None
    good, bad, tampered = result.file, tmp_path / "bad.db", tmp_path / "tampered.db"
    bad.write_bytes(good.read_bytes())
    damage(bad)
    tampered.write_bytes(good.read_bytes())
    with sqlite3.connect(tampered) as conn:       # an amount changed after the fact
        conn.execute("DROP TRIGGER journal_append_only_u")
        conn.execute("UPDATE journal SET body = replace(body, '-100', '-10') WHERE seq = 7")
    not_a_store = tmp_path / "notes.db"
    not_a_store.write_text("hello")
    (data / "comptoir.db").unlink()                 # the store is lost
    for path in (bad, tampered, not_a_store, tmp_path / "nowhere.db"):
        assert main(["--data", str(data), "--lang", "en", "restore", str(path)]) == 3, path
        err = capsys.readouterr().err
        assert "nothing was changed" in err, err
        assert not (data / "comptoir.db").exists()
    assert "entry 7" in main_err(data, tampered, capsys)
    assert main(["--data", str(data), "--lang", "en", "restore", str(good)]) == 0
    store = open_store(data / "comptoir.db")
    assert store.health.ok and journal.last_link(store.conn)[0] == 40
    store.close()


def main_err(data: Path, path: Path, capsys) -> str:
    main(["--data", str(data), "--lang", "en", "restore", str(path)])
    return capsys.readouterr().err


def test_an_intact_store_is_replaced_only_when_forced_and_kept_aside(tmp_path, capsys):
    data = tmp_path / "data"
    service, session = shop(data)
    sell(service, session, 2)
    service.store.close()
    assert main(["--data", str(data), "backup"]) == 0
    service = CounterService(open_store(data / "comptoir.db"), CONFIG)     # sells on
    sell(service, service.login("Marie", DEMO_PINS["Marie"]), 3)
    service.store.close()
    assert main(["--data", str(data), "--lang", "en", "restore"]) == 3    # the newest backup
    assert "intact" in capsys.readouterr().err
    store = open_store(data / "comptoir.db")
    assert journal.last_link(store.conn)[0] == 5
    store.close()
    assert main(["--data", str(data), "--lang", "en", "restore", "--force"]) == 0
    out = capsys.readouterr().out
    assert "kept as" in out and "comptoir enrol" in out      # not enrolled: what to do next
    (aside,) = data.glob("comptoir.db.replaced-*")
    with sqlite3.connect(f"file:{aside}?mode=ro", uri=True) as conn:
        assert journal.last_link(conn)[0] == 5      # the store replaced, all of it
    store = open_store(data / "comptoir.db")
    assert store.health.ok and journal.last_link(store.conn)[0] == 2
    assert mode(data / "comptoir.db") == 0o600
    store.close()


def test_a_z_is_followed_by_a_backup_that_holds_it(tmp_path):
    data = tmp_path / "data"
    service, session = shop(data)
    sell(service, session, 2)
    supervisor = service.login("Luc", DEMO_PINS["Luc"])
    report = service.close_day(supervisor)
    for thread in threading.enumerate():
        if thread.name == "backup":
            thread.join(timeout=60)
    (copy,) = backup.backups_in(data / "backups")
    assert copy.name.endswith(f"-seq{report.close_seq}.db")
    assert backup_status.last_backup(service.store)["seq"] == report.close_seq
    service.store.close()


def test_the_sync_daemon_backs_up_every_night_even_cut_off(tmp_path, monkeypatch):
    data = tmp_path / "data"
    config = replace(CONFIG, sync=SyncSection(nightly_at="00:00"))
    service, session = shop(data, config)
    sell(service, session, 1)
    dead = Client(f"http://127.0.0.1:{free_port()}", "token", timeout=(0.5, 0.5))
    agent = Agent(service.store, dead, config)
    stop = threading.Event()
    original = backup.nightly
    made = []

    def nightly(*args):
        made.append(original(*args))
        stop.set()                  # one night is enough for the test
        return made[-1]
    monkeypatch.setattr(backup, "nightly", nightly)
    daemon = threading.Thread(target=agent.run_forever, args=(stop, 0.01), daemon=True)
    daemon.start()
    try:
        stop.wait(timeout=60)   # the backup ends the wait; a daemon that makes none, the timeout
    finally:
        stop.set()
        daemon.join(timeout=30)
        dead.close()
    assert len(made) == 1 and made[0] is not None and made[0].seq == 1
    assert not backup.nightly_due(service.store, config, SystemClock().now())   # once a day
    service.store.close()
