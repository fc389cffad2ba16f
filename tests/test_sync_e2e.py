"""End to end over real loopback HTTP: the reference server runs as its own process
(`comptoir central serve`), the terminal is driven through its `comptoir` commands. The whole
flow runs twice: the server on a SQLite file, then on a PostgreSQL database
(`--db postgresql://...`; ``backend``, see conftest.py)."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
import requests

from kiosk.demo.school import Badge

from .central_db import central_rows

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=670)


def comptoir(*args, data=None, operator=None, pin=None, check_rc=0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    if data:
        env["COMPTOIR_DATA"] = str(data)
    if operator:
        env.update(COMPTOIR_OPERATOR=operator, COMPTOIR_PIN=pin)
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    if check_rc is not None:
        assert proc.returncode == check_rc, (args, proc.stdout, proc.stderr)
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(central_dbs, students: int):
    """A fresh central database with a demo school of ``students``, served on loopback by
    ``comptoir central serve``: yields ``{"db": ..., "url": ...}``."""
    db = central_dbs.new()
    comptoir("central", "init", "--db", db, "--school", "Institut Saint-Michel")
    comptoir("central", "demo-data", "--db", db, "--students", str(students))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "central", "serve", "--db",
                               db, "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/api/v1/device", timeout=1)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        yield {"db": db, "url": url}
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


@pytest.fixture(scope="module")
def central(central_dbs):
    """A central server with the 800-student demo school, serving on loopback."""
    with serving(central_dbs, 800) as served:
        yield served


def enrolled_terminal(central, folder, name: str) -> tuple[str, str]:
    """A new terminal (`comptoir init`), enrolled with a fresh one-time code: (code, what
    `comptoir enrol` printed)."""
    comptoir("init", "--name", name, data=folder)
    code = comptoir("central", "enrol-code", "--db", central["db"], "--name", name).stdout.strip()
    return code, comptoir("enrol", central["url"], code, data=folder).stdout


def test_enrol_pull_sell_push(central, tmp_path):
    db, url = central["db"], central["url"]
    data = tmp_path / "terminal"
    code, out = enrolled_terminal(central, data, "Cantine 1")
    assert "«\xa0Cantine 1\xa0» — Institut Saint-Michel" in out
    again = comptoir("enrol", url, code, data=data, check_rc=1)       # a code works once
    assert "bad_code" in again.stderr

    first = comptoir("sync", "--once", data=data).stdout
    status = comptoir("status", data=data).stdout
    assert "800 élèves" in status and "799 portefeuilles" in status, status
    assert "0 opération(s) en attente" in status and "en ligne" in status
    assert "0 opération(s) envoyée(s)" in first

    for uid, items in ((Badge.EMMA, ["SOUP"]), (Badge.LOUIS_RESERVED, ["SOUP", "APPLEx2"])):
        comptoir("sell", "--badge", uid, *items, data=data, operator="Marie", pin="1234")
    comptoir("pickup", "--badge", Badge.LOUIS_RESERVED, data=data, operator="Marie", pin="1234")
    comptoir("void", "1", data=data, operator="Luc", pin="5678")
    pushed = comptoir("sync", "--once", data=data).stdout
    assert "4 opération(s) envoyée(s)" in pushed and "0 en attente" in pushed

    # The platform holds the terminal's journal entry for entry, with device, wallet, article.
    local = sqlite3.connect(data / "comptoir.db").execute(
        "SELECT seq, hash FROM journal ORDER BY seq").fetchall()
    remote = central_rows(db, "SELECT seq, hash FROM journal ORDER BY seq")
    assert remote == local and len(local) == 4
    device = sqlite3.connect(data / "comptoir.db").execute(
        "SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    [(kind, body)] = central_rows(db, "SELECT kind, body FROM journal"
                                      " WHERE device_id = ? AND seq = 2", (device,))
    sale = json.loads(body)
    assert kind == "sale" and sale["postings"] == [{"wallet": "W00008", "amount_cents": -200}]
    assert [line["article"] for line in sale["lines"]] == ["SOUP", "APPLE"]
    # Balances: Emma's sale was voided (25,00 €), Louis paid 2,00 €.
    balances = dict(central_rows(db, "SELECT id, balance_cents FROM wallets WHERE id IN"
                                     " ('W00001', 'W00008')"))
    assert balances == {"W00001": 2500, "W00008": 800}

    # The parents' journal query (the platform's sales journal) shows them with device, wallet
    # and article.
    admin = comptoir("central", "admin-token", "--db", db).stdout.strip().split()[-1]
    answer = requests.get(url + "/api/v1/admin/sales", params={"student": "S00008", "period": "today"},
                          headers={"Authorization": f"Bearer {admin}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    rows = [(r["kind"], r["device_name"], r["wallet_name"], r["article_name"], r["quantity"],
             r["amount_cents"]) for r in answer.json()["rows"]]
    assert sorted(rows, key=str) == sorted([
        ("sale", "Cantine 1", "Portefeuille", "Potage et pain", 1, -100),
        ("sale", "Cantine 1", "Portefeuille", "Pomme", 2, -100),
        ("pickup", "Cantine 1", None, "Sandwich fromage", 1, 0)], key=str)

    # The next pull brings those balances back with the seq they include: nothing is counted
    # twice on the terminal.
    comptoir("sync", "--once", data=data)
    shown = comptoir("balance", "--badge", Badge.LOUIS_RESERVED, data=data).stdout
    assert "8,00" in shown
    wallet = sqlite3.connect(data / "comptoir.db").execute(
        "SELECT balance_cents, included_seq FROM wallets WHERE id = 'W00008'").fetchone()
    assert wallet == (800, 4)


def test_revoked_terminal_is_refused_and_keeps_selling(central, tmp_path):
    db = central["db"]
    data = tmp_path / "terminal"
    enrolled_terminal(central, data, "Accueil")
    comptoir("sync", "--once", data=data)
    device = sqlite3.connect(data / "comptoir.db").execute(
        "SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    comptoir("central", "revoke", "--db", db, "--device", device)
    comptoir("sell", "--badge", Badge.EMMA, "SOUP", data=data, operator="Marie", pin="1234")
    refused = comptoir("sync", "--once", data=data, check_rc=1)
    assert "revoked" in refused.stderr
    status = comptoir("status", data=data).stdout
    assert "1 opération(s) en attente" in status and "RÉVOQUÉ par la plateforme" in status


def test_daemon_pushes_a_sale_as_soon_as_it_is_made(central, tmp_path):
    import threading

    from kiosk.config import TerminalConfig
    from kiosk.counter import CounterService
    from kiosk.store import open_store
    from sync.agent import Agent, load_credentials
    from sync.client import Client

    db = central["db"]
    data = tmp_path / "terminal"
    enrolled_terminal(central, data, "Cantine 2")
    store = open_store(data / "comptoir.db")
    creds = load_credentials(data)
    client = Client(creds.url, creds.token)
    agent = Agent(store, client, TerminalConfig())
    stop = threading.Event()
    daemon = threading.Thread(target=agent.run_forever, args=(stop, 0.05), daemon=True)
    daemon.start()
    counter_store = None
    try:
        deadline = time.monotonic() + 60                  # the first round pulls the school
        while store.sync_state("status") != "online":
            assert time.monotonic() < deadline, store.sync_state("last_error")
            time.sleep(0.05)
        counter_store = open_store(data / "comptoir.db")      # the app's own connection
        service = CounterService(counter_store, TerminalConfig())
        marie = service.login("Marie", "1234")
        sale = service.sell(marie, Badge.EMMA, {"SOUP": 1})
        device = store.device_id
        deadline = time.monotonic() + 10
        while central_rows(db, "SELECT hash FROM journal WHERE device_id = ? AND seq = ?",
                           (device, sale.entry.seq)) != [(sale.entry.hash,)]:
            assert time.monotonic() < deadline, "the daemon did not push the sale"
            time.sleep(0.05)
        # the platform holds the row before the agent has read its answer and recorded it
        while agent.waiting() != 0:
            assert time.monotonic() < deadline, "the daemon did not record the push's answer"
            time.sleep(0.05)
    finally:
        stop.set()
        daemon.join(timeout=10)
        for opened in (counter_store, client, store):
            if opened is not None:
                opened.close()
    assert not daemon.is_alive()


def test_nightly_full_sync_runs_once_per_night(central, tmp_path):
    """After [sync] nightly_at the daemon does a full resync with the consistency check, once;
    the rest of the night it only does its usual rounds."""
    import threading
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.config import TerminalConfig
    from kiosk.store import open_store
    from sync.agent import Agent, load_credentials
    from sync.client import Client
    from sync.common.clock import ManualClock

    data = tmp_path / "terminal"
    enrolled_terminal(central, data, "Cantine 3")
    store = open_store(data / "comptoir.db")
    creds = load_credentials(data)
    clock = ManualClock(datetime(2026, 11, 26, 2, 29, tzinfo=ZoneInfo("Europe/Brussels")))
    client = Client(creds.url, creds.token)
    agent = Agent(store, client, TerminalConfig(), clock)
    full_rounds = []
    original = agent.run_once
    agent.run_once = lambda full=False: (full_rounds.append(full), original(full=full))[1]

    def run_for(seconds: float):
        stop = threading.Event()
        thread = threading.Thread(target=agent.run_forever, args=(stop, 0.02), daemon=True)
        thread.start()
        time.sleep(seconds)
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()

    try:
        run_for(1.0)                               # 02:29: an ordinary first round
        assert full_rounds == [False] and store.sync_state("nightly_done_on") is None
        clock.advance(minutes=2)                   # 02:31: the nightly run is due
        run_for(1.0)
        assert full_rounds == [False, True]
        assert store.sync_state("nightly_done_on") == "2026-11-26"
        assert store.sync_state("status") == "online"
        clock.advance(minutes=10)                  # later that night: not again
        run_for(1.0)
        assert full_rounds.count(True) == 1
    finally:
        client.close()
        store.close()


def test_one_version_from_the_cli_to_the_platforms_device_list(central, tmp_path):
    """`comptoir --version`, the User-Agent the agent sends and the platform's list of
    terminals all show the installed version (sync.common.version, setup.cfg's one source)."""
    from sync.common.version import version
    shown = comptoir("--version").stdout.strip()
    assert shown == f"comptoir {version()}"
    data = tmp_path / "terminal"
    enrolled_terminal(central, data, "Accueil V")
    comptoir("sync", "--once", data=data)
    listing = comptoir("central", "--lang", "en", "devices", "--db", central["db"]).stdout
    [line] = [row for row in listing.splitlines() if "Accueil V" in row]
    assert version() in line.split(), listing
