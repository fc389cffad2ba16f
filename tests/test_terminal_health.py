"""The terminal's health seen by the office (issue 18 point 6, issue 16 points 5 and 6): a
real terminal store with the demo school, its real sync agent and print worker, the real
platform over loopback HTTP (SQLite and PostgreSQL, ``backend``), the office's JSON API.

The agent reports with each round; the board shows the report and flags what is wrong by one
rule (``terminal_health.warnings``): a printer failing for more than 30 min, a disk nearly
full (only the disk-free measurement is faked: ``kiosk.health_report.disk_usage``), a clock
off, a terminal silent on a school day. A push without a report (an older terminal) is
accepted, and a new agent with a platform that lacks the call still syncs. An operator locked
out at the terminal (5 wrong PINs) shows in the office, is unlocked there, and logs in at the
terminal after its next pull; an old unlock never frees a newer lock."""
from __future__ import annotations

import socket
from collections import namedtuple
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import requests

from kiosk import backup, health_report, operators as terminal_operators, print_jobs
from kiosk.config import BackupSection, PrinterSection, PrintingSection, TerminalConfig
from kiosk.demo.school import DEMO_PINS, Badge
from kiosk.hardware import open_printer
from kiosk.print_worker import PrintWorker
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent
from sync.common.clock import ManualClock, iso_utc
from sync.common.errors import AuthError
from sync.models import DataSet
from sync.server import terminal_health
from sync.server.storage import CentralStore

from .conftest import BRUSSELS
from .loopback import Served
from .test_office_terminals_reports import Office, real_terminal
from .test_server import school_b

MONDAY = datetime(2026, 11, 23, 12, 5, tzinfo=BRUSSELS)      # a school day
Usage = namedtuple("Usage", "total used free")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(central_dbs, demo_data, tmp_path_factory):
    platform_clock = ManualClock(MONDAY)
    store = CentralStore(central_dbs.new(), create=True, now=platform_clock.now)
    store.add_school("Institut Saint-Michel", "school-a")
    store.add_school("School B", "school-b")
    store.load("school-a", DataSet.model_validate(demo_data))
    store.load("school-b", school_b())
    served = Served(store)
    office = Office(served.url, store.create_admin_token())
    clock = ManualClock(MONDAY)
    t = real_terminal(tmp_path_factory.mktemp("terminal"), office, demo_data, "Cantine 1", clock)
    t.agent = Agent(t.store, t.client, clock=clock)
    try:
        yield SimpleNamespace(store=store, office=office, t=t, clock=clock,
                              platform_clock=platform_clock, url=served.url)
    finally:
        t.client.close()
        t.store.close()
        served.stop()
        store.close()


def tick(site, **delta) -> None:
    """Time passes, for the terminal and the platform alike."""
    site.clock.advance(**delta)
    site.platform_clock.advance(**delta)


def board(site, school: str = "school-a") -> dict:
    return {t["name"]: t for t in site.office.get("/terminals", school=school).json()[
        "terminals"]}


def test_the_agent_reports_its_health_and_the_board_shows_it(site):
    t = site.t
    health_report.record_start(t.store, site.clock.now())
    marie = t.service.login("Marie", DEMO_PINS["Marie"])
    t.service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert board(site)["Cantine 1"]["health"] is None          # nothing reported yet
    t.agent.run_once()
    shown = board(site)["Cantine 1"]
    health = shown["health"]
    assert health["version"] == shown["version"].split()[0] or health["version"]
    assert shown["entries_waiting"] == 0 and health["entries_waiting"] == 0
    assert health["disk_free_bytes"] > 0 and 0 < health["disk_free_percent"] <= 100
    assert health["start_reason"] == "clean" and health["started_at"]
    assert health["printer"] == "unknown" and health["reader"] == "unknown"
    assert abs(health["clock_offset_seconds"]) < 5 and health["last_backup_at"] is None
    assert health["age_minutes"] == 0 and health["received_at"]
    assert health["locked_operators"] == []
    assert shown["warnings"] == []
    # A sale made after the round waits on the terminal: the next report says so.
    tick(site, minutes=1)
    t.service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert t.agent.report_health()
    assert board(site)["Cantine 1"]["entries_waiting"] == 1
    # The report's age grows with the platform's clock.
    tick(site, minutes=7)
    assert board(site)["Cantine 1"]["health"]["age_minutes"] == 7
    # A backup made: the next report carries its time (kiosk.backup_status).
    config = TerminalConfig(backup=BackupSection())
    made = backup.make_backup(t.store.path, config, site.clock.now())
    assert t.agent.report_health()
    assert board(site)["Cantine 1"]["health"]["last_backup_at"] == iso_utc(made.at)


