"""The school calendar through a real browser (issue 16, point 4): the month (today marked,
each day's state written in its cell), closing a day that holds a reservation (what it will
refund is shown before confirming; the wallet is refunded), a bad closure, the settings, a
reopened day, an accountant's read-only view on a phone, and the axe audit of each page; on
SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from kiosk.demo.school import generate
from sync.models import DataSet
from sync.server import ledger, school_calendar, schools

from .browser import PHONE, audit, new_context, page_as


def test_the_calendar_walk(browser, platform, school):
    store = platform.store
    store.load(school.id, DataSet.model_validate(generate(students=4)))
    today = schools.today(store, school.id)
    day = school_calendar.open_days(store, school.id, today + timedelta(days=1),
                                    today + timedelta(days=8))[0]
    ledger.create_reservation(store, school.id, "S00001", day, "SANDW-HAM")
    before = ledger.wallet_history(store, school.id, "W00001")["balance_cents"]

    context = new_context(browser, platform)
    page = page_as(context, platform, school.members["admin"])
    page.goto(f"/calendar?month={day:%Y-%m}")
    audit(page, "calendar-month-fr")
    # The browser is a Belgian office's (its date inputs read jj/mm/aaaa, not mm/dd/yyyy).
    assert page.evaluate("() => navigator.language") == "fr-BE"
    assert page.locator("table#month thead th[scope=col]").count() == 7
    cell = page.locator(f"td[data-day='{day.isoformat()}']")
    assert "1 réservation" in cell.inner_text() and "ouvert" in cell.inner_text()
    if today.month == day.month:
        assert "aujourd'hui" in page.locator("td[aria-current=date]").inner_text()

    # A closure without a reason: refused, said under the form, nothing closed.
    page.fill("#f-first_day", day.isoformat())
    page.click("form[action='/calendar/closures'] button[type=submit]")
    assert "motif" in page.locator("#closure-error").inner_text()
    assert school_calendar.closures(store, school.id) == []

    # With its reason: first what it will refund, then closed and refunded.
    page.fill("#f-reason", "Journée pédagogique")
    page.click("form[action='/calendar/closures'] button[type=submit]")
    summary = page.locator("#refund-summary").inner_text()
    assert "1 réservation" in summary and "3,00" in summary and "Journée pédagogique" in summary
    assert page.locator("table#refunds tbody tr").count() == 1
    audit(page, "calendar-confirm-fr")
    assert ledger.wallet_history(store, school.id, "W00001")["balance_cents"] == before
    page.click("form[action='/calendar/closures'] button.danger")
    assert "3,00" in page.locator(".flash-success").inner_text()
    assert "Journée pédagogique" in cell.inner_text()
    assert ledger.wallet_history(store, school.id, "W00001")["balance_cents"] == before + 300
    audit(page, "calendar-closed-fr")

    # The settings: Wednesdays too, 60 days ahead; a bad cutoff is refused first.
    page.check("#f-weekday-3")
    page.fill("#f-cutoff", "8h15")
    page.click("form[action='/calendar/settings'] button[type=submit]")
    assert page.locator("#settings-error").is_visible()
    page.check("#f-weekday-3")
    page.fill("#f-cutoff", "08:15")
    page.fill("#f-horizon_days", "60")
    page.click("form[action='/calendar/settings'] button[type=submit]")
    assert page.locator(".flash-success").is_visible()
    saved = school_calendar.settings(store, school.id)
    assert (saved["weekdays"], saved["cutoff"], saved["horizon_days"]) == (
        [1, 2, 3, 4, 5], "08:15", 60)

    # Reopened: the day is open again, its reservation stays cancelled and refunded.
    page.goto(f"/calendar?month={day:%Y-%m}")
    page.click("table#closure-list button")
    assert page.locator(".flash-success").is_visible()
    assert "ouvert" in page.locator(f"td[data-day='{day.isoformat()}']").inner_text()
    assert ledger.wallet_history(store, school.id, "W00001")["balance_cents"] == before + 300
    context.close()

    # An accountant reads the calendar on a phone, and changes nothing.
    phone = new_context(browser, platform, viewport=PHONE)
    reader = page_as(phone, platform, school.members["accountant"])
    reader.goto("/calendar")
    assert reader.locator("form[action='/calendar/closures']").count() == 0
    audit(reader, "calendar-accountant-phone-fr")
    phone.close()
