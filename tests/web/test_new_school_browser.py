"""A new school from nothing (issue 16's acceptance), on SQLite and PostgreSQL: the real
``comptoir central init`` makes the school and its first admin; then only the browser: the
admin chooses a password, uploads the roster, makes the categories and the articles with
their prices and allergens, closes a day in the calendar, adds an operator, tops a wallet up
and makes an enrolment code. A real terminal (a fresh store, the sync agent over loopback)
enrols with that code, pulls everything, and sells soup to a student; the sale is in the
journal page; a reservation for the closed day is refused; a badge blocked on the student's
page is refused at the terminal after its next pull."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.store import open_store
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.common.errors import ComptoirError
from sync.server import school_calendar
from sync.server.storage import CentralStore

from ..loopback import Served
from .browser import audit, new_context

pytestmark = pytest.mark.slow(seconds=60)

EMMA, LOUIS = "04A1B2C3D4", "04B2C3D4E5"
ROSTER = ("student_id;last_name;first_name;class;badges;wallet_id;wallet_kind;wallet_name\n"
          f"S1;Dubois;Emma;1A;{EMMA};W1;main;Repas\n"
          f"S2;Martin;Louis;2B;{LOUIS};W2;main;Repas\n")
PASSWORD = "une phrase assez longue"


@pytest.fixture
def new_school(central_dbs):
    """The platform as a new school has it: a database ``comptoir central init`` made, with
    one admin and a one-time link (the CLI's own output), served over loopback."""
    db = central_dbs.new()
    out = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "central", "init", "--db", db,
         "--school", "Athénée de Test", "--admin-email", "direction@athenee.example"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    token = re.search(r"/welcome\?token=(\S+)", out.stdout).group(1)
    clock = ManualClock(datetime.now(timezone.utc))
    store = CentralStore(db, now=clock.now)
    served = Served(store)
    yield served, store, clock, token
    served.stop()
    store.close()


def submit(page, action: str) -> None:
    page.click(f"form[action='{action}'] button[type=submit]")


def test_a_new_school_from_nothing_through_the_browser(browser, new_school, tmp_path):
    served, store, clock, token = new_school
    school_id = store.school_id()
    context = new_context(browser, served)
    page = context.new_page()

    # The first admin chooses a password with the link init printed, and signs in.
    page.goto(f"/welcome?token={token}")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-again", PASSWORD)
    submit(page, "/welcome")
    page.fill("#f-email", "direction@athenee.example")
    page.fill("#f-password", PASSWORD)
    submit(page, "/login")
    audit(page, "new-school-home-fr")

    # The roster, the categories (the wallet kind the roster made pays), the articles.
    page.goto("/students/roster")
    page.set_input_files("#f-file", files=[{"name": "eleves.csv", "mimeType": "text/csv",
                                            "buffer": ROSTER.encode()}])
    submit(page, "/students/roster")
    assert page.locator(".flash-success, .flash-info").count() >= 1, page.content()
    for code, name in (("soup", "Potages"), ("sandw", "Sandwichs")):
        page.goto("/catalogue/categories")
        page.fill("#f-code", code)
        page.fill("#f-name_fr", name)
        page.select_option("#f-wallet_kind", "main")
        submit(page, "/catalogue/categories")
        assert page.locator(".flash-success").is_visible()
    for code, name, price, category, extra in (
            ("SOUP", "Potage du jour", "1,20", "soup", "#f-allergen-celery"),
            ("SANDW-HAM", "Sandwich jambon", "3,00", "sandw", "#f-reservable")):
        page.goto("/catalogue/articles/new")
        page.fill("#f-code", code)
        page.fill("#f-name_fr", name)
        page.fill("#f-price", price)
        page.select_option("#f-category", category)
        page.check(extra)
        submit(page, "/catalogue/articles")
        assert page.url.endswith(f"/catalogue/articles/{code}")

    # The calendar: the next open day after tomorrow is closed, with its reason.
    tz = ZoneInfo("Europe/Brussels")
    today = clock.now().astimezone(tz).date()
    closed = school_calendar.open_days(store, school_id, today + timedelta(days=2),
                                       today + timedelta(days=12))[0]
    page.goto("/calendar")
    page.fill("#f-first_day", closed.isoformat())
    page.fill("#f-reason", "Journée pédagogique")
    submit(page, "/calendar/closures")
    assert page.locator(".flash-success").is_visible()

    # An operator with a PIN the office types; Emma's wallet topped up; an enrolment code.
    page.goto("/operators")
    page.fill("#f-name", "Marie")
    page.select_option("#f-role", "supervisor")
    page.fill("#f-pin", "2468")
    submit(page, "/operators")
    assert page.locator("#new-pin").inner_text() == "2468"
    page.goto("/money/wallets/W1")
    page.fill("#f-amount", "10,00")
    page.fill("#f-reason", "premier versement")
    submit(page, "/money/wallets/W1")
    assert "10,00" in page.locator("#balance").inner_text()
    page.goto("/terminals")
    page.fill("#f-name", "Cantine 1")
    submit(page, "/terminals/codes")
    code = page.locator("#enrol-code").inner_text()
    url = page.locator("#enrol-url").inner_text()

    # A real terminal from an empty store: enrols, pulls everything, sells soup to Emma.
    folder = tmp_path / "terminal"
    folder.mkdir()
    terminal = open_store(folder / "comptoir.db", create=True)
    client = None
    try:
        creds = enrol(terminal, folder, url, code, allow_http=True)
        client = Client(creds.url, creds.token, allow_http=True)
        agent = Agent(terminal, client)
        assert agent.run_once()["pulled"] > 0
        service = CounterService(terminal, TerminalConfig(), ManualClock(clock.now()))
        marie = service.login("Marie", "2468")
        sale = service.sell(marie, EMMA, {"SOUP": 1})
        assert sale.total_cents == 120
        assert agent.run_once()["pushed"] == 1

        page.goto("/reports")
        assert "Potage du jour" in page.locator("#journal").inner_text()
        audit(page, "new-school-journal-fr")

        # A reservation for the closed day is refused, with the reason.
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        answer = context.request.post(
            "/api/v1/admin/reservations",
            headers={"Origin": served.url, "X-CSRF-Token": csrf},
            data={"student_id": "S1", "day": closed.isoformat(), "article_code": "SANDW-HAM"})
        assert answer.status == 409 and answer.json()["error"] == "closed", answer.text()

        # Louis's badge blocked on his page is refused at the terminal after its next pull.
        page.goto("/students/S2")
        page.click(f"button[aria-label$='{LOUIS}']")
        assert page.locator(".flash-success").is_visible()
        with pytest.raises(ComptoirError) as refused:
            service.sell(marie, LOUIS, {"SOUP": 1})
        assert refused.value.code == "insufficient_balance"        # before: only no money
        agent.run_once()
        with pytest.raises(ComptoirError) as refused:
            service.sell(marie, LOUIS, {"SOUP": 1})
        assert refused.value.code == "blocked_badge"
    finally:
        if client is not None:
            client.close()
        terminal.close()
        context.close()