def test_a_failing_printer_is_flagged_after_30_minutes(site):
    t = site.t
    config = TerminalConfig(printing=PrintingSection(receipt="always"), printer=PrinterSection(
        backend="network", host="127.0.0.1", port=closed_port(), status_timeout_ms=300))
    worker = PrintWorker(t.store.path, config, open_printer(config.printer), clock=site.clock)
    with t.store.write() as conn:
        print_jobs.enqueue(conn, "receipt", site.clock.now(), entry_seq=1)   # the first sale
    worker.run_once()                   # nobody answers on that port: the printer is offline
    t.agent.run_once()
    shown = board(site)["Cantine 1"]
    assert shown["printer"] == "offline" and shown["health"]["print_jobs_waiting"] >= 1
    assert "printer_failing" not in shown["warnings"]       # not for long yet
    tick(site, minutes=31)
    t.agent.run_once()                  # still failing in the next report
    assert "printer_failing" in board(site)["Cantine 1"]["warnings"]
    # Back to ok: no longer flagged (the worker's state, as it publishes it).
    with t.store.write() as conn:
        t.store.set_kv(conn, "meta", health_report.PRINTER, '{"state": "ok", "code": "x"}')
        conn.execute("DELETE FROM print_jobs")
    t.agent.run_once()
    assert board(site)["Cantine 1"]["warnings"] == []


def test_a_nearly_full_disk_and_a_clock_off_are_flagged(site, monkeypatch):
    t = site.t
    monkeypatch.setattr(health_report, "disk_usage",
                        lambda folder: Usage(64_000_000_000, 63_600_000_000, 400_000_000))
    t.agent.run_once()
    shown = board(site)["Cantine 1"]
    assert shown["health"]["disk_free_bytes"] == 400_000_000
    assert shown["warnings"] == ["disk_low"]
    monkeypatch.undo()
    # A terminal whose clock runs 5 minutes ahead of the platform's.
    ahead = Agent(t.store, t.client, clock=ManualClock(site.clock.now() + timedelta(minutes=5)))
    ahead.run_once()
    shown = board(site)["Cantine 1"]
    assert shown["health"]["clock_offset_seconds"] == pytest.approx(-300, abs=5)
    assert shown["warnings"] == ["clock_off"]
    t.agent.run_once()
    assert board(site)["Cantine 1"]["warnings"] == []


def test_silent_on_a_school_day_only(site):
    site.platform_clock.advance(hours=5)                     # Monday, 5 h without contact
    assert "silent" in board(site)["Cantine 1"]["warnings"]
    site.clock.advance(hours=5)
    site.t.agent.run_once()
    assert board(site)["Cantine 1"]["warnings"] == []
    # The rule itself: a Saturday's silence is no worry; a backup only once reported.
    now = MONDAY + timedelta(days=5)
    long_ago = iso_utc(now - timedelta(days=3))
    assert terminal_health.warnings(None, long_ago, now, on_school_day=False) == []
    assert terminal_health.warnings({"last_backup_at": None}, iso_utc(now), now, True) == []
    assert terminal_health.warnings({"last_backup_at": long_ago, "disk_free_percent": 9.5,
                                     "disk_free_bytes": 10**12}, long_ago, now,
                                    True) == ["silent", "disk_low", "no_backup"]


def test_an_old_terminal_and_an_old_platform_still_sync(site, demo_data, tmp_path):
    # A terminal that pushes without reporting (as an older release does): accepted as ever.
    old = real_terminal(tmp_path, site.office, demo_data, "Ancienne", site.clock)
    try:
        old.service.sell(old.service.login("Luc", DEMO_PINS["Luc"]), Badge.EMMA, {"SOUP": 1})
        assert old.agent.push() == 1
    finally:
        old.client.close()
        old.store.close()
    # With no unlock made, a pull's operators carry no new field (an older terminal refuses
    # unknown fields).
    raw = requests.get(site.url + protocol.CHANGES, timeout=30, headers={
        "Authorization": f"Bearer {site.t.creds.token}"}).json()
    assert raw["operators"] and all("unlocked_at" not in o for o in raw["operators"])
    old = board(site)["Ancienne"]
    assert old["health"] is None and old["printer"] is None and old["warnings"] == []
    # A new agent with a platform that lacks the call: the round still pushes and pulls.
    t = site.t
    tick(site, minutes=1)
    t.service.sell(t.service.login("Marie", DEMO_PINS["Marie"]), Badge.EMMA, {"SOUP": 1})
    before = site.office.get("/terminals/" + t.store.device_id).json()["high_water"]
    mp = pytest.MonkeyPatch()
    mp.setattr(protocol, "HEALTH", protocol.HEALTH + "-not-here")
    try:
        assert t.agent.run_once()["pushed"] == 1
        assert not t.agent.report_health()
    finally:
        mp.undo()
    assert site.office.get("/terminals/" + t.store.device_id).json()["high_water"] == before + 1


