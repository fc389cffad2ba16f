"""A start after a clean close skips SQLite's page check (``PRAGMA quick_check``: 3 s on a
store of a million journal entries); a start after a kill runs it, and finds a damaged page
(``kiosk.store.sessions``); the integrity monitor's nightly round finds what a clean start
did not read (``kiosk.integrity``); ``comptoir check`` always reads every page.

Real store files (the demo school), real child processes killed with SIGKILL (as
tests/test_crash.py does), the real ``python -m kiosk.cli check``. The damage is one byte: the
page type of the ``students_class`` index's root page, which nothing reads at start-up, so
only a page check can find it (``btreeInitPage() returns error code 11``)."""
from __future__ import annotations

import dataclasses
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import PolicySection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.store import demo_service
from kiosk.integrity import pages_due
from kiosk.store import open_store, sessions
from sync.common.clock import ManualClock

ROOT = Path(__file__).resolve().parent.parent
BRUSSELS = ZoneInfo("Europe/Brussels")

# A terminal that opens the store the way it does at start-up, says so, then writes on.
CHILD = """
import sys, time
from kiosk.store import open_store
store = open_store(sys.argv[1])
print("open", store.health.ok, flush=True)
while True:
    with store.write() as conn:
        store.set_kv(conn, "sync_state", "child_tick", time.monotonic())
    time.sleep(0.01)
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    service, _session = demo_service(students=60, folder=tmp_path)
    service.store.close()                    # a clean close
    return tmp_path


def damage_a_page(db: Path) -> None:
    """Scribble over the page type of an index's root page (no process has the file open)."""
    conn = sqlite3.connect(db)
    root, size = (conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'students_class'")
                  .fetchone()[0], conn.execute("PRAGMA page_size").fetchone()[0])
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\x00")


def start_child(db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_when_open(db: Path) -> None:
    child = start_child(db)
    try:
        line = child.stdout.readline()
        assert line.split() == ["open", "True"], line + child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)


def cli_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--data", str(folder), "check"],
                          cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def test_a_start_after_a_clean_close_skips_the_page_check(folder):
    db = folder / "comptoir.db"
    with open_store(db) as store:
        assert store.health.ok and store.pages_checked is None       # the chain only
    damage_a_page(db)                      # after a clean close: the start does not see it …
    with open_store(db) as store:
        assert store.health.ok and store.pages_checked is None
    result = cli_check(folder)             # … `comptoir check` reads every page, always
    assert result.returncode != 0 and "endommagé" in result.stderr, result.stderr + result.stdout
    with open_store(db) as store:          # and the failure it found is kept: no sale
        assert not store.health.ok and store.health.code == "store_corrupt"


def test_a_start_after_a_kill_checks_the_pages_once(folder):
    db = folder / "comptoir.db"
    kill_when_open(db)
    with open_store(db) as store:          # the kill left its session: the pages are read
        assert store.health.ok and store.pages_checked == "quick_check"
    with open_store(db) as store:          # that check forgot the dead session; clean since
        assert store.health.ok and store.pages_checked is None


def test_a_damaged_page_is_found_after_a_kill(folder):
    db = folder / "comptoir.db"
    kill_when_open(db)
    damage_a_page(db)
    with open_store(db) as store:
        assert not store.health.ok and store.health.code == "store_corrupt"
        assert "btreeInitPage" in store.health.detail
    with open_store(db) as store:          # recorded in the store: every later start refuses
        assert not store.health.ok and store.pages_checked is None


def test_a_kill_at_any_moment_leads_to_the_page_check(folder):
    """Kills at random moments of a child's start-up and writes: whenever the child had
    opened the store, the next start reads every page. (A kill before its open returned may
    or may not have left a session: either way is right, the open had not finished.)"""
    db = folder / "comptoir.db"
    rng = random.Random(20261207)
    opened_kills = 0
    for _ in range(12):
        child = start_child(db)
        lines: list[str] = []
        reader = threading.Thread(target=lambda c=child, out=lines: out.extend(c.stdout), daemon=True)
        reader.start()
        time.sleep(rng.uniform(0.0, 1.5))              # Python's start-up is ~0.3 s here
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        reader.join(10)
        with open_store(db) as store:
            assert store.health.ok, store.health
            if lines:
                opened_kills += 1
                assert store.pages_checked == "quick_check", lines
    assert opened_kills >= 3                  # most rounds killed an open store
    with open_store(db) as store:
        assert store.pages_checked is None


def test_the_nightly_round_of_the_monitor_finds_what_a_clean_start_did_not_read(folder):
    db = folder / "comptoir.db"
    clock = ManualClock(datetime(2026, 3, 10, 13, 0, tzinfo=timezone.utc))   # 14:00 in Brussels
    with open_store(db, check=False) as store:
        store.clock = clock
        store.check_integrity(pages=True)                 # the page check of the day
        assert store.meta(sessions.CHECKED_AT) == "2026-03-10T13:00:00.000000Z"
        assert not pages_due(store, clock.now(), BRUSSELS)
        clock.advance(hours=12, minutes=59)               # 02:59 the next night: not yet
        assert not pages_due(store, clock.now(), BRUSSELS)
        clock.advance(minutes=2)                          # 03:01: due
        assert pages_due(store, clock.now(), BRUSSELS)
    damage_a_page(db)
    store = open_store(db)
    assert store.health.ok and store.pages_checked is None
    config = TerminalConfig(policy=dataclasses.replace(PolicySection(), integrity_check_minutes=0))
    service = CounterService(store, config, clock)
    service.start_integrity_monitor()
    try:
        deadline = time.monotonic() + 20
        while service.store.health.ok and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        service.stop_integrity_monitor()
        store.close()
    assert service.store.health.code == "store_corrupt"


def test_the_monitor_checks_only_the_chain_by_day(folder):
    db = folder / "comptoir.db"
    clock = ManualClock(datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc))    # 10:00 in Brussels
    with open_store(db, check=False) as store:
        store.clock = clock
        store.check_integrity(pages=True)                 # this morning's page check
    damage_a_page(db)                                     # the chain is intact
    store = open_store(db)
    config = TerminalConfig(policy=dataclasses.replace(PolicySection(), integrity_check_minutes=0))
    service = CounterService(store, config, clock)
    service.start_integrity_monitor()
    try:
        time.sleep(1.0)                                   # many rounds (interval 0)
    finally:
        service.stop_integrity_monitor()
    assert service.store.health.ok                        # no page check before tonight
    store.close()
