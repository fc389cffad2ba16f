"""Cash top-up at the reception desk ("rechargement interne"): a supervisor takes cash at a
terminal (a real store, its counter service, the print worker writing real ESC/POS bytes),
the sync agent pushes the entry to the real platform over loopback (SQLite and PostgreSQL),
which credits the wallet exactly once; the day's cash is in the terminal's Z report. A
platform that does not know the entry's kind refuses the push whole, and keeps nothing."""
from __future__ import annotations

from datetime import datetime

import pytest
import requests

from drivers.printer.dummy import DummyPrinter
from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge
from kiosk.print_worker import PrintWorker
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent, enrol
from sync.client import Client, Refused
from sync.common.clock import ManualClock
from sync.common.errors import AuthError, Refusal
from sync.common.money import format_cents
from sync.models import DataSet
from sync.server import money_api, push
from sync.server.storage import CentralStore
from tests.escpos_decode import decode

from .conftest import BRUSSELS
from .loopback import Served

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)


def test_a_supervisor_takes_cash_and_the_z_shows_it(service, marie, store, config, clock):
    luc = service.login("Luc", DEMO_PINS["Luc"])
    with pytest.raises(AuthError):                          # a seller takes no cash
        service.cash_topup(marie, Badge.EMMA, 2000)
    for bad in (0, -500, 100_001, "20"):
        with pytest.raises(Refusal) as e:
            service.cash_topup(luc, Badge.EMMA, bad)
        assert e.value.code == "bad_cash_amount"
    before = service.identify(Badge.EMMA).wallets[0].balance_cents
    done = service.cash_topup(luc, Badge.EMMA, 2000)
    assert (done.entry.kind, done.entry.amount_cents, done.entry.data["cash_cents"]) == (
        "cash_topup", 2000, 2000)
    assert done.wallet.balance_cents == before + 2000
    assert service.identify(Badge.EMMA).wallets[0].balance_cents == before + 2000
    # The receipt goes through the print queue, as real ESC/POS bytes.
    printer = DummyPrinter(columns=42)
    assert PrintWorker(store.path, config, printer).run_once() == 1
    text = decode(printer.jobs[0]).text
    assert "Emma Dubois" in text and "20,00 €" in text
    assert format_cents(before + 2000).replace("\xa0", " ") in text and f" {done.entry.seq}" in text
    # The day's cash is in the Z (and not in its sales).
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    z = service.close_day(luc)
    assert z.cash == {"count": 1, "total_cents": 2000}
    assert (z.gross_cents, z.net_cents) == (100, 100)
    assert z.summary()["cash"] == {"count": 1, "total_cents": 2000}
    with pytest.raises(Refusal) as e:                       # the day is closed
        service.cash_topup(luc, Badge.EMMA, 500)
    assert e.value.code == "day_closed"


def test_cash_is_not_spending_for_the_parents_daily_limit(service, marie):
    """Chloé's parents allow 3 € a day: 20 € of cash taken for her leaves her 3 € to spend."""
    luc = service.login("Luc", DEMO_PINS["Luc"])
    service.cash_topup(luc, Badge.CHLOE, 2000)
    assert service.identify(Badge.CHLOE).spent_today_cents == 0
    service.sell(marie, Badge.CHLOE, {"SOUP": 3})
    with pytest.raises(Refusal) as e:
        service.sell(marie, Badge.CHLOE, {"SOUP": 1}, confirm={"double_tap"})
    assert e.value.code == "daily_limit"


