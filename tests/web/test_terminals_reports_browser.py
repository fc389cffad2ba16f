"""Terminals and reports through a real browser (issue 16, points 6 and 8), on SQLite and
PostgreSQL: the office makes an enrolment code on the page, a real terminal (its store with
the demo school, its counter, the real sync agent over loopback) enrols with what the QR
holds, pulls, sells, closes its day and pushes; the office sees it in the list, replaces and
revokes it; every report page shows what it pushed. Each page passes the axe audit."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from types import SimpleNamespace

import pytest

from kiosk import importer
from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge, generate
from kiosk.store import open_store
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.models import DataSet

from .browser import PHONE, audit, new_context, page_as

BRUSSELS = "Europe/Brussels"


@pytest.fixture(scope="module")
def school_data(platform, school):
    """The demo school (its reservations for today, in Brussels) loaded into ``school``."""
    from zoneinfo import ZoneInfo
    today = platform.clock.now().astimezone(ZoneInfo(BRUSSELS)).date()
    data = generate(students=30, day=today)
    platform.store.load(school.id, DataSet.model_validate(data))
    return SimpleNamespace(today=today, data=data)


def terminal_from_code(folder, qr_text: str, data: dict, now: datetime) -> SimpleNamespace:
    """A real terminal enrolled with the QR's text (``URL CODE``), its counter and agent."""
    store = open_store(folder / "comptoir.db", create=True)
    importer.apply(store, importer.parse(data), now)
    url, code = qr_text.split(" ")
    creds = enrol(store, folder, url, code, allow_http=True)
    client = Client(creds.url, creds.token, allow_http=True)
    return SimpleNamespace(store=store, client=client, agent=Agent(store, client),
                           service=CounterService(store, TerminalConfig(), ManualClock(now)))


def test_terminals_code_enrol_sync_replace_revoke(browser, platform, school, school_data,
                                                 tmp_path):
    context = new_context(browser, platform)
    office = page_as(context, platform, school.members["admin"])
    office.goto("/terminals")
    audit(office, "terminals-empty-fr")
    office.click("form[action='/terminals/codes'] button[type=submit]")    # no name
    assert office.locator("#f-name-error").is_visible()
    office.fill("#f-name", "Cantine 1")
    office.click("form[action='/terminals/codes'] button[type=submit]")
    audit(office, "terminal-code-fr")
    code = office.locator("#enrol-code").inner_text()
    qr = office.locator("figure svg[role=img]")
    assert code in qr.get_attribute("aria-label") and qr.locator("path").count() >= 1
    qr_text = f"{office.locator('#enrol-url').inner_text()} {code}"

    # The terminal enrols with it, pulls, sells soup and closes its day; pushes.
    t = terminal_from_code(tmp_path, qr_text, school_data.data, platform.clock.now())
    try:
        assert t.agent.run_once()["pulled"] > 0
        marie = t.service.login("Marie", DEMO_PINS["Marie"])
        t.service.sell(marie, Badge.EMMA, {"SOUP": 1})
        t.service.pickup(marie, Badge.LOUIS_RESERVED)
        t.service.close_day(t.service.login("Luc", DEMO_PINS["Luc"]))
        assert t.agent.run_once()["pushed"] == 3
    finally:
        t.client.close()
        t.store.close()

    office.goto("/terminals")
    row = office.locator("tr", has=office.locator("a:has-text('Cantine 1')"))
    assert "en service" in row.inner_text() and school_data.today.isoformat() in row.inner_text()
    assert "pas encore connu" in row.inner_text()     # its health report: no printer seen yet
    office.click("a:has-text('Cantine 1')")
    audit(office, "terminal-fr")
    assert office.locator("table:has(caption) >> text=1,00").count() >= 1      # its Z
    office.click("form[action$='/replace'] button[type=submit]")
    assert "Cantine 1" in office.locator(".flash-info").inner_text()
    assert office.locator("figure svg[role=img]").count() == 1
    office.go_back()
    office.click("form[action$='/revoke'] button[type=submit]")               # not ticked
    assert office.locator("#f-confirm-error").is_visible()
    office.check("#f-confirm")
    office.click("form[action$='/revoke'] button[type=submit]")
    assert "révoquée" in office.locator("dl.facts").first.inner_text()
    assert office.locator("form[action$='/revoke']").count() == 0

    # An accountant reads, and has no form to change anything; a phone shows the list.
    phone = new_context(browser, platform, viewport=PHONE)
    reader = page_as(phone, platform, school.members["accountant"])
    reader.goto("/terminals")
    audit(reader, "terminals-phone-fr")
    assert reader.locator("form[action='/terminals/codes']").count() == 0
    phone.close()
    context.close()


def test_reports_pages(browser, platform, school, school_data):
    context = new_context(browser, platform)
    office = page_as(context, platform, school.members["accountant"])
    office.goto("/reports")
    audit(office, "reports-journal-fr")
    assert "Potage" in office.locator("#journal").inner_text()
    office.select_option("#f-kind", "pickup")
    office.click("form[action='/reports'] button[type=submit]")
    assert "Potage" not in office.locator("#journal").inner_text()
    href = office.locator("a[download]").get_attribute("href")
    csv_file = context.request.get(href)
    assert csv_file.status == 200 and csv_file.body().startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(csv_file.body().decode("utf-8-sig")), delimiter=";"))
    assert lines[0][0] == "Date" and [line[2] for line in lines[1:]] == ["retrait"]

    office.select_option("#f-period", "custom")                      # a period ending first
    office.fill("#f-from", "2026-12-31")
    office.fill("#f-to", "2026-12-01")
    office.click("form[action='/reports'] button[type=submit]")
    assert "après" in office.locator("#report-error").inner_text()
    audit(office, "reports-journal-error-fr")

    office.goto("/reports/z")
    audit(office, "reports-z-fr")
    assert "Cantine 1" in office.locator("#z-table").inner_text()
    office.goto("/reports/totals")
    audit(office, "reports-totals-fr")
    assert "Potage" in office.locator("main").inner_text()
    office.goto("/reports/charts")
    audit(office, "reports-charts-fr")
    assert office.locator("svg[role=img] title#per-day-title").count() == 1
    assert office.locator("#per-hour-table tbody tr").count() >= 4
    office.goto("/reports/kitchen")
    audit(office, "reports-kitchen-fr")
    planned = sum(r["quantity"] for r in school_data.data["reservations"])
    assert str(planned) in office.locator("#kitchen-summary").inner_text()
    office.goto("/reports/uncollected")
    audit(office, "reports-uncollected-fr")
    assert str(planned - 1) in office.locator("#uncollected-summary").inner_text()
    context.close()


def test_another_schools_staff_gets_404(platform, school):
    """School B's admin asking for school A's terminal, by page or JSON: 404, as unknown."""
    device = platform.store.enrol(platform.store.create_enrol_code(school.id, "Caisse A"),
                                  "device-of-school-a")["device_id"]
    other = platform.session(platform.school().members["admin"])
    for path in (f"/terminals/{device}", f"/api/v1/admin/terminals/{device}",
                 f"/reports?device={device}", f"/api/v1/admin/reports/z?device={device}"):
        assert other.get(platform.url + path).status_code == 404, path
    revoke = other.post(f"{platform.url}/terminals/{device}/revoke",
                        data={"confirm": "yes", "csrf_token": other.csrf})
    assert revoke.status_code == 404
    assert next(d for d in platform.store.device_list(school.id)
                if d["id"] == device)["revoked_at"] is None
