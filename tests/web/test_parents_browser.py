"""The parents' pages in a real browser at a phone's size (issue 17, points 1 to 3 and 7):
one walk of a parent with two children, from the token e-mail read on a real SMTP server to
the top-up's QR code decoded with zbar, each page audited with axe-core; the language chosen
is remembered by the account (signed in again on a desktop browser)."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from sync.server import bank_details, ledger, parents, roster

from .browser import DESKTOP, audit, new_context
from .mailbox import Mailbox

PHONE = {"width": 360, "height": 740}
PASSWORD = "tartines du mercredi"
ROSTER = ("student_id,last_name,first_name,class,wallet_id,wallet_name,parent_emails\n"
          "B-1,Lambert,Léa,3A,BW-1,Repas,maman@lambert.be\n"
          "B-2,Lambert,Hugo,1B,BW-2,Repas,maman@lambert.be\n")


def as_utf8(scanned: str) -> str:
    """What the QR code holds: zbar guesses a character set for byte data and takes the
    UTF-8 bytes of "è" for Big5 (banking apps read the EPC header's "1" = UTF-8 instead):
    undo its guess."""
    for guessed in ("big5", "shift_jis"):
        try:
            return scanned.encode(guessed).decode("utf-8")
        except UnicodeError:
            continue
    return scanned


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    yield box
    box.close()


def test_a_parent_with_two_children_on_a_phone(browser, platform, school, mailbox):
    store = platform.store
    roster.import_roster(store, school.id, ROSTER)
    bank_details.set_details(store, school.id, "BE04 3631 3602 2231", "BBRUBEBB",
                             "Collège Saint-Michel")
    ledger.topup(store, school.id, "BW-1", 1250)
    assert parents.send_tokens(store, school.id, None, platform.url)["failed"] == []
    username, token = mailbox.token_for("maman@lambert.be")
    context = new_context(browser, platform, lang="fr", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/")                                  # nobody signed in: the sign-in pages
        page.click("text=Parents\u00a0: votre espace est ici.")
        assert page.url.endswith("/parents/login")
        audit(page, "parents-login")
        page.click("text=Première connexion\u00a0: j'ai un jeton de connexion")
        audit(page, "parents-token")
        page.fill("#f-username", username)
        page.fill("#f-token", token)
        page.fill("#f-password", PASSWORD)
        page.fill("#f-again", PASSWORD)
        page.click("form[action='/parents/token'] button[type=submit]")
        # signed in at once: the children, each with "Se connecter avec ce compte"
        assert page.locator("h1").inner_text() == "Mes enfants"
        assert page.locator(".card").count() == 2
        audit(page, "parents-children")
        page.click("a[aria-label='Se connecter avec ce compte\u00a0: Léa Lambert']")
        assert page.locator("h1").inner_text() == "Léa Lambert"
        assert page.locator(".balance strong").inner_text() == "12,50\u00a0€"
        assert "recharge" in page.locator("table").inner_text()
        audit(page, "parents-dashboard")
        page.click("text=Recharger")
        page.fill("#f-amount", "20")
        page.click("form.amount button[type=submit]")
        communication = page.locator("#communication").inner_text()
        assert page.locator("#iban").inner_text() == "BE04 3631 3602 2231"
        assert "environ 4 jours" in page.locator("main").inner_text()
        audit(page, "parents-topup")
        png = page.locator("#epc-qr").screenshot()
        found = decode(Image.open(io.BytesIO(png)))
        assert len(found) == 1
        scanned = as_utf8(found[0].data.decode("utf-8"))
        assert scanned.split("\n") == [
            "BCD", "002", "1", "SCT", "BBRUBEBB", "Collège Saint-Michel", "BE04363136022231",
            "EUR20.00", "", communication.strip("+").replace("/", "")]
        page.click("text=Retour aux soldes")
        page.click("text=Passer à un autre enfant")
        page.click("a[aria-label='Se connecter avec ce compte\u00a0: Hugo Lambert']")
        assert page.locator("h1").inner_text() == "Hugo Lambert"
        page.click("a[hreflang=nl]")                    # Dutch, remembered by the account
        assert page.locator("nav.menu").inner_text().startswith("Mijn kinderen")
        page.click("text=Mijn account")
        audit(page, "parents-account")
        page.click("form.logout button")
        assert "/parents/login" in page.url
    finally:
        context.close()
    context = new_context(browser, platform, lang="fr", viewport=DESKTOP)  # another browser
    page = context.new_page()
    try:
        page.goto("/parents/forgot")
        audit(page, "parents-forgot")
        page.goto("/parents/login")
        page.fill("#f-username", username)
        page.fill("#f-password", PASSWORD)
        page.click("form[action='/parents/login'] button[type=submit]")
        assert page.locator("h1").inner_text() == "Mijn kinderen"
        audit(page, "parents-children-desktop")
    finally:
        context.close()