def test_cli_cash_topup(tmp_path, monkeypatch, capsys):
    """``comptoir cash-topup`` on a real data folder (in this process: a subprocess per
    command costs seconds)."""
    import kiosk.store
    from kiosk.cli import main
    opened = []         # a process's exit closes its store; here, each run does

    def open_store(*args, **kwargs):
        opened.append(real(*args, **kwargs))
        return opened[-1]

    real = kiosk.store.open_store
    monkeypatch.setattr(kiosk.store, "open_store", open_store)

    def run(*args: str, pin: str = DEMO_PINS["Luc"]) -> tuple[int, str]:
        monkeypatch.setenv("COMPTOIR_PIN", pin)
        try:
            rc = main(["--data", str(tmp_path / "terminal"), "--lang", "fr", *args])
        finally:
            while opened:
                opened.pop().close()
        out = capsys.readouterr()
        return rc, (out.out + out.err).replace("\xa0", " ")

    assert run("init", "--name", "Accueil", "--profile", "reception")[0] == 0
    assert run("demo-data", "--students", "10", "--output", str(tmp_path / "d.json"))[0] == 0
    assert run("import", str(tmp_path / "d.json"))[0] == 0
    rc, done = run("cash-topup", "--operator", "Luc", "--badge", Badge.EMMA, "--euros", "12,50")
    assert rc == 0 and "12,50 €" in done and "Emma Dubois" in done and "37,50 €" in done
    rc, bad = run("cash-topup", "--operator", "Luc", "--badge", Badge.EMMA, "--euros", "12,5x")
    assert rc != 0 and "12,50" in bad
    assert run("cash-topup", "--operator", "Marie", "--badge", Badge.EMMA, "--euros", "5",
               pin=DEMO_PINS["Marie"])[0] != 0
    rc, x = run("report", "x", "--operator", "Luc")
    assert rc == 0 and "(12,50 €)" in x


# -- end to end: the terminal, its agent, the platform over loopback -------------------------
@pytest.fixture
def platform(central_db, demo_data):
    clock = ManualClock(NOON)
    central = CentralStore(central_db, create=True, now=clock.now)
    central.add_school("Institut Saint-Michel", "school-a")
    central.load("school-a", DataSet.model_validate(demo_data))
    served = Served(central)
    yield central, served.url
    served.stop()
    central.close()


def test_cash_topup_reaches_the_platform_once(platform, tmp_path, monkeypatch):
    central, url = platform
    terminal = open_store(tmp_path / "comptoir.db", create=True)
    config = TerminalConfig()
    creds = enrol(terminal, tmp_path, url, central.create_enrol_code("school-a", "Accueil"))
    client = Client(url, creds.token)
    clock = ManualClock(NOON)
    agent = Agent(terminal, client, config, clock)
    admin = requests.Session()
    admin.headers["Authorization"] = f"Bearer {central.create_admin_token()}"
    try:
        agent.pull(full=True)
        service = CounterService(terminal, config, clock)
        luc = service.login("Luc", DEMO_PINS["Luc"])

        def platform_wallet() -> money_api.WalletPage:
            r = admin.get(url + money_api.WALLET.format(wallet_id="W00001"))
            assert r.status_code == 200, r.text
            return money_api.WalletPage.model_validate(r.json())

        before = platform_wallet().balance_cents
        done = service.cash_topup(luc, Badge.EMMA, 2000)

        # A platform that does not know the kind (as one older than it) refuses it whole.
        monkeypatch.setattr(push, "KINDS", tuple(k for k in push.KINDS if k != "cash_topup"))
        with pytest.raises(Refused) as refused:
            agent.push()
        assert refused.value.body.error == "invalid"
        assert refused.value.body.message == f"entry {done.entry.seq}: unknown kind"
        assert platform_wallet().balance_cents == before
        monkeypatch.undo()

        assert agent.push() == 1
        assert agent.push() == 0                # nothing left, nothing applied twice
        # The same entry sent again (an answer lost on the way): applied once all the same.
        with terminal.read() as conn:
            row = conn.execute("SELECT seq, body, prev_hash, hash FROM journal WHERE seq = ?",
                               (done.entry.seq,)).fetchone()
        again = client.post(protocol.JOURNAL, protocol.PushRequest(entries=[
            protocol.PushedEntry(seq=row[0], body=row[1], prev_hash=row[2], hash=row[3])]),
            protocol.PushResponse)
        assert again.applied == 0
        wallet = platform_wallet()
        assert wallet.balance_cents == before + 2000
        assert [(m.kind, m.amount_cents, m.device_name) for m in wallet.movements
                if m.kind == "cash_topup"] == [("cash_topup", 2000, "Accueil")]
        # The terminal's balance after its next pull: the platform's, the top-up counted once.
        agent.pull()
        assert service.identify(Badge.EMMA).wallets[0].balance_cents == before + 2000
        z = service.close_day(luc)
        assert z.cash == {"count": 1, "total_cents": 2000}
        assert agent.push() == 1                # the close too
    finally:
        admin.close()
        client.close()
        terminal.close()
