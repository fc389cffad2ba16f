"""The money pages through a real browser (issue 16, point 7), on SQLite and PostgreSQL: a
CODA then a camt.053 statement uploaded (each line's result in the table, nothing credited
twice across the two forms), a damaged file refused with its reason, a wallet's correction
below zero shown as such, a reason required; the axe audit of each page. The upload form
role by role (the role table's rows send no file)."""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.demo.school import structured_communication
from sync.models import DataSet

from .browser import PHONE, audit, new_context, page_as, screenshot

DATA = Path(__file__).parent.parent / "data"
CODA = DATA / "statement-2026-11-20.coda"
CAMT = DATA / "statement-2026-11-20-21.camt053.xml"


@pytest.fixture(scope="module")
def wallets(platform, school):
    """The wallets the sample statements name (the demo school's W00001…)."""
    numbers = (1, 2, 3, 5, 8)
    platform.store.load(school.id, DataSet.model_validate({
        "students": [{"id": f"S{n}", "first_name": "Élève", "last_name": f"N°{n}",
                      "class_name": "1A"} for n in numbers],
        "wallets": [{"id": f"W{n:05d}", "student_id": f"S{n}", "kind": "main",
                     "name": "Portefeuille", "is_default": True, "balance_cents": 1000,
                     "included_seq": 0,
                     "structured_communication": structured_communication(250_000_000 + n)}
                    for n in numbers]}))


def test_statements_and_a_wallet_correction_in_the_browser(browser, platform, school, wallets):
    context = new_context(browser, platform)
    page = page_as(context, platform, school.members["admin"])
    page.goto("/money")
    audit(page, "money-fr")
    page.set_input_files("#f-statement", str(CODA))
    page.click("form[action='/money/bank-statements'] button[type=submit]")
    assert page.locator("#result tr.credited").count() == 4
    assert page.locator("#result tr.unmatched").count() == 2
    lines = page.locator("#result tbody td:first-child").all_inner_texts()
    assert lines == ["3", "6", "10", "13", "17", "20"]                 # in the file's order
    reasons = page.locator("#result tr.unmatched td:nth-child(6)").all_inner_texts()
    assert reasons == ["chiffre de contrôle faux (mod 97)\xa0: la communication a été mal tapée",
                       "pas de communication structurée"]
    audit(page, "money-import-coda-fr")
    page.set_input_files("#f-statement", str(CAMT))          # the same days, and the next one
    page.click("form[action='/money/bank-statements'] button[type=submit]")
    assert page.locator("#result tr.credited").count() == 1
    assert page.locator("#result tr.already").count() == 2
    damaged = CODA.read_bytes().replace(b"\r\n21000200", b"\r\n2100020", 1)
    page.set_input_files("#f-statement", files=[{"name": "abimé.coda", "mimeType": "text/plain",
                                                  "buffer": damaged}])
    page.click("form[action='/money/bank-statements'] button[type=submit]")
    assert "128" in page.locator("#upload-error").inner_text()

    page.goto("/money/wallets/W00001")
    assert "35,00" in page.locator("#balance").inner_text()    # 10,00 + 25,00 once
    page.select_option("#f-kind", "correction")
    page.fill("#f-amount", "-40")
    page.click("form[action='/money/wallets/W00001'] button[type=submit]")
    assert page.locator("#f-reason-error").is_visible()         # the reason is required
    assert page.locator("#f-amount").input_value() == "-40"     # what was typed stays
    audit(page, "money-wallet-error-fr")
    page.fill("#f-reason", "double encodage du 20/11")
    page.click("form[action='/money/wallets/W00001'] button[type=submit]")
    assert "negative" in (page.locator("#balance").get_attribute("class") or "")
    assert "double encodage du 20/11" in page.locator("table").last.inner_text()
    page.set_viewport_size(PHONE)
    audit(page, "money-wallet-phone-fr")
    page.goto("/money")
    assert "W00001" in page.locator("table").last.inner_text()  # among the wallets below zero
    screenshot(page, "money-phone-fr")
    context.close()


@pytest.mark.parametrize("role, status", [("admin", 200), ("supervisor", 403),
                                          ("accountant", 403)])
def test_the_upload_form_by_role(platform, school, wallets, role, status):
    http = platform.session(school.members[role])
    answer = http.post(platform.url + "/money/bank-statements",
                       data={"csrf_token": http.csrf},
                       files={"statement": ("x.csv", b"date;amount;communication\n")})
    assert answer.status_code == status
    no_file = http.post(platform.url + "/money/bank-statements", data={"csrf_token": http.csrf})
    assert no_file.status_code == (422 if role == "admin" else 403)
