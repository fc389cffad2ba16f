"""'Badge oublié' on the real app under Xvfb (issue 13, point 5): the button on the sale
screen, the search on the on-screen keyboard, the student picked by name and class, the
supervisor's PIN pad, the sale; cancelling at each step leaves nothing armed or charged."""
from __future__ import annotations

import json

from kiosk.demo.school import Badge
from kiosk.ui.lookup import LookupPinView, NameSearchView
from tests.ui.harness import login

SOUP = "Potage et pain\n1,00\xa0€"


def entries(terminal):
    return terminal.service.store.conn.execute(
        "SELECT seq, kind, student_id, amount_cents, body FROM journal ORDER BY seq").fetchall()


def modal(driver, cls):
    return driver.wait_for(lambda: isinstance(driver.app._modal, cls) and driver.app._modal,
                           what=f"the {cls.__name__}")


def type_keys(driver, view, text):
    for key in text:
        driver.tap("Espace" if key == " " else key, root=view)


def search_for(driver, view, text, expected):
    type_keys(driver, view, text)
    # the answer to the whole name: a button of an earlier search may be replaced under the tap
    driver.wait_for(lambda: view.settled and driver.buttons(view, expected),
                    what=f"{expected!r} in the results")


def test_forgotten_badge_search_pin_then_sale(driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")                       # a seller at the counter
    sale = driver.screen()
    assert sale.ids.forgotten.disabled                   # nothing to sell yet
    driver.tap(SOUP)
    driver.tap(SOUP)
    driver.tap("Badge pour payer")
    assert sale.armed and not sale.ids.forgotten.disabled
    shot("sale")

    # 1. the button disarms the cart; cancelling the search leaves nothing armed
    driver.tap("Badge oublié")
    search = modal(driver, NameSearchView)
    assert not sale.armed
    assert "Badge oublié\xa0: chercher l'élève par son nom" in driver.texts(search)
    terminal.reader.inject(Badge.LOUIS_RESERVED)         # a badge tapped meanwhile pays nothing
    driver.pump(0.3)
    driver.tap("Annuler", root=search)
    driver.wait_for(lambda: sale.last_outcome is None and sale.result_visible,
                    what="the queued badge shown, not charged")
    assert entries(terminal) == [] and not sale.armed and dict(sale.cart) == {"SOUP": 2}
    driver.tap("Fermer")

    # 2. search without accents, upper case keys: "EMMA D" finds Emma Dubois (1A)
    driver.tap("Badge oublié")
    search = modal(driver, NameSearchView)
    type_keys(driver, search, "E")
    driver.wait_for(lambda: "Tapez au moins 2 lettres" in search.message, what="the hint")
    search_for(driver, search, "MMA DUB", "Emma Dubois — 1A")
    shot("search")
    driver.tap("Emma Dubois — 1A", root=search)
    pin = modal(driver, LookupPinView)
    text = driver.texts(pin)
    assert "Sans badge\xa0: Emma Dubois — 1A" in text
    names = sorted(b.text.split("\n")[0] for b in driver.buttons(pin.ids.names))
    assert names == ["Admin", "Luc"]                      # supervisors only: not Marie
    # cancelling at the PIN pad: nothing charged, nothing armed
    driver.tap("Annuler", root=pin)
    driver.wait_for(lambda: driver.app._modal is None, what="the PIN pad closed")
    assert entries(terminal) == [] and not sale.armed

    # 3. again, a wrong PIN (counted toward Luc's lock-out), then the right one: the sale
    driver.tap("Badge oublié")
    search = modal(driver, NameSearchView)
    search_for(driver, search, "DUBOIS EMMA", "Emma Dubois — 1A")
    driver.tap("Emma Dubois — 1A", root=search)
    pin = modal(driver, LookupPinView)
    driver.tap("Luc", root=pin)
    for digit in "0000":
        driver.tap(digit, root=pin)
    driver.tap("OK", root=pin)
    driver.wait_for(lambda: "Code PIN incorrect" in pin.message, what="the wrong-PIN message")
    conn = terminal.service.store.conn
    assert conn.execute("SELECT failed_attempts FROM operators WHERE name = 'Luc'").fetchone() == (1,)
    assert entries(terminal) == []
    shot("pin")
    shown = sale.last_shown_at
    for digit in "5678":
        driver.tap(digit, root=pin)
    driver.tap("OK", root=pin)
    driver.wait_for(lambda: sale.last_shown_at > shown, what="the sale by name")
    result = driver.texts(sale.ids.result)
    assert "PAYÉ" in result and "Emma Dubois — 1A" in result and "2 × Potage et pain" in result
    assert "Nouveau solde\xa0: 23,00\xa0€" in result
    shot("paid")
    [(seq, kind, student, amount, body)] = entries(terminal)
    data = json.loads(body)
    assert (kind, student, amount) == ("sale", "S00001", -200)
    assert data["via"] == "lookup" and data["supervisor"] == "op-luc"
    assert data["operator"] == driver.app.session.operator_id          # Marie sold it
    assert dict(sale.cart) == {} and not sale.armed and driver.app._modal is None