def test_a_school_cannot_see_another_schools_terminal_health(site):
    device = site.t.store.device_id
    assert site.office.get(f"/terminals/{device}").json()["health"]["version"]
    assert site.office.get(f"/terminals/{device}", 404, school="school-b").json()[
        "error"] == "not_found"
    assert "Cantine 1" not in board(site, "school-b")
    assert site.office.get("/operator-locks", school="school-b").json()["locks"] == []


def test_a_locked_operator_is_unlocked_from_the_office(site):
    t, office = site.t, site.office
    for _ in range(5):
        with pytest.raises(AuthError):
            t.service.login("Marie", "0000")
    with pytest.raises(AuthError) as locked:
        t.service.login("Marie", DEMO_PINS["Marie"])
    assert locked.value.code == "operator_locked"
    t.agent.run_once()
    locks = office.get("/operator-locks").json()["locks"]
    assert [(x["operator_id"], x["operator_name"], x["device_name"]) for x in locks] == [
        ("op-marie", "Marie", "Cantine 1")]
    # Only ids travel in the report, never a name.
    report = board(site)["Cantine 1"]["health"]
    assert "Marie" not in str(report) and report["locked_operators"][0]["operator_id"] == "op-marie"
    assert office.post("/operators/op-marie/unlock")["unlocked_at"]
    assert office.get("/operator-locks").json()["locks"] == []
    assert office.post("/operators/nope/unlock", 404)["error"] == "not_found"
    assert office.post("/operators/op-marie/unlock", 404, school="school-b")["error"] == \
        "not_found"
    t.agent.run_once()                  # the pull brings the unlock
    assert t.service.login("Marie", DEMO_PINS["Marie"]).name == "Marie"


def test_an_old_unlock_never_frees_a_newer_lock(site):
    t = site.t
    stamp = iso_utc(site.clock.now() - timedelta(minutes=1))
    for _ in range(5):
        with pytest.raises(AuthError):
            t.service.login("Luc", "0000")
    with t.store.write() as conn:       # an unlock made before this lock began, first seen now
        terminal_operators.office_unlocks(conn, [("op-luc", stamp)])
    with pytest.raises(AuthError) as locked:
        t.service.login("Luc", DEMO_PINS["Luc"])
    assert locked.value.code == "operator_locked"
    later = iso_utc(site.clock.now() + timedelta(seconds=1))
    with t.store.write() as conn:       # one made after it unlocks, once
        terminal_operators.office_unlocks(conn, [("op-luc", later)])
    assert t.service.login("Luc", DEMO_PINS["Luc"]).name == "Luc"


def test_the_last_start_says_clean_crash_or_update(tmp_path, monkeypatch):
    """Why the touch app started (``record_start``), and the reader's state it publishes."""
    now = MONDAY
    store = open_store(tmp_path / "comptoir.db", create=True)
    assert health_report.record_start(store, now) == "clean"
    with store.write() as conn:         # a process that died with the store open
        store.set_kv(conn, "meta", "session:dead", '{"boot": "x", "pid": 1, "start": "0"}')
    store.close()
    store = open_store(tmp_path / "comptoir.db")
    assert health_report.record_start(store, now + timedelta(minutes=1)) == "crash"
    assert health_report.record_start(store, now + timedelta(minutes=2)) == "clean"
    monkeypatch.setattr(health_report, "version", lambda: "99.0")
    assert health_report.record_start(store, now + timedelta(minutes=3)) == "update"
    report = health_report.collect(store, now)
    assert (report.started_at, report.start_reason) == (iso_utc(now + timedelta(minutes=3)),
                                                        "update")
    assert report.version == "99.0" and report.reader == "unknown"
    health_report.publish_reader(store, "unplugged")
    assert health_report.collect(store, now).reader == "unplugged"
    health_report.publish_reader(store, "the reader's own English")    # never shown as is
    assert health_report.collect(store, now).reader == "failed"
    store.close()
