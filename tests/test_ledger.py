"""The platform's ledger over real loopback HTTP: sandwich reservations (reservation = payment,
the school's cutoff, refunds), top-ups, bank statements and the roster, against a real SQLite
central database served by uvicorn, with a real terminal (store, counter service, sync agent)
where the terminal's side matters."""
from __future__ import annotations

import doctest
import importlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge, structured_communication
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.common.errors import NeedsConfirmation
from sync.models import DataSet
from sync.server import cli, ledger_api, school_days
from sync.server.storage import CentralStore
from tests.central_db import central_rows

from .conftest import BRUSSELS
from .loopback import Served

README = Path(__file__).resolve().parent.parent / "README.md"
DAY = date(2026, 11, 24)                    # a Tuesday; the demo data's day
HAM, TUNA = 300, 320                        # SANDW-HAM, SANDW-TUNA prices (cents)


def central_main(argv: list[str]) -> int:
    """The platform's command line in English: these tests are about what it says, not its
    language (tests/test_translations.py checks the languages; French is the default)."""
    return cli.main(["--lang", "en", *argv])


def at(clock: ManualClock, hhmm: str, day: date = DAY) -> None:
    hours, minutes = map(int, hhmm.split(":"))
    clock._now = datetime(day.year, day.month, day.day, hours, minutes,
                          tzinfo=BRUSSELS).astimezone(clock._now.tzinfo)


@dataclass
class World:
    store: CentralStore
    url: str
    clock: ManualClock
    token: str
    folder: Path

    def call(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} | kw.pop("headers", {})
        return requests.request(method, self.url + path, headers=headers, **kw)

    def reserve(self, student: str, article: str = "SANDW-HAM", day: date = DAY,
                quantity: int = 1) -> requests.Response:
        return self.call("POST", ledger_api.RESERVATIONS, json={
            "student_id": student, "day": day.isoformat(), "article_code": article,
            "quantity": quantity})

    def cancel(self, reservation_id: str) -> requests.Response:
        return self.call("POST", ledger_api.CANCEL.format(reservation_id=reservation_id))

    def topup(self, wallet: str, cents: int, **kw) -> requests.Response:
        return self.call("POST", ledger_api.TOPUPS, json={"wallet_id": wallet,
                                                          "amount_cents": cents, **kw})

    def balance(self, wallet: str) -> int:
        r = self.call("GET", ledger_api.WALLET_HISTORY.format(wallet_id=wallet))
        assert r.status_code == 200, r.text
        return ledger_api.WalletHistory.model_validate(r.json()).balance_cents

    def db(self, sql: str, params=(), write: bool = False) -> list:
        return central_rows(self.store, sql, params, write=write)


def ok(r: requests.Response, model):
    assert r.status_code == 200, (r.status_code, r.text)
    return model.model_validate(r.json())


def refused(r: requests.Response, status: int, code: str) -> protocol.ErrorBody:
    assert r.status_code == status, (r.status_code, r.text)
    body = protocol.ErrorBody.model_validate(r.json())
    assert body.error == code, body
    return body


