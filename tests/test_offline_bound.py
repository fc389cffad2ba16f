"""The offline bound, proved on the real parts (docs/offline.md): three terminals sell to 25
wallets through the real platform over loopback HTTP, each behind a fault proxy of its own
(``tests/faultproxy.py``) that cuts its link at a random moment after a pull. A seeded random
schedule of sales; online terminals push right after every sale and pull before the next one
(the freshest balances they can hold), as the agent does; a cut terminal's agent sees the
cut at its next contact (the heartbeat or the push of a sale), before its next sale.

(a) all three lose the platform, one after the other; (b) only one does, while the other two
sell on against balances that miss the silent terminal's sales. After the links come back
and every terminal has synced, no wallet is more than A (the school's offline allowance,
5,00 € by default) below zero on the platform, and what the cut terminals sold to a wallet
while cut off adds up to at most A, each within its share A // N.
"""
from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime

import pytest

from kiosk.config import PolicySection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import generate
from kiosk.store import open_store
from sync.agent import Agent, load_credentials
from sync.client import Client, Offline
from sync.common.clock import ManualClock, iso_utc
from sync.common.errors import NeedsConfirmation, Refusal
from sync.common.retry import Backoff

from .faultproxy import FaultProxy
from .test_sync_e2e import comptoir
from .test_sync_faults import STUDENTS, TIMEOUT, Central, Terminal

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=160)

ALLOWANCE = 500                 # the platform's default offline allowance (A)
TERMINALS = 3                   # N: the school's active terminals
SHARE = ALLOWANCE // TERMINALS  # 1,66 € per terminal and wallet
WALLETS = 25
STEPS = 90
CARTS = [{"SOUP": 1}, {"WATER": 1}, {"APPLE": 2}, {"SANDW-HAM": 1}, {"SANDW-CHEESE": 1, "JUICE": 1},
         {"SOUP": 1, "APPLE": 1}, {"SANDW-VEG": 1}, {"JUICE": 1}, {"SANDW-TUNA": 1, "WATER": 1},
         {"SANDW-HAM": 2, "JUICE": 1}, {"SANDW-TUNA": 1, "SANDW-CHICKEN": 1}]
CONFIRM = ("allergen", "double_tap")


def _school_wallets(part: int) -> dict[str, tuple[str, str, int]]:
    """25 students with one wallet, an active badge, no parents' daily limit and a balance
    of 0 or more (the 50 smallest balances, one in two from ``part``): badge uid -> (student
    id, wallet id, balance)."""
    data = generate(STUDENTS)
    badges = {b["student_id"]: b["uid"] for b in data["badges"] if b.get("status", "active") == "active"}
    limited = {s["id"] for s in data["students"] if s.get("daily_limit_cents") is not None}
    plain = sorted((w["balance_cents"], w["id"], w["student_id"]) for w in data["wallets"]
                   if w["student_id"] in badges and w["student_id"] not in limited
                   and w["balance_cents"] >= 0)
    chosen = plain[:2 * WALLETS][part::2]     # the smallest balances: a short schedule spends them
    assert len(chosen) == WALLETS
    return {badges[sid]: (sid, wid, cents) for cents, wid, sid in chosen}


class Till:
    """A terminal with the default spending policy, behind a proxy of its own."""

    def __init__(self, tmp_path, central: Central, i: int):
        self.proxy = FaultProxy(central.port, seed=i).start()
        self.t = Terminal(tmp_path / f"t{i}", central, self.proxy.url, f"Cantine {i + 1}")
        self.t.config = TerminalConfig(terminal=self.t.config.terminal,
                                       policy=PolicySection(double_tap_seconds=0))
        self.t.service = CounterService(self.t.store, self.t.config)
        self.t.agent = Agent(self.t.store, self.t.client, self.t.config)
        self.cut_after_seq: int | None = None     # its last seq when its link was cut

    def sync(self) -> bool:
        """One agent round (push, pull, push, check); False when the platform is out of reach."""
        try:
            self.t.agent.run_once()
            return True
        except Offline:
            return False

    def push(self) -> bool:
        """What the agent does within a second of a sale: push it."""
        if self.cut_after_seq is not None:
            return self.sync()          # fails, and the agent records it
        self.t.agent.push()
        return True

    def cut(self) -> None:
        self.proxy.set_policy("refuse")
        self.proxy.disconnect_all()
        self.cut_after_seq = len(self.t.journal())
        assert not self.sync()          # the agent's next contact fails: the cut is seen

    def reconnect(self) -> None:
        self.proxy.set_policy("pass")

    def spent_while_cut(self) -> dict[str, int]:
        """Net debits per wallet of the entries it made while cut off."""
        spent: dict[str, int] = {}
        for seq, _, _, body in self.t.journal():
            if self.cut_after_seq is not None and seq > self.cut_after_seq:
                for p in json.loads(body)["postings"]:
                    spent[p["wallet"]] = spent.get(p["wallet"], 0) - p["amount_cents"]
        return spent

    def close(self) -> None:
        self.t.close()
        self.proxy.stop()


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """The platform (its own process, SQLite) and three enrolled terminals; each test sells
    to its own 25 wallets."""
    tmp_path = tmp_path_factory.mktemp("offline")
    central = Central(tmp_path / "central", offline_allowance_cents=None)    # the default A
    tills: list[Till] = []
    try:
        central.start()
        for i in range(TERMINALS):
            tills.append(Till(tmp_path, central, i))
        for till in tills:          # every terminal enrolled: N = 3 in everyone's pull
            assert till.sync()
            till.t.login()
        yield central, tills
    finally:
        for till in tills:
            till.close()
        central.stop()


