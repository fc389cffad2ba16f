"""Three terminals sell offline to the same wallets, then reconnect in some order.

Each terminal applies its own policy (default overdraft 0) against its own view of the
balances: each one alone accepts 10,00 € for Emma (25,00 €), together they spend 30,00 €. The
reference server runs as its own process; the terminals are real stores with the real
counter service and sync agent, driven in-process. While offline their client points at a
port nobody listens on: ``run_once`` raises ``Offline`` and the status bar says so, with the
entries waiting. Whatever the order they come back in, the server's totals are exact, it
reports Emma's balance below zero (pull, parents' sales journal), and after their next pull
every terminal shows the server's balances, the negative one included, and refuses her.
"""
from __future__ import annotations

from datetime import date
from itertools import permutations

import pytest

from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import generate
from sync.agent import Agent, load_credentials
from sync.client import Client, Offline
from sync.common.errors import Refusal
from sync.server.storage import CentralStore

from .test_sync_faults import STUDENTS, TIMEOUT, Central, Terminal, assert_converged, free_port

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=500)

EMMA, EMMA_WALLET, EMMA_STUDENT = "04A1B2C3", "W00001", "S00001"      # 25,00 €, no flags
LOUIS, LOUIS_WALLET, LOUIS_STUDENT = "04CAFE04", "W00008", "S00008"   # 10,00 €
EMMA_CART = {"SANDW-HAM": 3, "APPLE": 2}        # 10,00 €
TOO_MUCH = {"SANDW-HAM": 5, "APPLE": 2}         # 16,00 €: over what a terminal has left
LOUIS_CART = {"SANDW-HAM": 1}                   # 3,00 €
CONFIRM = ("double_tap",)
ORDERS = list(permutations(range(3)))          # every order the three come back in


def _with_default_policy(t: Terminal) -> Terminal:
    """The faults test's terminals allow any overdraft; these use the default policy
    (overdraft 0), the one under which each sale below is accepted locally."""
    t.config = TerminalConfig(terminal=t.config.terminal)
    assert t.config.policy.overdraft_limit_cents == 0
    t.service = CounterService(t.store, t.config)
    t.agent = Agent(t.store, t.client, t.config)
    return t


def _shown(t: Terminal, student_id: str):
    (wallet,) = t.service.wallets_of(student_id)
    return wallet


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(f"T{i + 1}" for i in o))
def test_offline_sales_to_the_same_wallets_converge_in_any_order(tmp_path, central_db, order):
    initial = {w["id"]: w["balance_cents"] for w in generate(STUDENTS)["wallets"]}
    assert initial[EMMA_WALLET] == 2500 and initial[LOUIS_WALLET] == 1000
    central = Central(tmp_path / "central", central_db)     # on SQLite and on PostgreSQL
    terminals: list[Terminal] = []
    offline_clients: list[Client] = []
    try:
        central.start()
        for i in range(3):
            folder = tmp_path / f"t{i}"
            t = _with_default_policy(Terminal(folder, central, central.url, f"Cantine {i + 1}"))
            terminals.append(t)
            assert t.agent.run_once(full=True)["waiting"] == 0
            t.login()
            assert t.store.sync_state("status") == "online"
            # Offline: the same token, a port nobody listens on.
            dead = Client(f"http://127.0.0.1:{free_port()}", load_credentials(folder).token,
                          timeout=TIMEOUT)
            offline_clients.append(dead)
            t.agent.client = dead

        # -- offline: each terminal sells against its own view of the balances ------------
        void_on = 1
        for i, t in enumerate(terminals):
            sale = t.service.sell(t.marie, EMMA, EMMA_CART, confirm=CONFIRM)
            assert sale.total_cents == 1000
            assert sale.wallets[0].balance_cents == 1500
            with pytest.raises(Refusal) as refused:      # its view: 15,00 € left
                t.service.sell(t.marie, EMMA, TOO_MUCH, confirm=CONFIRM)
            assert refused.value.code == "insufficient_balance"
            assert refused.value.params["missing_cents"] == 100
            assert refused.value.params["balance_cents"] == 1500
            louis = t.service.sell(t.marie, LOUIS, LOUIS_CART, confirm=CONFIRM)
            if i == void_on:
                t.service.void(t.luc, louis.entry.seq, reason="test")
            assert t.service.identify(EMMA).wallets[0].balance_cents == 1500
            with pytest.raises(Offline):
                t.agent.run_once()
            assert t.store.sync_state("status") == "offline"
            assert t.store.sync_state("last_error")
            assert t.agent.waiting() == len(t.journal()) == (3 if i == void_on else 2)
        assert central.query("SELECT COUNT(*) FROM journal")[0][0] == 0
        assert central.balances()[EMMA_WALLET] == 2500

        # -- reconnecting, one after the other ------------------------------------------
        for t in terminals:
            t.agent.client = t.client
        back: list[Terminal] = []
        for i in order:
            t = terminals[i]
            done = t.agent.run_once()
            back.append(t)
            assert done["pushed"] == len(t.journal()) and done["waiting"] == 0
            assert t.store.sync_state("status") == "online"
            # The server holds exactly the postings of the terminals back so far, and this
            # terminal (which pushed, then pulled) shows just that.
            emma = 2500 - 1000 * len(back)
            louis = 1000 - sum(300 for b in back if b is not terminals[void_on])
            assert central.balances()[EMMA_WALLET] == emma
            assert central.balances()[LOUIS_WALLET] == louis
            assert _shown(t, EMMA_STUDENT).balance_cents == emma
            assert _shown(t, EMMA_STUDENT).server_balance_cents == emma
            assert _shown(t, LOUIS_STUDENT).balance_cents == louis
        # The first one back has not heard of the others yet.
        assert _shown(back[0], EMMA_STUDENT).balance_cents == 1500

        # -- the server's totals: exact, Emma below zero ------------------------------------
        server = central.balances()
        assert server[EMMA_WALLET] == -500
        assert server[LOUIS_WALLET] == 1000 - 2 * 300
        day = date.fromisoformat(terminals[0].service.today())
        with CentralStore(central.db) as store:      # closed: on PostgreSQL it holds a pool
            journal = store.sales_journal(
                central.school_id, wallet_id=EMMA_WALLET, first_day=day, last_day=day)
        assert journal["count"] == 6 and journal["total_cents"] == -3000
        assert {r["device_id"] for r in journal["rows"]} == {t.device_id for t in terminals}

        # -- the next pull everywhere: every terminal shows the server's balances ----------
        for t in terminals:
            done = t.agent.run_once()
            assert done["pushed"] == 0 and done["waiting"] == 0
        assert_converged(central, terminals)        # journals, totals, every shown balance
        for t in terminals:
            wallet = t.service.identify(EMMA).wallets[0]
            assert (wallet.balance_cents, wallet.server_balance_cents) == (-500, -500)
            assert _shown(t, LOUIS_STUDENT).balance_cents == 400

        # -- and Emma is refused everywhere now, the missing amount from −5,00 € -----------
        for t in terminals:
            with pytest.raises(Refusal) as refused:
                t.service.sell(t.marie, EMMA, {"APPLE": 1}, confirm=CONFIRM)
            assert refused.value.code == "insufficient_balance"
            assert refused.value.params["missing_cents"] == 550
            assert refused.value.params["balance_cents"] == -500
        assert central.balances() == server
    finally:
        for c in offline_clients:
            c.close()
        for t in terminals:
            t.close()
        central.stop()
