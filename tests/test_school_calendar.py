"""The school calendar (issue 16, point 4) over real loopback HTTP, on SQLite and PostgreSQL:
reservations only for open days within the school's horizon (the issue found them accepted
and paid for a Saturday, Christmas day and 2031), closures with the reason people read,
closing a day refunds its reservations at once, and a real terminal (store and sync agent)
drops them from its pickup list at its next pull."""
from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
import requests

from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import Badge
from kiosk.lookups import reservation_counts
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.server import calendar_api as cal, ledger, ledger_api
from sync.server.errors import CentralError
from sync.server.storage import CentralStore
from tests.central_db import central_rows

from .conftest import BRUSSELS
from .loopback import Served

TUESDAY = date(2026, 11, 24)            # the demo data's day
THURSDAY, FRIDAY, SATURDAY = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)
HAM = 300                               # SANDW-HAM (cents)
_schools = itertools.count(1)


class Platform:
    """One served platform per backend for the module; each test has its own school."""

    def __init__(self, db: str, demo_data: dict):
        self.clock = ManualClock(datetime(2026, 11, 24, 7, 30, tzinfo=BRUSSELS))
        self.store = CentralStore(db, create=True, now=self.clock.now)
        self.served = Served(self.store)
        self.url, self.token, self.demo = self.served.url, self.store.create_admin_token(), demo_data

    def school(self) -> School:
        self.at(TUESDAY, "07:30")
        school_id = f"cal-{next(_schools)}"
        self.store.add_school("École " + school_id, school_id)
        self.store.load(school_id, DataSet.model_validate(self.demo))
        return School(self, school_id)

    def at(self, day: date, hhmm: str) -> None:
        hours, minutes = map(int, hhmm.split(":"))
        self.clock._now = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BRUSSELS)


class School:
    def __init__(self, platform: Platform, school_id: str):
        self.p, self.id = platform, school_id

    def call(self, method: str, path: str, token: str | None = "", **kw) -> requests.Response:
        token = self.p.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.p.url + path, headers=headers,
                                params={"school": self.id} | kw.pop("params", {}), **kw)

    def reserve(self, student: str, day: date, article: str = "SANDW-HAM") -> requests.Response:
        return self.call("POST", ledger_api.RESERVATIONS, json={
            "student_id": student, "day": day.isoformat(), "article_code": article})

    def close(self, first: date, last: date, reason: str) -> requests.Response:
        return self.call("POST", cal.CLOSURES, json={"first_day": first.isoformat(),
                                                     "last_day": last.isoformat(),
                                                     "reason": reason})

    def settings(self, **changes) -> requests.Response:
        now = self.call("GET", cal.SETTINGS).json()
        now.pop("timezone")
        return self.call("PUT", cal.SETTINGS, json=now | changes)

    def balance(self, wallet: str) -> int:
        return ok(self.call("GET", ledger_api.WALLET_HISTORY.format(wallet_id=wallet)),
                  ledger_api.WalletHistory).balance_cents

    def rows(self, sql: str, params=()) -> list:
        return central_rows(self.p.store, sql, (self.id, *params))


def ok(r: requests.Response, model):
    assert r.status_code == 200, (r.status_code, r.text)
    return model.model_validate(r.json())


