"""A lost badge is blocked everywhere (issue 13, point 1), end to end on the real parts: two
terminal stores driven through their `comptoir` commands and the real sync agent, the
reference server as its own process (`comptoir central serve`) over loopback HTTP, restarted
on the same database where the test says so; on a SQLite file, then on PostgreSQL
(``backend``, see conftest.py)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from kiosk.demo.school import Badge

from .central_db import central_rows
from .test_sync_e2e import comptoir, enrolled_terminal, free_port

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
    t1, t2 = terminals
    done = comptoir("badge", "block", "--badge", Badge.EMMA, data=t1, **LUC).stdout
    assert "Badge 04A1B2C3 de Emma Dubois bloqué" in done, done
    assert "toutes les caisses dès leur prochaine synchronisation" in done, done
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


def test_office_unblock_reaches_both_terminals(platform, terminals):
    t1, t2 = terminals
    comptoir("badge", "block", "--badge", Badge.CHLOE, data=t1, **LUC)
    comptoir("sync", "--once", data=t1)
    comptoir("sync", "--once", data=t2)
    refused_as_blocked(t2, Badge.CHLOE)

    said = platform.central("badge", "unblock", "--uid", Badge.CHLOE.lower()).stdout
    assert "débloqué" in said and "prochaine synchronisation" in said, said
    assert platform.badge_status(Badge.CHLOE) == "active"
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
        sell_soup(folder, Badge.CHLOE)


def test_block_made_offline_survives_a_full_resync_before_its_push(platform, terminals):
    from kiosk.store import open_store
    from sync.agent import Agent, load_credentials
    from sync.client import Client

    t1, t2 = terminals
    platform.stop()                               # T1 cannot reach the platform
    try:
        comptoir("badge", "block", "--badge", Badge.NOAH, data=t1, **LUC)
        offline = comptoir("sync", "--once", data=t1, check_rc=None)
        assert offline.returncode != 0
    finally:
        platform.start()
    # A full resync that runs before the block is pushed: the platform still says "active".
    store = open_store(t1 / "comptoir.db")
    client = Client(load_credentials(t1).url, load_credentials(t1).token)
    try:
        agent = Agent(store, client)
        assert agent.pull(full=True) > 0 and agent.waiting() == 1      # the block, not pushed
    finally:
        client.close()
        store.close()
    assert platform.badge_status(Badge.NOAH) == "active"
    out = comptoir("balance", "--badge", Badge.NOAH, data=t1, check_rc=REFUSED)
    assert "Badge bloqué" in out.stderr

    comptoir("sync", "--once", data=t1)           # pushed at last: then the platform's truth
    assert platform.badge_status(Badge.NOAH) == "blocked"
    comptoir("sync", "--full", data=t1)
    comptoir("sync", "--once", data=t2)
    for folder in (t1, t2):
        comptoir("balance", "--badge", Badge.NOAH, data=folder, check_rc=REFUSED)


def test_decisions_converge_to_the_one_made_last(platform, terminals):
    """Decisions count in the order they were made, not the order they reach the platform
    (``sync.server.badges``): a decision that arrives after a later one changes nothing, and
    once its push is acknowledged the terminal that made it shows the platform's state."""
    t1, t2 = terminals
    # Block, then unblock: T1 blocks without syncing (offline), T2 blocks and syncs, the office
    # unblocks (the badge was found); T1's older block arrives last.
    comptoir("badge", "block", "--badge", Badge.LINA, data=t1, **LUC)
    comptoir("badge", "block", "--badge", Badge.LINA, data=t2, **LUC)
    comptoir("sync", "--once", data=t2)
    platform.central("badge", "unblock", "--uid", Badge.LINA)
    comptoir("sync", "--once", data=t1)
    assert platform.badge_status(Badge.LINA) == "active"
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
        comptoir("balance", "--badge", Badge.LINA, data=folder)

    # Unblock, then block: the office blocks (stolen), both terminals sync; T1 unblocks without
    # syncing, then the office blocks again; T1's older unblock arrives last.
    platform.central("badge", "block", "--uid", Badge.LINA)
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
    comptoir("badge", "unblock", "--badge", Badge.LINA, data=t1, **LUC)
    comptoir("balance", "--badge", Badge.LINA, data=t1)          # here at once
    again = platform.central("badge", "block", "--uid", Badge.LINA).stdout
    assert "déjà bloqué" in again, again
    comptoir("sync", "--once", data=t1)
    assert platform.badge_status(Badge.LINA) == "blocked"
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
        comptoir("balance", "--badge", Badge.LINA, data=folder, check_rc=REFUSED)
