"""What the office sees (``sync.server.problems``) and how the verification is run: the admin
endpoints over real loopback HTTP, the command line, the nightly job (``sync.server.nightly``)
on the clock seam and inside a real ``comptoir central serve``; on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
import requests

from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.server import cli, integrity_api, nightly, problems, verify
from sync.server.anchors import ANCHORS_ENV
from sync.server.storage import CentralStore

from .central_db import central_rows
from .conftest import BRUSSELS
from .loopback import Served
from .test_server import Central, Terminal

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)


@pytest.fixture(scope="module")
def office(central_dbs, demo_data, tmp_path_factory):
    """A platform on a manual clock, served on loopback, with an admin token."""
    os.environ[ANCHORS_ENV] = str(tmp_path_factory.mktemp("anchors") / "anchors.json")
    clock = ManualClock(NOON)
    store = CentralStore(central_dbs.new(), create=True, now=clock.now)
    store.add_school("School A", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    served = Served(store)
    yield Central(served.url, store), clock, {"Authorization": f"Bearer "
                                                               f"{store.create_admin_token()}"}
    served.stop()
    store.close()
    del os.environ[ANCHORS_ENV]


def listed(central: Central, admin: dict, lang: str = "en") -> list[integrity_api.ProblemRow]:
    r = requests.get(central.url + integrity_api.ADMIN_PROBLEMS, params={"lang": lang},
                     headers=admin)
    assert r.status_code == 200, r.text
    return integrity_api.ProblemList.model_validate(r.json()).problems


def test_conflicts_failed_verifications_and_silent_terminals_are_listed(office):
    central, clock, admin = office
    till: Terminal = central.terminal(name="Cantine 1")
    sale = till.sale()
    assert till.push([sale]).status_code == 200
    forked = Terminal(central, till.device_id, till.token)     # the same seq, other content
    assert forked.push([forked.sale(cents=-100)]).status_code == 409
    assert [p.kind for p in listed(central, admin)] == ["conflict"]

    central_rows(central.store, "UPDATE wallets SET balance_cents = balance_cents + 5000"
                                " WHERE id = 'W00001'", write=True)
    r = requests.post(central.url + integrity_api.ADMIN_VERIFY, headers=admin)
    answer = integrity_api.VerifyAnswer.model_validate(r.json())
    assert not answer.ok and [(f.code, f.wallet_id) for f in answer.findings] == [
        ("balance", "W00001")]
    clock.advance(hours=49)                                    # past the 48 h of silence
    problems = listed(central, admin)
    assert sorted((p.kind, p.device_id or p.wallet_id) for p in problems) == [
        ("conflict", till.device_id), ("silent", till.device_id), ("verification", "W00001")]
    assert problems[0].seq == 1 and problems[0].device_name == "Cantine 1"
    french = listed(central, admin, "fr")
    assert all(p.meaning and p.resolution for p in french)
    assert [p.meaning for p in french] != [p.meaning for p in problems]   # said in French
    dutch = listed(central, admin, "nl")
    assert [p.resolution for p in dutch] != [p.resolution for p in problems]
    # the terminal comes back, the balance is put back by hand and verified: one problem left
    till.push([till.sale()])
    central_rows(central.store, "UPDATE wallets SET balance_cents = balance_cents - 5000"
                                " WHERE id = 'W00001'", write=True)
    assert requests.post(central.url + integrity_api.ADMIN_VERIFY, headers=admin).json()["ok"]
    assert [p.kind for p in listed(central, admin)] == ["conflict"]
    # a terminal's token is not an admin's
    assert requests.get(central.url + integrity_api.ADMIN_PROBLEMS,
                        headers=till.auth).status_code == 403


def test_the_command_line_verifies_and_lists(office, capsys):
    central, clock, admin = office
    db = central.store.db
    assert cli.main(["--lang", "en", "integrity-settings", "--db", db, "--silence-hours", "2",
                     "--verify-at", "03:15"]) == 0
    assert "from 03:15 (Europe/Brussels)" in capsys.readouterr().out
    central_rows(db, "UPDATE wallets SET balance_cents = balance_cents + 5000"
                     " WHERE id = 'W00008'", write=True)
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.main(["--lang", "fr", "verify", "--db", db])
        assert exit_.value.code == 3
        out = capsys.readouterr().out
        assert "W00008" in out and "rien n'a été réparé" in out
        assert cli.main(["--lang", "fr", "problems", "--db", db]) == 0
        out = capsys.readouterr().out
        assert "[verification]" in out and "W00008" in out and "que faire" in out
    finally:
        central_rows(db, "UPDATE wallets SET balance_cents = balance_cents - 5000"
                         " WHERE id = 'W00008'", write=True)
    assert cli.main(["--lang", "en", "verify", "--db", db]) == 0
    assert capsys.readouterr().out.endswith("all right\n")


def test_the_nightly_verification_runs_once_a_night_after_its_hour(central_db, demo_data,
                                                                    tmp_path):
    anchors = tmp_path / "anchors.json"
    with CentralStore(central_db, create=True) as one, CentralStore(central_db) as other:
        one.add_school("School A", "school-a")
        nightly.set_settings(one, "school-a", at="02:30")
        early = datetime(2026, 11, 25, 2, 29, tzinfo=BRUSSELS)
        assert nightly.run_due(one, anchors, early) == []
        late = early + timedelta(minutes=1)
        done = nightly.run_due(one, anchors, late)     # the first process claims the night
        assert [r.ok for r in done] == [True]
        assert nightly.run_due(other, anchors, late + timedelta(hours=5)) == []
        assert [r.school_id for r in nightly.run_due(other, anchors,
                                                     late + timedelta(days=1))] == ["school-a"]
        rows = central_rows(one, "SELECT night, trigger, problems FROM verifications ORDER BY id")
        assert rows == [("2026-11-25", "nightly", 0), ("2026-11-26", "nightly", 0)]
        # a server stopped in the middle of the night's run: the office sees it, until the
        # next verification finishes
        nightly._claim(one, "school-a", "2026-11-27")
        now = one.now()
        assert [p.kind for p in problems.problems(one, "school-a", now)] == []
        later = now + timedelta(hours=2)
        assert [p.kind for p in problems.problems(one, "school-a", later)] == [
            "verification_unfinished"]
        verify.verify(one, "school-a", anchors_path=anchors)
        assert problems.problems(one, "school-a", later) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_the_nightly_verification(tmp_path):
    """A real ``comptoir central serve`` whose school's hour is past: it verifies at once.
    On SQLite only: it shows the job is wired into ``serve`` (the job itself, ``run_due``,
    runs on both backends above); a server process costs seconds."""
    central_db = str(tmp_path / "central.db")
    env = os.environ | {ANCHORS_ENV: str(tmp_path / "anchors.json")}
    with CentralStore(central_db, create=True) as store:
        store.add_school("Institut Saint-Michel", "ism")
        nightly.set_settings(store, "ism", at="00:00")
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "central", "serve", "--db",
                               central_db, "--port", str(free_port())], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not central_rows(central_db, "SELECT trigger FROM verifications"
                                           " WHERE finished_at IS NOT NULL"):
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert central_rows(central_db, "SELECT trigger, problems FROM verifications") == [
        ("nightly", 0)]
    assert (tmp_path / "anchors.json").exists()