def refused(r: requests.Response, status: int, code: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = protocol.ErrorBody.model_validate(r.json())
    assert body.error == code, body
    return body.message


@pytest.fixture(scope="module")
def platform(central_dbs, demo_data):
    p = Platform(central_dbs.new(), demo_data)
    yield p
    p.served.stop()
    p.store.close()


# -- reservations only for open days within the horizon --------------------------------------
def test_reservations_only_for_open_days_within_the_horizon(platform):
    """The issue's finding: a Saturday, Christmas day and 2031 were accepted and paid. With no
    calendar set, the canteen is open Monday, Tuesday, Thursday and Friday, 30 days ahead."""
    s = platform.school()
    start = s.balance("W00001")
    ok(s.reserve("S00001", TUESDAY), ledger_api.ReservationAnswer)
    ok(s.reserve("S00001", THURSDAY), ledger_api.ReservationAnswer)
    assert "not a school day" in refused(s.reserve("S00001", SATURDAY), 409, "closed")
    assert "not a school day" in refused(s.reserve("S00001", date(2026, 11, 25)), 409, "closed")
    assert "30 days ahead" in refused(s.reserve("S00001", date(2026, 12, 25)), 409, "closed")
    assert "30 days ahead" in refused(s.reserve("S00001", date(2031, 1, 6)), 409, "closed")
    ok(s.reserve("S00001", date(2026, 12, 24)), ledger_api.ReservationAnswer)    # day 30

    # The school's own calendar: Christmas holidays, 90 days ahead, Wednesdays too.
    ok(s.settings(horizon_days=90, weekdays=[1, 2, 3, 4, 5]), cal.CalendarSettings)
    holidays = ok(s.close(date(2026, 12, 21), date(2027, 1, 1), "Vacances de Noël"),
                  cal.ClosureAnswer)
    assert [r.day for r in holidays.refunded] == [date(2026, 12, 24)]    # refunded at once
    message = refused(s.reserve("S00001", date(2026, 12, 25)), 409, "closed")
    assert message == "No reservation for 25/12/2026: closed: Vacances de Noël"
    ok(s.reserve("S00001", date(2026, 11, 25)), ledger_api.ReservationAnswer)    # a Wednesday
    refused(s.reserve("S00001", date(2031, 1, 6)), 409, "closed")
    assert s.balance("W00001") == start - 3 * HAM      # the three still reserved, nothing else
    assert s.rows("SELECT status, COUNT(*) FROM reservations WHERE school_id = ?"
                  " AND student_id = 'S00001' GROUP BY status"
                  " ORDER BY status") == [("cancelled", 1), ("reserved", 3)]

    # Said in the office's languages (the catalogues: tests/test_translations.py).
    with pytest.raises(CentralError) as e:
        ledger.create_reservation(platform.store, s.id, "S00001", SATURDAY, "SANDW-HAM")
    assert (e.value.say("fr"), e.value.say("nl")) == (
        "Pas de réservation pour le 28/11/2026\xa0: ce n'est pas un jour d'école",
        "Geen reservering voor 28/11/2026: geen schooldag")
    with pytest.raises(CentralError) as e:
        ledger.create_reservation(platform.store, s.id, "S00001", date(2026, 12, 28), "SANDW-HAM")
    assert e.value.say("fr") == "Pas de réservation pour le 28/12/2026\xa0: fermé\xa0: Vacances de Noël"


# -- closures ---------------------------------------------------------------------------------
def test_closing_a_day_refunds_its_reservations_and_reopening_reserves_nothing(platform):
    s = platform.school()
    emma, lucas = s.balance("W00001"), s.balance("W00004")
    kept = ok(s.reserve("S00001", FRIDAY), ledger_api.ReservationAnswer).reservation
    made = [ok(s.reserve(student, THURSDAY), ledger_api.ReservationAnswer).reservation
            for student in ("S00001", "S00004")]

    # Before confirming, the office sees what closing Thursday would refund.
    preview = ok(s.call("GET", cal.PREVIEW, params={"first": THURSDAY.isoformat(),
                                                    "last": THURSDAY.isoformat()}),
                 cal.ClosurePreview)
    assert (preview.count, preview.amount_cents) == (2, 2 * HAM)
    assert sorted(r.id for r in preview.reservations) == sorted(r.id for r in made)

    done = ok(s.close(THURSDAY, THURSDAY, "  Journée   pédagogique "), cal.ClosureAnswer)
    assert done.closure.reason == "Journée pédagogique"
    assert (done.refunded_count, done.refunded_cents) == (2, 2 * HAM)
    assert {(r.id, r.wallet_id, r.amount_cents) for r in done.refunded} == {
        (made[0].id, "W00001", HAM), (made[1].id, "W00004", HAM)}
    assert (s.balance("W00001"), s.balance("W00004")) == (emma - HAM, lucas)   # Friday's kept
    # Each reservation is cancelled with the reason, each refund a "refund" movement saying it.
    assert s.rows("SELECT id, status, cancel_reason FROM reservations WHERE school_id = ?"
                  " AND day > ? ORDER BY day, id", (TUESDAY.isoformat(),)) == sorted(
        [(r.id, "cancelled", "Journée pédagogique") for r in made]) + [(kept.id, "reserved", None)]
    assert s.rows("SELECT kind, amount_cents, label FROM wallet_movements WHERE school_id = ?"
                  " AND kind = 'refund'") == [("refund", HAM, "Sandwich jambon (Journée pédagogique)")] * 2
    # The parents' journal shows why.
    journal = platform.store.sales_journal(s.id, student_id="S00001", today=TUESDAY,
                                           period="today")["rows"]
    assert [(x["kind"], x["article_name"]) for x in journal if x["kind"] == "refund"] == [
        ("refund", "Sandwich jambon (Journée pédagogique)")]
    # A closed day takes no reservation; a cancelled one cannot be cancelled again.
    assert "Journée pédagogique" in refused(s.reserve("S00001", THURSDAY), 409, "closed")
    refused(s.call("POST", ledger_api.CANCEL.format(reservation_id=made[0].id)), 409,
            "not_cancellable")
    listed = ok(s.call("GET", cal.CLOSURES), cal.ClosureList).closures
    assert [(c.first_day, c.last_day, c.reason) for c in listed] == [
        (THURSDAY, THURSDAY, "Journée pédagogique")]

    # Reopened: new reservations are taken, the cancelled ones stay cancelled and refunded.
    ok(s.call("DELETE", cal.CLOSURE.format(closure_id=done.closure.id)), cal.Closure)
    assert ok(s.call("GET", cal.CLOSURES), cal.ClosureList).closures == []
    assert s.rows("SELECT COUNT(*) FROM reservations WHERE school_id = ? AND status = 'reserved'"
                  " AND day = ?", (THURSDAY.isoformat(),)) == [(0,)]
    assert s.balance("W00001") == emma - HAM
    ok(s.reserve("S00001", THURSDAY), ledger_api.ReservationAnswer)
    refused(s.call("DELETE", cal.CLOSURE.format(closure_id=done.closure.id)), 404, "not_found")

    # Today can be closed (a snow day): this morning's reservations are refunded.
    today = ok(s.reserve("S00004", TUESDAY), ledger_api.ReservationAnswer).reservation
    ok(s.close(TUESDAY, TUESDAY, "Neige"), cal.ClosureAnswer)
    assert s.rows("SELECT status FROM reservations WHERE school_id = ? AND id = ?",
                  (today.id,)) == [("cancelled",)]
    assert s.balance("W00004") == lucas


def test_the_month_and_the_open_days(platform):
    s = platform.school()
    ok(s.reserve("S00001", FRIDAY), ledger_api.ReservationAnswer)
    ok(s.close(date(2026, 11, 30), date(2026, 12, 1), "Congé d'automne"), cal.ClosureAnswer)
    m = ok(s.call("GET", cal.MONTH), cal.CalendarMonth)         # this month
    assert (m.month, m.today, len(m.days)) == ("2026-11", TUESDAY, 30)
    by_day = {d.day.day: d for d in m.days}
    assert [d.day.day for d in m.days if d.today] == [24]
    assert (by_day[27].open, by_day[27].reservable, by_day[27].reservations) == (True, True, 1)
    assert (by_day[28].open, by_day[28].why_closed) == (False, "not a school day")
    assert by_day[30].why_closed == "closed: Congé d'automne" and by_day[30].closure_id
    assert (by_day[23].open, by_day[23].reservable) == (True, False)          # past
    december = ok(s.call("GET", cal.MONTH, params={"month": "2026-12"}), cal.CalendarMonth)
    assert [c.reason for c in december.closures] == ["Congé d'automne"]
    assert december.days[0].why_closed == "closed: Congé d'automne"
    assert [d.day.day for d in december.days if d.reservable] == [3, 4, 7, 8, 10, 11, 14, 15,
                                                                 17, 18, 21, 22, 24]
    days = ok(s.call("GET", cal.OPEN_DAYS, params={"first": "2026-11-26", "last": "2026-12-03"}),
              cal.OpenDays).days
    assert days == [THURSDAY, FRIDAY, date(2026, 12, 3)]


# -- settings, bad input, who may --------------------------------------------------------------
def test_settings_and_bad_input_change_nothing(platform):
    s = platform.school()
    assert ok(s.call("GET", cal.SETTINGS), cal.CalendarSettings) == cal.CalendarSettings(
        weekdays=[1, 2, 4, 5], year_first=None, year_last=None, horizon_days=30,
        cutoff="08:30", timezone="Europe/Brussels")
    year = ok(s.settings(year_first="2026-09-01", year_last="2027-06-30", cutoff="08:15",
                         horizon_days=14), cal.CalendarSettings)
    assert (year.year_first, year.year_last, year.cutoff, year.horizon_days) == (
        date(2026, 9, 1), date(2027, 6, 30), "08:15", 14)
    assert "outside the school year" in refused(s.reserve("S00001", date(2027, 7, 1)), 409,
                                                "closed")
    ok(s.reserve("S00001", FRIDAY), ledger_api.ReservationAnswer)
    before = s.call("GET", cal.SETTINGS).json()

    bad_settings = [({"weekdays": []}, "weekdays"), ({"weekdays": [8]}, "weekday"),
                    ({"weekdays": ["lundi"]}, "weekdays"), ({"horizon_days": 0}, "horizon"),
                    ({"horizon_days": 366}, "horizon"), ({"cutoff": "8h15"}, "cutoff"),
                    ({"year_last": None}, "both"), ({"year_last": "2026-08-01"}, "before"),
                    ({"year_first": "9999-01-01", "year_last": "9999-06-30"}, "not a school year"),
                    ({"extra": 1}, "extra"),
                    # Friday holds a reservation: a closure with a reason closes it, not this.
                    ({"weekdays": [1, 2, 4]}, "27/11/2026 has 1 reservation(s)")]
    for change, said in bad_settings:
        assert said in refused(s.settings(**change), 422, "invalid"), change
    assert s.call("GET", cal.SETTINGS).json() == before

    day = THURSDAY.isoformat()
    bad_closures = [({"first_day": day, "last_day": "2026-11-25", "reason": "x"}, "before it starts"),
                    ({"first_day": day, "last_day": "9999-12-31", "reason": "x"}, "too far ahead"),
                    ({"first_day": "9999-12-30", "last_day": "9999-12-31", "reason": "x"}, "too far"),
                    ({"first_day": day, "last_day": day, "reason": ""}, "needs a reason"),
                    ({"first_day": day, "last_day": day, "reason": " \t "}, "needs a reason"),
                    ({"first_day": day, "last_day": day, "reason": "x" * 121}, "120 characters"),
                    ({"first_day": day, "last_day": day, "reason": "x" * 501}, "reason"),
                    ({"first_day": day, "last_day": day}, "reason"),
                    ({"first_day": "2026-11-23", "last_day": day, "reason": "x"}, "is past"),
                    ({"first_day": "26/11/2026", "last_day": day, "reason": "x"}, "first_day"),
                    ({"first_day": day, "last_day": day, "reason": 12}, "reason")]
    for body, said in bad_closures:
        assert said in refused(s.call("POST", cal.CLOSURES, json=body), 422, "invalid"), body
    assert s.rows("SELECT COUNT(*) FROM school_closures WHERE school_id = ?") == [(0,)]
    for params in ({"month": "2026-13"}, {"month": "abc"}, {"month": "1999-01"}):
        refused(s.call("GET", cal.MONTH, params=params), 422, "invalid")
    for params in ({"first": "2026-12-01", "last": "2026-11-01"}, {"first": "2026-12-01"},
                   {"first": "2026-01-01", "last": "2028-01-01"}, {"first": "x", "last": "y"}):
        refused(s.call("GET", cal.OPEN_DAYS, params=params), 422, "invalid")
    refused(s.call("GET", cal.PREVIEW, params={"first": day, "last": "2026-11-25"}), 422,
            "invalid")

    # Who may: no token, a terminal's token; another school's closure is not found here.
    refused(s.call("GET", cal.SETTINGS, token=None), 401, "unauthorized")
    other = platform.school()
    theirs = ok(other.close(FRIDAY, FRIDAY, "Fête de l'école"), cal.ClosureAnswer).closure
    refused(s.call("DELETE", cal.CLOSURE.format(closure_id=theirs.id)), 404, "not_found")
    assert [c.id for c in ok(other.call("GET", cal.CLOSURES), cal.ClosureList).closures] == [
        theirs.id]
    assert ok(s.call("GET", cal.CLOSURES), cal.ClosureList).closures == []
    assert s.rows("SELECT status FROM reservations WHERE school_id = ? AND day > ?",
                  (TUESDAY.isoformat(),)) == [("reserved",)]        # the demo's are Tuesday's


# -- a real terminal --------------------------------------------------------------------------
def test_a_closed_day_leaves_the_terminals_pickup_list_at_its_next_pull(platform, tmp_path):
    """Friday's sandwiches are on a terminal's pickup list; the office closes Friday through
    the API: the wallets are refunded and, after its next pull, the terminal lists none."""
    s = platform.school()
    emma = ok(s.reserve("S00001", FRIDAY), ledger_api.ReservationAnswer)
    ok(s.reserve("S00004", FRIDAY), ledger_api.ReservationAnswer)

    clock = ManualClock(datetime(2026, 11, 24, 7, 40, tzinfo=BRUSSELS))
    store = open_store(tmp_path / "comptoir.db", create=True)
    creds = enrol(store, tmp_path, platform.url, platform.store.create_enrol_code(s.id, "Cantine"))
    client = Client(platform.url, creds.token)
    try:
        agent = Agent(store, client, TerminalConfig(), clock)
        agent.pull(full=True)
        service = CounterService(store, TerminalConfig(), clock)
        friday = FRIDAY.isoformat()
        assert [(c["article"], c["left"]) for c in reservation_counts(
            service.reservations_of_day(friday))] == [("SANDW-HAM", 2)]
        assert service.identify(Badge.EMMA).wallets[0].balance_cents == emma.balance_cents

        done = ok(s.close(FRIDAY, FRIDAY, "Journée pédagogique"), cal.ClosureAnswer)
        assert done.refunded_count == 2
        agent.pull()
        assert reservation_counts(service.reservations_of_day(friday)) == []
        assert {r["status"] for r in service.reservations_of_day(friday)} == {"cancelled"}
        assert service.identify(Badge.EMMA).wallets[0].balance_cents == emma.balance_cents + HAM
    finally:
        client.close()
        store.close()
