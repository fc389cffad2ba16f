"""Sync under network and server faults, over real loopback HTTP.

The reference server runs as its own process (``comptoir central serve``); a TCP proxy the
test controls (``tests/faultproxy.py``) sits between it and the terminals and refuses, delays,
cuts requests and answers, and drops answers the server has committed. Terminals are real
stores with the real counter service and sync agent, driven in-process. After convergence the
server must hold each terminal's journal entry for entry (no loss, no duplicate), and every
balance must be the initial one plus every posting exactly once, on the server and as each
terminal shows it. Also: a server restored from a backup that is behind the terminal, and a
server killed (SIGKILL) while a push is in flight.
"""
from __future__ import annotations

import json
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from kiosk.config import PolicySection, TerminalConfig, TerminalSection
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_BADGES, DEMO_PINS, generate
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent, enrol
from sync.client import Client, Refused, SyncError
from sync.common.errors import NeedsConfirmation, Refusal
from sync.server import allowance
from sync.server.cli import main as central_main
from sync.server.storage import CentralStore

from .central_db import central_rows
from .faultproxy import MODES, FaultProxy

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=350)

STUDENTS = 100                  # the demo school; its first students are the hand-made badges
TIMEOUT = (1, 2)                # the agents' (connect, read) timeouts, in seconds
SEED = 20261124
NO_OFFLINE_LIMIT = 10**10       # cents: an offline allowance nothing here ever reaches
CONFIRM = ("allergen", "double_tap")
CANTEEN_CARTS = [{"SOUP": 1}, {"WATER": 1}, {"APPLE": 2}, {"SANDW-HAM": 1},
                 {"SANDW-CHEESE": 1, "JUICE": 1}, {"SOUP": 1, "APPLE": 1}, {"SANDW-VEG": 2}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Central:
    """The reference server as its own process, on a fixed port it keeps across restarts."""

    def __init__(self, folder: Path, db: str | None = None,
                 offline_allowance_cents: int | None = NO_OFFLINE_LIMIT):
        """``db``: an empty central database (a file or a postgresql:// URL); default a
        SQLite file in ``folder`` (the tests that restore a backup copy that file).
        ``offline_allowance_cents``: the school's (None: the platform's default); by default
        so large that the offline floor limit never refuses: like the terminals' policy
        below, these tests are about sync, not spending limits."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.db = folder, db or folder / "central.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = folder / "server.log"
        db = str(self.db)
        assert central_main(["init", "--db", db, "--school", "Institut Saint-Michel"]) == 0
        assert central_main(["demo-data", "--db", db, "--students", str(STUDENTS)]) == 0
        with CentralStore(self.db) as store:
            self.school_id = store.school_id()
            if offline_allowance_cents is not None:
                allowance.set_allowance(store, self.school_id, offline_allowance_cents)

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "central", "serve", "--db", str(self.db),
                 "--port", str(self.port)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + protocol.DEVICE, timeout=1)     # 401: it is up
                return
            except requests.ConnectionError:
                assert self.proc.poll() is None, self.log.read_text()[-3000:]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def enrol_code(self, name: str) -> str:
        with CentralStore(self.db) as store:
            return store.create_enrol_code(self.school_id, name)

    def query(self, sql: str, params=()) -> list[tuple]:
        return central_rows(str(self.db), sql, params)

    def journal(self, device_id: str) -> list[tuple]:
        return self.query("SELECT seq, prev_hash, hash, body FROM journal WHERE device_id = ?"
                          " ORDER BY seq", (device_id,))

    def high_water(self, device_id: str) -> tuple[int, str]:
        return self.query("SELECT high_water, last_hash FROM devices WHERE id = ?",
                          (device_id,))[0]

    def balances(self) -> dict[str, int]:
        return dict(self.query("SELECT id, balance_cents FROM wallets"))


class Terminal:
    """A real terminal store, enrolled, with its counter service and sync agent."""

    def __init__(self, folder: Path, central: Central, url: str, name: str,
                 profile: str = "canteen", keep_alive: bool = True):
        self.store = open_store(folder / "comptoir.db", create=True)
        self.device_id = self.store.device_id
        creds = enrol(self.store, folder, url, central.enrol_code(name))
        self.config = TerminalConfig(
            terminal=TerminalSection(name=name, profile=profile),
            policy=PolicySection(overdraft_limit_cents=10**9, double_tap_seconds=0,
                                 offline_daily_cap_cents=10**9))
        self.client = Client(creds.url, creds.token, timeout=TIMEOUT)
        if not keep_alive:      # one connection per request: every call meets the policy
            self.client.session.headers["Connection"] = "close"
        self.agent = Agent(self.store, self.client, self.config)
        self.service = CounterService(self.store, self.config)
        self.sales = self.voids = self.pickups = self.refused = 0
        # Every push request that got an answer: first seq, entries sent, and what came back.
        self.pushes: list[dict] = []
        post = self.client.post

        def recording_post(path, message, answer):
            if path != protocol.JOURNAL:
                return post(path, message, answer)
            push = {"first": message.entries[0].seq, "sent": len(message.entries)}
            try:
                result = post(path, message, answer)
            except Refused as e:
                self.pushes.append({**push, "error": e.body.error,
                                    "expected_seq": e.body.expected_seq})
                raise
            self.pushes.append({**push, "applied": result.applied})
            return result
        self.client.post = recording_post

    def login(self) -> None:
        """After the first pull (it brings the operators)."""
        self.marie = self.service.login("Marie", DEMO_PINS["Marie"])
        self.luc = self.service.login("Luc", DEMO_PINS["Luc"])
        self.badges = sorted(set(DEMO_BADGES) | {r[0] for r in self.store.conn.execute(
            "SELECT uid FROM badges")})

    def journal(self) -> list[tuple]:
        return self.store.conn.execute(
            "SELECT seq, prev_hash, hash, body FROM journal ORDER BY seq").fetchall()

    def sell_some(self, rng: random.Random, count: int) -> None:
        """``count`` attempts: sales (some refused by the rules), now and then a void by the
        supervisor or a sandwich pickup."""
        for _ in range(count):
            uid = rng.choice(self.badges)
            try:
                if self.config.terminal.profile == "reception":
                    if rng.random() < 0.7:
                        self.service.photocopies(self.marie, uid, bw=rng.randint(1, 30),
                                                 colour=rng.randint(0, 3), confirm=CONFIRM)
                    else:
                        self.service.sell(self.marie, uid, {rng.choice(["TSHIRT", "LOCKER"]): 1},
                                          confirm=CONFIRM)
                else:
                    self.service.sell(self.marie, uid, rng.choice(CANTEEN_CARTS), confirm=CONFIRM)
                self.sales += 1
            except (Refusal, NeedsConfirmation):
                self.refused += 1
            if rng.random() < 0.06:
                self._void_one(rng)
            if rng.random() < 0.03:
                self._pickup_one(rng)

    def _void_one(self, rng: random.Random) -> None:
        seqs = [r[0] for r in self.store.conn.execute(
            "SELECT seq FROM journal WHERE kind IN ('sale', 'photocopy') AND seq NOT IN"
            " (SELECT ref_seq FROM journal WHERE kind = 'void')")]
        if seqs:
            self.service.void(self.luc, rng.choice(seqs), reason="test")
            self.voids += 1

    def _pickup_one(self, rng: random.Random) -> None:
        rows = self.store.conn.execute(
            "SELECT b.uid FROM reservations r JOIN badges b ON b.student_id = r.student_id"
            " WHERE r.day = ? AND r.status = 'reserved' AND b.status = 'active'",
            (self.service.today(),)).fetchall()
        if rows:
            try:
                self.service.pickup(self.marie, rng.choice(rows)[0], confirm={"allergen"})
                self.pickups += 1
            except Refusal:
                pass

    def shown_balances(self) -> dict[str, int]:
        """Every wallet as the counter shows it (server balance + own later entries)."""
        shown = {}
        for (student_id,) in self.store.conn.execute("SELECT DISTINCT student_id FROM wallets"):
            for wallet in self.service.wallets_of(student_id):
                shown[wallet.id] = wallet.balance_cents
        return shown

    def close(self) -> None:
        self.client.close()
        self.store.close()


def converge(terminals: list[Terminal], rounds: int = 10) -> None:
    """Fault-free rounds until nothing waits anywhere, then one more pull each (so every
    terminal sees the others' last entries)."""
    for _ in range(rounds):
        for t in terminals:
            t.agent.run_once()
        if all(t.agent.waiting() == 0 for t in terminals):
            break
    for t in terminals:
        assert t.agent.run_once()["waiting"] == 0


def assert_converged(central: Central, terminals: list[Terminal]) -> None:
    """The server's journal is each terminal's, entry for entry; every balance is the initial
    one plus every terminal's postings exactly once, on the server and on each terminal."""
    initial = {w["id"]: w["balance_cents"] for w in generate(STUDENTS)["wallets"]}
    expected = dict(initial)
    for t in terminals:
        local = t.journal()
        assert central.journal(t.device_id) == local, "the server's journal is not the terminal's"
        assert central.high_water(t.device_id) == (local[-1][0], local[-1][2])
        for *_, body in local:
            for posting in json.loads(body)["postings"]:
                expected[posting["wallet"]] += posting["amount_cents"]
    total = sum(len(t.journal()) for t in terminals)
    assert central.query("SELECT COUNT(*) FROM journal")[0][0] == total
    assert central.query("SELECT COUNT(*) FROM conflicts")[0][0] == 0
    server = central.balances()
    assert server == expected
    assert any(expected[w] != initial[w] for w in initial)
    for t in terminals:
        assert t.shown_balances() == server


# -- faults through the proxy --------------------------------------------------------------
FAULTY = {"pass": 2, "refuse": 1.5, "delay": 1.5, "cut_request": 1.5, "cut_answer": 1.5,
          "drop_answer": 2.5}


def test_sales_under_network_faults_converge_exactly_once(tmp_path):
    rng = random.Random(SEED)
    central = Central(tmp_path / "central")
    proxy = FaultProxy(central.port, seed=SEED)
    terminals: list[Terminal] = []
    errors: Counter[str] = Counter()
    started = time.monotonic()
    try:
        central.start()
        proxy.start()
        for i, (name, profile) in enumerate((("Cantine 1", "canteen"), ("Cantine 2", "canteen"),
                                             ("Accueil", "reception"))):
            terminals.append(Terminal(tmp_path / f"t{i}", central, proxy.url, name, profile,
                                      keep_alive=(i != 1)))
        for t in terminals:
            t.agent.run_once(full=True)         # fault-free first pull (operators, badges...)
            t.login()

        proxy.set_policy(FAULTY, delay_ms=(10, 400))
        late_rounds, late_commits = {9, 33, 57}, 0
        round_no = 0
        while sum(t.sales for t in terminals) < 520:
            round_no += 1
            seller = rng.choice(terminals)
            seller.sell_some(rng, rng.randint(2, 16))
            proxy.disconnect_all()              # a network blip: every round starts afresh
            if round_no in late_rounds:
                late_commits += push_arriving_late(central, proxy, seller)
                continue
            syncer = rng.choice(terminals + [seller])
            action = rng.choices(["run_once", "push", "pull"], [3, 2, 1])[0]
            try:
                getattr(syncer.agent, action)()
            except SyncError as e:
                errors[e.code] += 1

        faulty_phase = time.monotonic() - started
        proxy.set_policy("pass")
        proxy.disconnect_all()
        converge(terminals)
        assert_converged(central, terminals)

        # The faults happened, all of them, throughout.
        counts = dict(proxy.counts)
        # Push answers lost after the server had committed new entries (dropped by the proxy).
        lost = [json.loads(e["body"]) for e in proxy.events
                if e["mode"] == "drop_answer" and e.get("status") == 200
                and e["request"].startswith("POST " + protocol.JOURNAL)]
        # Pushes the server answered for entries it already held (applied < entries sent).
        resent = sum(1 for t in terminals for p in t.pushes
                     if "applied" in p and p["applied"] < p["sent"])
        summary = {"rounds": round_no, "faulty phase s": round(faulty_phase, 1),
                   "sales": [t.sales for t in terminals], "voids": [t.voids for t in terminals],
                   "pickups": [t.pickups for t in terminals],
                   "refused": [t.refused for t in terminals],
                   "entries": [len(t.journal()) for t in terminals],
                   "proxy": counts, "agent errors": dict(errors), "late commits": late_commits,
                   "lost committed push answers": sum(1 for a in lost if a["applied"] > 0),
                   "re-sent pushes": resent}
        print(summary)
        assert sum(t.sales for t in terminals) >= 500
        assert sum(t.voids for t in terminals) >= 5
        for mode in MODES:
            assert counts.get(mode, 0) >= 3, summary
        # Only connection-level failures: nothing refused, nothing garbled, no chain mismatch.
        assert set(errors) <= {"offline", "garbage_answer"}, summary
        # The terminals never heard of entries the server had applied, sent them again, and
        # the server did not apply them twice (the journals and balances above).
        assert sum(1 for answer in lost if answer["applied"] > 0) >= 3, summary
        assert resent >= 3, summary
        # ... and so did requests that reached the server after the agent gave up waiting.
        assert late_commits == len(late_rounds), summary
        cut = [e for e in proxy.events if e["mode"] == "cut_answer"
               and e["request"].startswith("POST ") and e.get("status") == 200]
        assert cut, summary
    finally:
        for t in terminals:
            t.close()
        proxy.stop()
        central.stop()


def push_arriving_late(central: Central, proxy: FaultProxy, t: Terminal) -> int:
    """One push whose request reaches the server only after the agent's read timeout: the
    agent reports offline, and the server commits the entries all the same. Returns 1 when
    it did (the server's high-water mark moved on after the agent gave up)."""
    before = central.high_water(t.device_id)[0]
    while len(t.journal()) <= before:           # something the server does not hold yet
        t.sell_some(random.Random(before), 1)
    proxy.set_policy("delay", delay_ms=(TIMEOUT[1] * 1000 + 200,) * 2)
    try:
        try:
            t.agent.push()
        except SyncError as e:
            assert e.code == "offline"
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if central.high_water(t.device_id)[0] > before:
                return 1
            time.sleep(0.05)
        return 0
    finally:
        proxy.set_policy(FAULTY, delay_ms=(10, 400))


# -- the server itself fails ---------------------------------------------------------------
def _terminal(tmp_path: Path, central: Central, name: str = "Cantine 1") -> Terminal:
    t = Terminal(tmp_path / "terminal", central, central.url, name)
    t.agent.run_once(full=True)
    t.login()
    return t


def _sell(t: Terminal, rng: random.Random, sales: int) -> None:
    target = t.sales + sales
    while t.sales < target:
        t.sell_some(rng, target - t.sales)


def _backup(central: Central, dest: Path) -> Path:
    """An online copy of the running server's database (WAL included)."""
    src, dst = sqlite3.connect(central.db), sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return dest


def _restore(central: Central, backup: Path) -> None:
    """Stop the server, put the backup in place of its database, start it on the same port."""
    central.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{central.db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, central.db)
    central.start()


def test_server_restored_from_a_backup_behind_the_terminal(tmp_path):
    rng = random.Random(SEED + 1)
    central = Central(tmp_path / "central")
    t = None
    try:
        central.start()
        t = _terminal(tmp_path, central)
        _sell(t, rng, 40)
        t.agent.run_once()
        backed_up = central.high_water(t.device_id)[0]
        backup = _backup(central, tmp_path / "backup.db")
        _sell(t, rng, 40)
        t.agent.run_once()
        assert central.high_water(t.device_id)[0] == len(t.journal()) > backed_up
        _sell(t, rng, 5)                        # made after the last push

        _restore(central, backup)                         # same port, same URL
        assert central.high_water(t.device_id)[0] == backed_up

        pushed = int(t.store.sync_state("pushed_seq"))
        del t.pushes[:]
        done = t.agent.run_once()
        # 409 gap with the seq the server expects, then everything again from there.
        last = len(t.journal())
        assert t.pushes == [
            {"first": pushed + 1, "sent": last - pushed, "error": "gap",
             "expected_seq": backed_up + 1},
            {"first": backed_up + 1, "sent": last - backed_up, "applied": last - backed_up}]
        assert done["pushed"] == last - backed_up and done["waiting"] == 0
        t.agent.run_once()
        assert_converged(central, [t])
    finally:
        if t:
            t.close()
        central.stop()


def test_server_restored_behind_a_terminal_with_nothing_new_to_push(tmp_path):
    """The terminal has pushed everything, the server is restored to an older copy: the next
    round's consistency check finds the server behind and sends the missing entries again."""
    rng = random.Random(SEED + 3)
    central = Central(tmp_path / "central")
    t = None
    try:
        central.start()
        t = _terminal(tmp_path, central)
        _sell(t, rng, 10)
        t.agent.run_once()
        backup = _backup(central, tmp_path / "backup.db")
        backed_up = central.high_water(t.device_id)[0]
        _sell(t, rng, 10)
        t.agent.run_once()
        assert t.agent.waiting() == 0
        _restore(central, backup)
        assert central.high_water(t.device_id)[0] == backed_up < len(t.journal())
        done = t.agent.run_once()                   # nothing new to push on the terminal
        assert done["pushed"] == len(t.journal()) - backed_up and done["waiting"] == 0
        assert_converged(central, [t])
    finally:
        if t:
            t.close()
        central.stop()


def test_a_change_made_after_a_restore_reaches_the_terminal(tmp_path):
    """The platform loses a top-up in a restore from backup, then makes another change whose
    version number the terminal has already seen (the restored counter hands it out again).
    The terminal must not skip it: the restarted server's new cursor epoch sends it into a
    full resync, and it ends showing exactly the platform's balances."""
    central = Central(tmp_path / "central")
    t = None

    def topup(wallet: str, cents: int) -> None:
        from sync.server.cli import main as central_main
        assert central_main(["topup", "--db", str(central.db), "--wallet", wallet,
                             "--cents", str(cents)]) == 0

    try:
        central.start()
        t = _terminal(tmp_path, central)
        backup = _backup(central, tmp_path / "backup.db")
        before = central.balances()
        topup("W00001", 500)                    # lost in the restore
        t.agent.run_once()
        assert t.shown_balances()["W00001"] == before["W00001"] + 500
        _restore(central, backup)
        topup("W00002", 700)                    # reuses the lost top-up's version number
        t.agent.run_once()
        server = central.balances()
        assert server["W00001"] == before["W00001"] and server["W00002"] == before["W00002"] + 700
        assert t.shown_balances() == server
    finally:
        if t:
            t.close()
        central.stop()


def test_server_killed_mid_push(tmp_path):
    """SIGKILL while a push of several requests is in flight: before anything committed, just
    after the first request committed, just after the second. Each request is all or
    nothing; the agent sends what the server lacks once it is back."""
    rng = random.Random(SEED + 2)
    central = Central(tmp_path / "central")
    t = None
    outcomes = []
    try:
        central.start()
        t = _terminal(tmp_path, central)
        for commits_before_kill in (0, 1, 2):
            _sell(t, rng, 2 * protocol.MAX_PUSH_ENTRIES)     # several push requests' worth
            before = central.high_water(t.device_id)[0]
            pushed = int(t.store.sync_state("pushed_seq", "0"))
            failure: list[SyncError] = []

            def push(failure=failure):      # this round's list
                try:
                    t.agent.push()
                except SyncError as e:
                    failure.append(e)

            pusher = threading.Thread(target=push)
            pusher.start()
            if commits_before_kill == 0:
                time.sleep(0.01)
            else:       # kill as soon as that many requests committed: the next is in flight
                goal = min(pushed + commits_before_kill * protocol.MAX_PUSH_ENTRIES,
                           len(t.journal()))
                while central.high_water(t.device_id)[0] < goal and pusher.is_alive():
                    time.sleep(0.002)
            central.stop(kill=True)
            pusher.join(timeout=30)
            assert not pusher.is_alive()
            # All or nothing per request: the server holds a prefix of the terminal's
            # journal, ending on a request's boundary.
            held, local = central.journal(t.device_id), t.journal()
            assert held == local[:len(held)]
            assert (len(held) in (before, len(local))
                    or (len(held) - pushed) % protocol.MAX_PUSH_ENTRIES == 0), (before, pushed)
            outcomes.append((commits_before_kill, len(held) - before, len(local) - len(held),
                             failure[0].code if failure else None))
            _sell(t, rng, 1)
            with_server_down = None
            try:
                t.agent.push()
            except SyncError as e:
                with_server_down = e.code
            assert with_server_down == "offline"        # connection refused
            central.start()                             # same port
        print("kills (requests committed first, entries applied, entries missing, agent error):",
              outcomes)
        # A push was cut short with entries missing on the server, and at least once after
        # some of its requests had committed.
        assert all(code == "offline" and missing > 0 for _, _, missing, code in outcomes), outcomes
        assert any(applied > 0 for _, applied, _, _ in outcomes), outcomes
        converge([t])
        assert_converged(central, [t])
    finally:
        if t:
            t.close()
        central.stop()