@pytest.fixture
def world(central_db, tmp_path, demo_data):
    """The platform (on each backend: SQLite and PostgreSQL) with the demo school, served."""
    clock = ManualClock(datetime(2026, 11, 24, 7, 30, tzinfo=BRUSSELS))
    store = CentralStore(central_db, create=True, now=clock.now)
    store.add_school("Institut Saint-Michel", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    served = Served(store)
    yield World(store, served.url, clock, store.create_admin_token(), tmp_path)
    served.stop()
    store.close()


class Terminal:
    """A real terminal: its own store file, counter service (Marie logged in) and sync agent,
    enrolled on the platform and fully pulled."""

    def __init__(self, world: World, name: str = "Cantine 1"):
        self.folder = world.folder / name.replace(" ", "-")
        self.folder.mkdir()
        self.clock = ManualClock(datetime(2026, 11, 24, 7, 0, tzinfo=BRUSSELS))
        self.store = open_store(self.folder / "comptoir.db", create=True)
        config = TerminalConfig()
        creds = enrol(self.store, self.folder, world.url,
                      world.store.create_enrol_code("school-a", name))
        self.token = creds.token
        self.client = Client(world.url, creds.token)
        self.agent = Agent(self.store, self.client, config, self.clock)
        self.agent.pull(full=True)
        self.service = CounterService(self.store, config, self.clock)
        self.marie = self.service.login("Marie", DEMO_PINS["Marie"])

    def close(self) -> None:
        self.client.close()
        self.store.close()


@pytest.fixture
def terminal(world):
    t = Terminal(world)
    yield t
    t.close()


# -- reservations -----------------------------------------------------------------------------
def test_reservation_is_paid_at_once_until_the_cutoff(world):
    r = ok(world.reserve("S00001"), ledger_api.ReservationAnswer)          # 07:30, Emma 25 €
    assert (r.reservation.day, r.reservation.status, r.reservation.quantity) == (DAY, "reserved", 1)
    assert (r.wallet_id, r.amount_cents, r.balance_cents) == ("W00001", -HAM, 2500 - HAM)
    assert world.balance("W00001") == 2500 - HAM
    assert world.db("SELECT kind, amount_cents, reservation_id FROM wallet_movements") == [
        ("reservation", -HAM, r.reservation.id)]
    # Two for the same day: allowed ("cliquer à nouveau sur le jour"), quantity 2 pays twice.
    two = ok(world.reserve("S00001", "SANDW-TUNA", quantity=2), ledger_api.ReservationAnswer)
    assert (two.amount_cents, two.balance_cents) == (-2 * TUNA, 2500 - HAM - 2 * TUNA)

    at(world.clock, "08:29")
    ok(world.reserve("S00005"), ledger_api.ReservationAnswer)
    at(world.clock, "08:30")                                                # the default cutoff
    body = refused(world.reserve("S00005"), 409, "too_late")
    assert "08:30" in body.message
    ok(world.reserve("S00005", day=date(2026, 11, 26)), ledger_api.ReservationAnswer)  # next school day
    at(world.clock, "07:00", date(2026, 11, 26))
    assert "past" in refused(world.reserve("S00005", day=DAY), 409, "too_late").message

    # The school's own cutoff: 8:15 (the other manual's "au plus tard à 8h15").
    assert central_main(["cutoff", "--db", world.store.db, "--time", "08:15"]) == 0
    at(world.clock, "08:14", date(2026, 11, 26))
    ok(world.reserve("S00005", day=date(2026, 11, 26)), ledger_api.ReservationAnswer)
    at(world.clock, "08:16", date(2026, 11, 26))
    assert "08:15" in refused(world.reserve("S00005", day=date(2026, 11, 26)), 409,
                              "too_late").message
    assert central_main(["cutoff", "--db", world.store.db, "--time", "8h15"]) == 1

    # Nothing refused was debited or written.
    assert world.balance("W00005") == 2000 - 3 * HAM
    assert len(world.db("SELECT 1 FROM reservations WHERE student_id = 'S00005'")) == 3


def test_refused_reservations_say_why_and_change_nothing(world):
    refused(world.reserve("S00001", "SOUP"), 422, "invalid")                # not reservable
    refused(world.reserve("S00001", "NOPE"), 404, "not_found")
    refused(world.reserve("S09999"), 404, "not_found")
    assert "no wallet" in refused(world.reserve("S00007"), 422, "invalid").message  # Zoé
    refused(world.reserve("S00001", quantity=0), 422, "invalid")

    # Noah's wallet is at zero: "vous ne pourrez effectuer aucune réservation".
    body = refused(world.reserve("S00002"), 409, "insufficient_balance")
    assert body.missing_cents == HAM and "0,00" in body.message
    # Adam is below zero: refused too, the missing amount counts his debt.
    assert refused(world.reserve("S00006"), 409, "insufficient_balance").missing_cents == HAM + 230
    # Noah gets 2 €: a 3,20 € sandwich lacks 1,20 €.
    ok(world.topup("W00002", 200), ledger_api.TopupAnswer)
    body = refused(world.reserve("S00002", "SANDW-TUNA"), 409, "insufficient_balance")
    assert body.missing_cents == 120 and "1,20" in body.message
    assert world.balance("W00002") == 200
    assert world.db("SELECT COUNT(*) FROM reservations WHERE student_id = 'S00002'") == [(0,)]

    # Terminals' tokens and no token cannot touch the ledger.
    t = Terminal(world)
    try:
        r = requests.post(world.url + ledger_api.TOPUPS, json={"wallet_id": "W00002",
                          "amount_cents": 100}, headers={"Authorization": f"Bearer {t.token}"})
        refused(r, 403, "forbidden")
    finally:
        t.close()
    refused(requests.post(world.url + ledger_api.RESERVATIONS, json={}), 401, "unauthorized")
    assert world.balance("W00002") == 200


def test_reservation_of_an_allergen_follows_the_school_policy(world, terminal, capsys):
    """Issue 13, point 2: Lina (gluten flag) and a ham sandwich. The platform asks for an
    explicit confirmation (policy "confirm", the default) or refuses (policy "refuse"), naming
    the allergen; the counter that hands the sandwich over asks again."""
    body = refused(world.reserve("S00003"), 409, "allergen")
    assert body.allergens == ["gluten"]
    assert "Sandwich jambon contains gluten" in body.message
    assert world.balance("W00003") == 1500
    assert world.db("SELECT COUNT(*) FROM reservations WHERE student_id = 'S00003'") == [(0,)]
    assert ok(world.reserve("S00001"), ledger_api.ReservationAnswer).confirmed == []  # no flag

    r = world.call("POST", ledger_api.RESERVATIONS, json={
        "student_id": "S00003", "day": DAY.isoformat(), "article_code": "SANDW-HAM",
        "confirm_allergens": True})
    made = ok(r, ledger_api.ReservationAnswer)
    assert made.confirmed == ["allergen"] and made.balance_cents == 1500 - HAM

    # The school's policy is a setting: "refuse" refuses whatever the caller confirms.
    db = world.store.db
    assert central_main(["allergen-policy", "--db", db]) == 0
    assert "confirm" in capsys.readouterr().out
    assert central_main(["allergen-policy", "--db", db, "--policy", "refuse"]) == 0
    capsys.readouterr()
    r = world.call("POST", ledger_api.RESERVATIONS, json={
        "student_id": "S00003", "day": DAY.isoformat(), "article_code": "SANDW-TUNA",
        "confirm_allergens": True})
    body = refused(r, 409, "allergen_refused")
    assert body.allergens == ["gluten"] and "Sandwich thon contains gluten" in body.message
    day = next_school_day()
    assert central_main(["reserve", "--db", db, "--student", "S00003", "--day", day,
                         "--article", "SANDW-HAM", "--confirm-allergens"]) == 1
    assert "Sandwich jambon contains gluten" in capsys.readouterr().err
    assert central_main(["allergen-policy", "--db", db, "--policy", "confirm"]) == 0
    assert central_main(["reserve", "--db", db, "--student", "S00003", "--day", day,
                         "--article", "SANDW-HAM"]) == 1
    assert "explicit confirmation" in capsys.readouterr().err
    assert central_main(["reserve", "--db", db, "--student", "S00003", "--day", day,
                         "--article", "SANDW-HAM", "--confirm-allergens"]) == 0
    assert "on your confirmation" in capsys.readouterr().out
    assert world.balance("W00003") == 1500 - 2 * HAM

    # The reservation reaches the counter: handing it over asks again.
    terminal.agent.pull()
    at(terminal.clock, "12:10")
    with pytest.raises(NeedsConfirmation) as asked:
        terminal.service.pickup(terminal.marie, Badge.LINA)
    assert asked.value.params == {"article": "Sandwich jambon", "flags": ["gluten"],
                                  "articles": ["SANDW-HAM"]}
    picked = terminal.service.pickup(terminal.marie, Badge.LINA, confirm={"allergen"})
    assert [i["reservation"] for i in picked.delivered] == [made.reservation.id]


def test_the_wallet_of_the_category_pays(world):
    world.store.load("school-a", DataSet.model_validate({
        "categories": [{"code": "sandwich", "name": "Sandwichs", "wallet_kind": "meals"}],
        "wallets": [{"id": "W00001-M", "student_id": "S00001", "kind": "meals", "name": "Repas",
                     "structured_communication": structured_communication(999), "is_default": False,
                     "balance_cents": 1000}]}))
    r = ok(world.reserve("S00001"), ledger_api.ReservationAnswer)
    assert (r.wallet_id, r.balance_cents) == ("W00001-M", 1000 - HAM)
    assert world.balance("W00001") == 2500


def test_cancel_before_the_cutoff_refunds_after_is_refused(world):
    first = ok(world.reserve("S00001"), ledger_api.ReservationAnswer).reservation
    world.clock.advance(60)
    second = ok(world.reserve("S00001", "SANDW-TUNA"), ledger_api.ReservationAnswer).reservation
    at(world.clock, "08:00")
    done = ok(world.cancel(first.id), ledger_api.CancelAnswer)
    assert (done.reservation.status, done.wallet_id, done.refunded_cents, done.balance_cents) == (
        "cancelled", "W00001", HAM, 2500 - TUNA)
    refused(world.cancel(first.id), 409, "not_cancellable")
    refused(world.cancel("R-NOPE"), 404, "not_found")
    at(world.clock, "08:30")
    assert "08:30" in refused(world.cancel(second.id), 409, "too_late").message
    assert world.balance("W00001") == 2500 - TUNA
    listed = ok(world.call("GET", ledger_api.RESERVATIONS, params={"student": "S00001"}),
                ledger_api.ReservationList).reservations
    assert {(x.id, x.status) for x in listed} == {(first.id, "cancelled"), (second.id, "reserved")}

    # The parents' sales journal shows the reservation and its refund (no device), and the
    # CLI table says so in French.
    journal = world.store.sales_journal("school-a", student_id="S00001", period="today",
                                        today=DAY)
    lines = [(x["kind"], x["article"], x["amount_cents"], x["device_id"], x["wallet_id"])
             for x in journal["rows"]]
    assert lines == [("refund", "SANDW-HAM", HAM, None, "W00001"),
                     ("reservation", "SANDW-TUNA", -TUNA, None, "W00001"),
                     ("reservation", "SANDW-HAM", -HAM, None, "W00001")]
    assert journal["total_cents"] == -TUNA
    over_http = world.call("GET", "/api/v1/admin/sales",
                           params={"student": "S00001", "period": "today", "article": "thon"})
    assert [x["kind"] for x in over_http.json()["rows"]] == ["reservation"]
    assert world.store.sales_journal("school-a", device_id="Cantine 1", today=DAY)["rows"] == []


def next_school_day() -> str:
    """The CLI runs on the real clock: the first school day after today by the default
    calendar (no Wednesday, no weekend), for a reservation it accepts."""
    day = datetime.now(BRUSSELS).date() + timedelta(days=1)
    while day.isoweekday() not in school_days.DEFAULT_WEEKDAYS:
        day += timedelta(days=1)
    return day.isoformat()


def test_cli_reserve_cancel_topup(world, capsys):
    db = world.store.db
    # The CLI runs on the real clock: reserve for tomorrow.
    day = next_school_day()
    assert central_main(["topup", "--db", db, "--wallet", "W00002", "--euros", "3,20"]) == 0
    assert "balance €3.20" in capsys.readouterr().out
    assert central_main(["reserve", "--db", db, "--student", "S00002", "--day", day,
                         "--article", "SANDW-TUNA"]) == 0
    out = capsys.readouterr().out
    rid = re.search(r"reservation (R\S+):", out)[1]
    assert "balance €0.00" in out
    assert central_main(["reserve", "--db", db, "--student", "S00002", "--day", day,
                         "--article", "SANDW-HAM"]) == 1
    assert "no reservation is possible" in capsys.readouterr().err
    assert central_main(["cancel-reservation", "--db", db, "--id", rid]) == 0
    assert "€3.20 refunded" in capsys.readouterr().out
    assert central_main(["topup", "--db", db, "--wallet", "W00002", "--cents", "0"]) == 1
    assert central_main(["topup", "--db", db, "--wallet", "W00002", "--euros", "abc"]) == 1
    assert central_main(["topup", "--db", db, "--wallet", "W-NOPE", "--cents", "5"]) == 1
    capsys.readouterr()
    assert central_main(["wallet", "--db", db, "--wallet", "W00002"]) == 0
    out = capsys.readouterr().out.replace("\xa0", " ")
    assert [line.split()[2] for line in out.splitlines()[:-1]] == [
        "top-up", "reservation", "refund"]
    assert out.splitlines()[-1] == "balance: €3.20"


def test_cli_topup_in_whole_euros_and_never_a_negative_amount(world, capsys):
    """`--euros 20` credits 20,00 €; `--euros -5` is refused and credits nothing (a minus sign
    read as plus would give a parent 5 €) (issue 13, point 14)."""
    db, start = world.store.db, world.balance("W00002")
    topup = ["topup", "--db", db, "--wallet", "W00002", "--euros"]
    assert central_main([*topup, "20"]) == 0
    assert "€20.00 credited" in capsys.readouterr().out
    assert central_main([*topup, "-5"]) == 1
    assert "above zero" in capsys.readouterr().err
    assert central_main([*topup, "0,01"]) == 0
    assert world.balance("W00002") == start + 2001

# -- what terminals see -----------------------------------------------------------------------
def test_pull_brings_reservation_and_balance_then_pickup_marks_delivered(world, terminal):
    t = terminal
    at(t.clock, "07:05")
    soup = t.service.sell(t.marie, Badge.EMMA, {"SOUP": 1})                # seq 1 on the terminal
    assert t.agent.push() == 1
    t.agent.pull()
    cursor = t.store.sync_state("pull_cursor", "")

    made = ok(world.reserve("S00001"), ledger_api.ReservationAnswer).reservation
    page = protocol.PullPage.model_validate(requests.get(
        world.url + protocol.CHANGES, params={"cursor": cursor},
        headers={"Authorization": f"Bearer {t.token}"}).json())
    assert [x.model_dump(mode="json") for x in page.reservations] == [made.model_dump(mode="json")]
    assert [(w.id, w.balance_cents, w.included_seq) for w in page.wallets] == [
        ("W00001", 2500 - 100 - HAM, soup.entry.seq)]

    # The terminal pulls: the counter shows the new balance and today's reservation.
    t.agent.pull()
    seen = t.service.identify(Badge.EMMA)
    assert seen.wallets[0].balance_cents == 2500 - 100 - HAM
    assert [(x["id"], x["status"]) for x in seen.reservations] == [(made.id, "reserved")]

    # Lunch: the sandwich is handed over; the pickup reaches the platform: delivered.
    at(t.clock, "12:10")
    picked = t.service.pickup(t.marie, Badge.EMMA)
    assert [i["reservation"] for i in picked.delivered] == [made.id]
    assert t.agent.push() == 1
    assert world.db("SELECT status FROM reservations WHERE id = ?", (made.id,)) == [("delivered",)]
    listed = ok(world.call("GET", ledger_api.RESERVATIONS, params={"day": DAY.isoformat()}),
                ledger_api.ReservationList).reservations
    assert next(x.status for x in listed if x.id == made.id) == "delivered"
    # Every terminal learns it (another counter would refuse a second pickup).
    other = Terminal(world, "Cantine 2")
    try:
        assert [x["status"] for x in other.service.identify(Badge.EMMA).reservations] == [
            "delivered"]
    finally:
        other.close()
    # Delivered: no cancellation, no refund (at any hour).
    at(world.clock, "07:00")
    refused(world.cancel(made.id), 409, "not_cancellable")
    assert world.balance("W00001") == 2500 - 100 - HAM
    # The pickup moved no money; the journal shows it at 0.
    rows = world.store.sales_journal("school-a", student_id="S00001", today=DAY,
                                     period="today")["rows"]
    assert sorted((x["kind"], x["amount_cents"]) for x in rows) == [
        ("pickup", 0), ("reservation", -HAM), ("sale", -100)]


def test_balance_invariant(world, terminal):
    """balance = initial + top-ups + transfers − sales + voids − reservations + refunds."""
    t, initial = terminal, 2500
    at(t.clock, "07:10")
    t.service.sell(t.marie, Badge.EMMA, {"SOUP": 1})                          # −100
    t.clock.advance(60)
    juice = t.service.sell(t.marie, Badge.EMMA, {"JUICE": 2})                 # −240
    luc = t.service.login("Luc", DEMO_PINS["Luc"])
    t.service.void(luc, juice.entry.seq, "erreur")                             # +240
    t.clock.advance(60)
    t.service.sell(t.marie, Badge.EMMA, {"WATER": 1})                         # −80
    ok(world.topup("W00001", 500, label="espèces"), ledger_api.TopupAnswer)   # +500
    a = ok(world.reserve("S00001"), ledger_api.ReservationAnswer).reservation  # −300
    ok(world.reserve("S00001", "SANDW-TUNA", quantity=2), ledger_api.ReservationAnswer)  # −640
    ok(world.cancel(a.id), ledger_api.CancelAnswer)                           # +300
    bank = f"{DAY:%d/%m/%Y};12,34;{structured_communication(250_000_001)}\n"
    assert world.call("POST", ledger_api.BANK_IMPORT, data=bank.encode()).json()["matched"] == 1
    assert t.agent.push() == 4

    expected = initial + 500 + 1234 - (100 + 240 + 80) + 240 - (300 + 640) + 300
    assert world.balance("W00001") == expected
    history = ok(world.call("GET", ledger_api.WALLET_HISTORY.format(wallet_id="W00001")),
                 ledger_api.WalletHistory)
    assert initial + sum(m.amount_cents for m in history.movements) == expected
    assert sorted(m.kind for m in history.movements) == sorted(
        ["sale", "sale", "void", "sale", "topup", "reservation", "reservation", "refund",
         "transfer"])
    t.agent.pull()
    assert t.service.identify(Badge.EMMA).wallets[0].balance_cents == expected


# -- bank statements ----------------------------------------------------------------------------
def comm(number: int) -> str:
    return structured_communication(250_000_000 + number)      # the demo wallet W{number}


def test_bank_statement_matched_unmatched_and_idempotent(world, capsys):
    good1, good3, good5 = comm(1), comm(3), comm(5)
    bad_check = good1[:-5] + ("00+++" if not good1.endswith("00+++") else "01+++")
    unknown = structured_communication(123_456_789)
    statement = "\n".join([
        "Date;Montant;Communication;Nom",
        f"20/11/2026;25,00;{good1};Dubois",                             # 2
        f"2026-11-20;10.5;{good3.replace('+', '*')};Dubois",            # 3: ***…***
        f"21.11.2026;7;{re.sub(r'[^0-9]', '', good5)};X",               # 4: bare 12 digits
        "",
        f"21/11/2026;5,00;{bad_check};X",                               # 6
        f"21/11/2026;5,00;{unknown};X",                                 # 7
        f"21/11/2026;douze;{good1};X",                                  # 8
        f"31/02/2026;5,00;{good1};X",                                   # 9
        f"21/11/2026;-5,00;{good1};X",                                  # 10: a debit
        "21/11/2026;5,00;;X",                                          # 11
        f"20/11/2026;25,00;{good1};Dubois",                             # 12: a 2nd identical one
    ]) + "\n"
    path = world.folder / "extrait.csv"
    path.write_text(statement, encoding="utf-8")
    db = world.store.db
    assert central_main(["import-bank", str(path), "--db", db]) == 0
    out = capsys.readouterr().out.replace("\xa0", " ")
    assert out.splitlines()[0] == ("10 transfer lines: 4 credited (€67.50), 0 already imported"
                                   " (€0.00), 6 unmatched")
    reasons = {int(m[1]): m[2] for m in re.finditer(r"line (\d+): (.*?) —", out)}
    assert reasons == {
        6: "bad check digit (mod 97): the communication was mistyped",
        7: "unknown communication: no wallet has it",
        8: "bad amount (euros with a decimal comma or dot, e.g. 25,00)",
        9: "bad date (e.g. 20/11/2026 or 2026-11-20)",
        10: "not a credit (the amount is below zero)",
        11: "no structured communication"}
    assert (world.balance("W00001"), world.balance("W00003"), world.balance("W00005")) == (
        2500 + 5000, 1500 + 1050, 2000 + 700)

    # The same statement again (over HTTP): nothing credited twice.
    again = ok(world.call("POST", ledger_api.BANK_IMPORT, data=path.read_bytes(),
                          headers={"Content-Type": "text/csv"}), ledger_api.BankImport)
    assert (again.lines, again.matched, again.already_imported, again.already_imported_cents) == (
        10, 0, 4, 6750)
    assert [(u.line, u.communication) for u in again.unmatched][:2] == [(6, bad_check),
                                                                       (7, unknown)]
    # The next statement overlaps the first: only its new line counts.
    overlap = f"20/11/2026;25,00;{good1}\n22/11/2026;3;{good3}\n"
    nxt = ok(world.call("POST", ledger_api.BANK_IMPORT, data=overlap.encode()),
             ledger_api.BankImport)
    assert (nxt.matched, nxt.matched_cents, nxt.already_imported) == (1, 300, 1)
    assert [(c.line, c.wallet_id, c.amount_cents) for c in nxt.credited] == [(2, "W00003", 300)]
    assert (world.balance("W00001"), world.balance("W00003")) == (7500, 2850)


def test_bank_reference_column_decides_what_is_the_same_transfer(world):
    text = ("reference,date,amount,communication\n"
            f'BK-1,2026-11-20,"12,00",{comm(8)}\n'
            f'BK-2,2026-11-20,"12,00",{comm(8)}\n')
    first = ok(world.call("POST", ledger_api.BANK_IMPORT, data=text.encode()),
               ledger_api.BankImport)
    assert (first.matched, first.matched_cents) == (2, 2400)
    text += f"BK-3,2026-11-21,4.5,{comm(8)}\n"
    second = ok(world.call("POST", ledger_api.BANK_IMPORT, data=text.encode()),
                ledger_api.BankImport)
    assert (second.matched, second.already_imported) == (1, 2)
    assert world.balance("W00008") == 1000 + 2400 + 450
    refused(world.call("POST", ledger_api.BANK_IMPORT, data=b"date;amount\n2026-11-20;5\n"),
            422, "invalid")         # a header without a communication column
    # The README's example statement reads as it says.
    block = re.search(r"<!-- bank-example -->\s*```csv\n(.*?)```", README.read_text(), re.S)[1]
    example = ok(world.call("POST", ledger_api.BANK_IMPORT, data=block.encode()),
                 ledger_api.BankImport)
    assert (example.matched, [u.line for u in example.unmatched]) == (1, [3])


# -- the roster -------------------------------------------------------------------------------
def test_roster_import_and_reimport_keep_balances(world, capsys):
    block = re.search(r"<!-- roster-example -->\s*```csv\n(.*?)```", README.read_text(), re.S)[1]
    path = world.folder / "roster.csv"
    path.write_text(block, encoding="utf-8")
    db = world.store.db
    assert central_main(["import-roster", str(path), "--db", db]) == 0
    assert capsys.readouterr().out.startswith("3 students in the roster: 3 added")
    wallets = {r[0]: r[1:] for r in world.db(
        "SELECT id, student_id, kind, structured_communication, is_default, balance_cents"
        " FROM wallets WHERE student_id LIKE 'S1%'")}
    assert wallets["W1001"] == ("S1001", "main", "+++090/9337/55493+++", 1, 0)
    assert wallets["W1001F"][:2] == ("S1001", "supplies") and wallets["W1001F"][3:] == (0, 0)
    assert re.fullmatch(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", wallets["W1001F"][2])   # made here
    assert world.db("SELECT uid, student_id, status FROM badges WHERE student_id LIKE 'S1%'"
                    " ORDER BY uid") == [("04112233AABBCC", "S1002", "active"),
                                         ("04A1B2C4", "S1001", "active"),
                                         ("04AABBCC", "S1002", "active")]

    # Money moves; a terminal's cursor sees only what the re-import changes.
    t = Terminal(world)
    try:
        ok(world.topup("W1001", 1500), ledger_api.TopupAnswer)
        ok(world.reserve("S1001"), ledger_api.ReservationAnswer)
        made_here = wallets["W1001F"][2]
        t.agent.pull()
        cursor = t.store.sync_state("pull_cursor", "")
        # The school's next export: Noah changed class and lost a badge, Emma's names fixed.
        refreshed = (block.replace("Peeters,Noah,1B", "Peeters,Noah,2B")
                     .replace("04112233AABBCC 04AABBCC", "04AABBCC")
                     .replace("Dubois,Emma", "Dubois,Emma-Rose"))
        path.write_text(refreshed, encoding="utf-8")
        assert central_main(["import-roster", str(path), "--db", db]) == 0
        page = protocol.PullPage.model_validate(requests.get(
            world.url + protocol.CHANGES, params={"cursor": cursor},
            headers={"Authorization": f"Bearer {t.token}"}).json())
    finally:
        t.close()
    assert sorted((s.id, s.first_name, s.class_name) for s in page.students) == [
        ("S1001", "Emma-Rose", "1A"), ("S1002", "Noah", "2B")]
    assert [(b.uid, b.status) for b in page.badges] == [("04112233AABBCC", "blocked")]
    assert page.wallets == [] and page.reservations == []     # balances untouched
    assert world.balance("W1001") == 1500 - HAM
    assert world.db("SELECT structured_communication FROM wallets WHERE id = 'W1001F'") == [
        (made_here,)]                                        # kept: parents' standing orders

    # Loading the same file a third time changes nothing at all.
    versions = world.db("SELECT value FROM change_counter")
    assert central_main(["import-roster", str(path), "--db", db]) == 0
    assert "0 added, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert world.db("SELECT value FROM change_counter") == versions

    # The JSON form of the same roster is read the same way.
    json_block = re.search(r"<!-- roster-json-example -->\s*```json\n(.*?)```",
                           README.read_text(), re.S)[1]
    done = ok(world.call("POST", ledger_api.ROSTER, data=json_block.encode(),
                         headers={"Content-Type": "application/json"}),
              ledger_api.RosterImport)
    assert (done.students, done.students_added, done.wallets_added) == (1, 1, 1)
    assert world.balance("W1004") == 0


def test_bad_roster_line_refuses_the_whole_file(world, capsys):
    before = world.db("SELECT value FROM change_counter")
    good = comm(1)
    path = world.folder / "roster.csv"
    path.write_text("student_id,last_name,first_name,class,badges,wallet_id,communication\n"
                    "S2001,Martin,Jules,3A,04A0A0A0,W2001,\n"
                    "S2002,Leroy,,3A,,W2002,\n"                                     # 3
                    "S2003,Bah,Awa,3B,xyz,W2003,\n"                                 # 4
                    f"S2004,Noel,Tom,3B,,W2004,{good[:-5]}00+++\n"                   # 5
                    "S2005,Roy,Ana,3C,,W00001,\n"                                   # 6
                    f"S2006,Dia,Ali,3C,,W2006,{good}\n", encoding="utf-8")         # 7
    assert central_main(["import-roster", str(path), "--db", world.store.db]) == 1
    err = capsys.readouterr().err
    assert "nothing changed" in err
    assert "line 3: first_name is missing" in err
    assert "line 4: badge #1 is not a badge UID" in err and "xyz" not in err
    assert "line 5: communication: bad check digit" in err
    assert world.db("SELECT value FROM change_counter") == before
    assert world.db("SELECT COUNT(*) FROM students WHERE id LIKE 'S2%'") == [(0,)]

    # Against the platform: a wallet never changes hands, a communication names one wallet.
    path.write_text("student_id,last_name,first_name,class,wallet_id,communication\n"
                    "S2005,Roy,Ana,3C,W00001,\n"
                    f"S2006,Dia,Ali,3C,W2006,{good}\n", encoding="utf-8")
    assert central_main(["import-roster", str(path), "--db", world.store.db]) == 1
    err = capsys.readouterr().err
    assert "line 2: wallet W00001 belongs to student S00001" in err
    assert f"line 3: communication {good} is wallet W00001's" in err
    # Over HTTP the same refusal is an ErrorBody.
    body = refused(world.call("POST", ledger_api.ROSTER, data=b"id;name\n1;x\n"), 422, "invalid")
    assert "line 1: the column names must include" in body.message
    assert world.db("SELECT value FROM change_counter") == before


def test_reloading_the_platform_data_keeps_balances_and_delivered(world, demo_data):
    """``central demo-data`` (``CentralStore.load``) again: the file's balances are opening
    balances, not a reset."""
    ok(world.topup("W00001", 700), ledger_api.TopupAnswer)
    rid = "R20261124-00008"
    world.db("UPDATE reservations SET status = 'delivered' WHERE id = ?", (rid,), write=True)
    counts = world.store.load("school-a", DataSet.model_validate(demo_data))
    assert "wallets" not in counts and "reservations" not in counts
    assert world.balance("W00001") == 2500 + 700
    assert world.db("SELECT status FROM reservations WHERE id = ?", (rid,)) == [("delivered",)]


@pytest.mark.parametrize("name", ["sync.server.bank_statement", "sync.server.ledger",
                                  "sync.server.devices", "sync.server.schools",
                                  "sync.server.text"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_readme_documents_the_commands():
    text = README.read_text()
    for command in ("import-roster", "import-bank", "topup", "reserve", "cancel-reservation",
                    "cutoff"):
        assert f"comptoir central {command}" in text, command
    docs = (README.parent / "docs" / "sync-protocol.md").read_text()
    for path in (ledger_api.RESERVATIONS, ledger_api.TOPUPS, ledger_api.BANK_IMPORT,
                 ledger_api.ROSTER):
        assert path in docs, path
    json.loads(re.search(r"<!-- roster-json-example -->\s*```json\n(.*?)```", text, re.S)[1])