def run_schedule(school, seed: int, part: int, cut: list[int]) -> dict:
    """Sales by a seeded schedule to the ``part``-th 25 wallets; terminals ``cut`` lose the
    platform at random steps after a pull."""
    central, tills = school
    rng = random.Random(seed)
    wallets = _school_wallets(part)
    refused: dict[str, int] = {}
    try:
        for till in tills:
            till.reconnect()
            assert till.sync()
            till.cut_after_seq = None
        cut_at = {i: rng.randrange(3, STEPS // 3) for i in cut}
        for step in range(STEPS):
            for i, at in cut_at.items():
                if step == at:
                    tills[i].cut()
            till = rng.choice(tills)
            online = till.cut_after_seq is None
            if online:
                assert till.sync()      # the freshest balances an online terminal can hold
            uid = rng.choice(sorted(wallets))
            try:
                till.t.service.sell(till.t.marie, uid, rng.choice(CARTS), confirm=CONFIRM)
            except (Refusal, NeedsConfirmation) as e:
                refused[e.code] = refused.get(e.code, 0) + 1
            assert till.push() == online        # pushed at once, or not at all when cut
    finally:
        for till in tills:
            till.reconnect()
    for _ in range(2):              # everyone pushes, then everyone pulls the others' entries
        for till in tills:
            assert till.sync()
    balances = central.balances()
    return {"balances": {w: balances[w] for _, w, _ in wallets.values()},
            "spent_while_cut": [till.spent_while_cut() for till in tills],
            "refused": refused,
            "waiting": [till.t.agent.waiting() for till in tills]}


def assert_bounded(result: dict) -> None:
    assert result["waiting"] == [0] * TERMINALS
    balances = result["balances"]
    worst = min(balances, key=balances.__getitem__)
    negative = sum(1 for b in balances.values() if b < 0)
    assert balances[worst] >= -ALLOWANCE, (
        f"wallet {worst} at {balances[worst]} cents on the platform,"
        f" {negative} of {WALLETS} wallets below zero")
    for wallet in balances:
        per_terminal = [spent.get(wallet, 0) for spent in result["spent_while_cut"]]
        assert all(s <= SHARE for s in per_terminal), (wallet, per_terminal)
        assert sum(per_terminal) <= ALLOWANCE, (wallet, per_terminal)


def test_all_three_terminals_lose_the_platform(school):
    result = run_schedule(school, 1, 0, cut=[0, 1, 2])
    assert_bounded(result)
    assert result["refused"].get("offline_limit", 0) > 0      # the rule was at work
    assert any(s for s in result["spent_while_cut"])          # and let small sales through


def test_one_terminal_loses_the_platform_while_two_sell_on(school):
    result = run_schedule(school, 3, 1, cut=[0])
    assert_bounded(result)
    assert result["refused"].get("offline_limit", 0) > 0
    # The online two spent some wallets down to what the platform knew.
    assert result["refused"].get("insufficient_balance", 0) > 0


# -- the agent's side: the first failed contact, the heartbeat, A and N with the pull -------
def _rich_badges() -> list[str]:
    """Plain wallets with the largest balances (not used by the schedules above)."""
    data = generate(STUDENTS)
    badges = {b["student_id"]: b["uid"] for b in data["badges"] if b.get("status", "active") == "active"}
    plain = {s["id"] for s in data["students"] if s.get("daily_limit_cents") is None
             and not s.get("flags") and not s.get("blocked_categories") and not s.get("blocked_articles")}
    rich = sorted((w["balance_cents"], w["student_id"]) for w in data["wallets"]
                  if w["student_id"] in plain and w["student_id"] in badges)
    return [badges[sid] for cents, sid in rich[::-1][:3] if cents >= 3000]


def _wait_for(condition, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


class Daemon:
    """``comptoir sync --daemon`` for a terminal: its own store connection, in a thread."""

    def __init__(self, till: Till, clock=None):
        self.store = open_store(till.t.store.path)
        creds = load_credentials(till.t.store.path.parent)
        self.client = Client(creds.url, creds.token, timeout=TIMEOUT)
        self.agent = Agent(self.store, self.client, till.t.config, clock=clock,
                           backoff=Backoff(base=0.05, factor=1.0, cap=0.05))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.agent.run_forever, args=(self.stop, 0.02),
                                       daemon=True)
        self.thread.start()

    def state(self, key: str) -> str | None:
        return self.store.sync_state(key)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()
        self.client.close()
        self.store.close()


def _fresh(tills: list[Till]) -> None:
    for till in tills:
        till.reconnect()
        assert till.sync()
        till.cut_after_seq = None


def test_the_daemon_sees_the_cut_at_its_first_failed_push(school):
    """A sale made before the agent's next contact is sold as online (the window the doc
    states); its push fails within a second, and from then on the terminal sells each wallet
    only its share, saying why, on the service and on the command line."""
    central, tills = school
    _fresh(tills)
    till = tills[2]
    rich, other = _rich_badges()[:2]
    service, marie = till.t.service, till.t.marie
    before = till.t.store.sync_state("last_success_at")
    daemon = Daemon(till)
    try:
        _wait_for(lambda: daemon.state("last_success_at") != before, "the daemon's first round")
        service.sell(marie, rich, {"SANDW-HAM": 2, "JUICE": 1})     # 7,20 €, online
        _wait_for(lambda: daemon.agent.waiting() == 0, "the daemon pushes the sale")
        till.proxy.set_policy("refuse")
        till.proxy.disconnect_all()
        service.sell(marie, rich, {"SOUP": 1})          # before any failed contact
        _wait_for(lambda: daemon.state("status") == "offline", "the failed push is recorded")
        assert daemon.state("last_error_at") > daemon.state("last_success_at")
        with pytest.raises(Refusal) as refused:
            service.sell(marie, rich, {"SANDW-HAM": 1})
        assert refused.value.code == "offline_limit"
        assert refused.value.message("fr") == ("Hors ligne\xa0: plafond hors ligne de 1,66\xa0€"
                                               " atteint pour «\xa0Portefeuille\xa0» (reste 0,66\xa0€).")
        service.sell(marie, rich, {"APPLE": 1})         # 1,00 + 0,50 € of 1,66 €
        cli = comptoir("sell", "--badge", other, "SANDW-HAM", data=till.t.store.path.parent,
                       operator="Marie", pin="1234", check_rc=None)
        assert cli.returncode != 0
        assert ("Hors ligne\xa0: plafond hors ligne de 1,66\xa0€ atteint pour «\xa0Portefeuille\xa0»"
                " (reste 1,66\xa0€).") in cli.stderr
        till.reconnect()
        _wait_for(lambda: daemon.agent.waiting() == 0 and daemon.state("status") == "online",
                  "the daemon pushes the rest once the link is back")
        assert service.sell(marie, rich, {"SANDW-HAM": 1}).total_cents == 300
    finally:
        till.reconnect()
        daemon.close()


def test_an_idle_daemon_keeps_in_touch(school):
    """With nothing to push and no pull due, the daemon still contacts the platform every
    HEARTBEAT, so that an idle terminal stays "reachable" and a dead one does not."""
    from kiosk import offline
    central, tills = school
    _fresh(tills)
    clock = ManualClock(datetime.now(UTC))
    daemon = Daemon(tills[1], clock)
    try:
        first = iso_utc(clock.now())
        _wait_for(lambda: daemon.state("last_success_at") == first, "the daemon's first round")
        time.sleep(0.3)                                     # idle: no contact
        assert daemon.state("last_success_at") == first
        clock.advance(offline.HEARTBEAT.total_seconds())
        _wait_for(lambda: daemon.state("last_success_at") != first, "a heartbeat")
        assert daemon.state("last_success_at") == iso_utc(clock.now())
    finally:
        daemon.close()


def test_the_allowance_and_the_terminals_come_with_the_pull(school, tmp_path):
    central, tills = school
    _fresh(tills)
    store = tills[0].t.store
    assert (store.sync_state("offline_allowance_cents"), store.sync_state("offline_terminals")) \
        == ("500", "3")                                  # the default, 3 enrolled terminals
    shown = comptoir("central", "offline-allowance", "--db", str(central.db), "--euros", "6",
                     data=tmp_path).stdout
    assert ("marge hors ligne\xa0: 6,00\xa0€ par portefeuille pour l'ensemble des 3 caisse(s)"
            " (2,00\xa0€ chacune)") in shown
    try:
        assert tills[0].sync()
        assert store.sync_state("offline_allowance_cents") == "600"
    finally:
        comptoir("central", "offline-allowance", "--db", str(central.db), "--euros", "5",
                 data=tmp_path)
        assert tills[0].sync()
    assert store.sync_state("offline_allowance_cents") == "500"
