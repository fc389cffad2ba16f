"""The canteen screens, driven with touches and badge taps on the real app under Xvfb;
each test checks what the screen shows and what the store holds."""
from __future__ import annotations

import pytest
from kivy.cache import Cache

from kiosk.demo.school import Badge
from tests.ui.harness import login

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=280)


def entries(terminal, kind=None):
    conn = terminal.service.store.conn
    sql = "SELECT seq, kind, student_id, amount_cents, body FROM journal"
    rows = conn.execute(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY seq",
                        (kind,) if kind else ()).fetchall()
    return rows


def balance(terminal, student_id):
    return terminal.service.wallets_of(student_id)[0].balance_cents


def result_text(driver, screen=None):
    return driver.texts((screen or driver.screen()).ids.result)


def tap_badge(driver, terminal, uid, until):
    """A badge on the simulated reader (its own thread), then wait for the screen to answer."""
    terminal.reader.inject(uid)
    driver.wait_for(until, what=f"the answer to badge {uid}")


def start_rush(driver):
    driver.tap("Mode rush")
    driver.tap("Potage et pain\n1,00\xa0€")
    driver.wait_for(lambda: driver.screen().rush_article == "SOUP", what="rush mode")


def test_login_wrong_pin_then_right_one_idle_lock_and_switch(driver, counter, shot):
    terminal = counter(ui={"idle_lock_seconds": 6})     # room for a slow CI frame first
    conn = terminal.service.store.conn
    driver.tap("Marie")
    for digit in "0000":
        driver.tap(digit)
    driver.tap("OK")
    login_screen = driver.screen("login")
    driver.wait_for(lambda: login_screen.message, what="the wrong-PIN message")
    assert "Code PIN incorrect (4 essai(s) restant(s))" in driver.texts(login_screen)
    assert conn.execute("SELECT failed_attempts FROM operators WHERE name = 'Marie'").fetchone()[0] == 1
    for digit in "1234":
        driver.tap(digit)
    driver.tap("OK")
    driver.wait_for(lambda: driver.app.screens.current == "sale", what="the sale screen")
    assert "Marie" in driver.texts(driver.app.root_view.ids.status)
    assert conn.execute("SELECT failed_attempts FROM operators WHERE name = 'Marie'").fetchone()[0] == 0
    shot("logged-in")
    # nobody touches the screen: it locks itself
    driver.wait_for(lambda: driver.app.screens.current == "login", timeout=15, what="the idle lock")
    assert driver.app.session is None
    assert "Session verrouillée — Marie" in driver.texts(login_screen)
    shot("locked")
    login(driver, "Marie", "1234")
    # switching operator: two taps reach Luc's PIN pad
    driver.tap(driver.app.root_view.ids.status.ids.operator)
    driver.tap("Luc")
    assert driver.app.screens.current == "login" and "Code PIN de Luc" in driver.texts(login_screen)
    for digit in "5678":
        driver.tap(digit)
    driver.tap("OK")
    driver.wait_for(lambda: driver.app.operator_name == "Luc", what="Luc logged in")


def test_rush_mode_three_soups(driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    assert "RUSH\xa0: chaque badge achète 1 × Potage et pain (1,00\xa0€)" in driver.texts(sale)
    expected = [(Badge.EMMA, "S00001", "Emma Dubois — 1A", "24,00"),
                (Badge.LOUIS_RESERVED, "S00008", "Louis Dupont — 2A", "9,00"),
                (Badge.CHLOE, "S00005", "Chloé Lambert — 4D", "19,00")]
    for uid, _student, name, new_balance in expected:
        shown = sale.last_shown_at
        tap_badge(driver, terminal, uid, lambda shown=shown: sale.last_shown_at > shown)
        text = result_text(driver)
        assert "PAYÉ" in text and name in text and "1 × Potage et pain" in text
        assert f"Nouveau solde\xa0: {new_balance}\xa0€" in text
        assert sale.ids.result.kind == "ok"
        if uid == Badge.EMMA:
            assert sale.ids.result.photo.endswith("photos/S00001.jpg")       # her photo is shown
            assert tuple(sale.ids.result.ids.photo.texture.size) == (360, 440)
            # ... and not kept in Kivy's image cache (it would keep every student's for 60 s)
            assert not [key for key in Cache._objects["kv.image"] if "S00001.jpg" in key]
        if uid == Badge.LOUIS_RESERVED:
            assert sale.ids.result.photo == ""                               # he has no photo file
    shot("rush-result")
    sales = entries(terminal, "sale")
    assert [(r[2], r[3]) for r in sales] == [("S00001", -100), ("S00008", -100), ("S00005", -100)]
    assert balance(terminal, "S00001") == 2400


def test_insufficient_balance_shows_the_missing_amount(driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    tap_badge(driver, terminal, Badge.NOAH, lambda: sale.last_outcome is not None)
    text = result_text(driver)
    assert sale.ids.result.kind == "refused"
    assert "REFUSÉ" in text and "Noah Peeters — 1A" in text
    assert "Il manque 1,00\xa0€" in text
    assert "Solde insuffisant sur «\xa0Portefeuille\xa0»\xa0: il manque 1,00\xa0€." in text
    shot("insufficient")
    assert entries(terminal) == []
    assert balance(terminal, "S00002") == 0


def test_unknown_and_blocked_badges(driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    tap_badge(driver, terminal, Badge.UNKNOWN, lambda: sale.last_outcome is not None)
    assert "Badge inconnu" in result_text(driver) and sale.ids.result.kind == "refused"
    assert sale.ids.result.name == ""
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.LUCAS_BLOCKED, lambda: sale.last_shown_at > shown)
    assert "Badge bloqué (perdu ou volé)\xa0: rien n'a été débité." in result_text(driver)
    shot("blocked")
    assert entries(terminal) == []
    assert balance(terminal, "S00004") == 800


def test_cart_then_double_tap_asks_before_a_second_sale(driver, counter, shot):
    # The widest double-tap window: the second tap must land inside it however slow the
    # machine is between the two taps (at 2 s a loaded CI missed it).
    terminal = counter(policy={"double_tap_seconds": 60})
    login(driver, "Marie", "1234")
    sale = driver.screen()
    driver.tap("Potage et pain\n1,00\xa0€")
    driver.tap("Potage et pain\n1,00\xa0€")
    driver.tap("Boissons")
    driver.tap("Eau 50 cl\n0,80\xa0€")
    assert dict(sale.cart) == {"SOUP": 2, "WATER": 1}
    assert "Total\xa0: 2,80\xa0€" in driver.texts(sale)
    shot("cart")
    driver.tap("Badge pour payer")
    assert "En attente du badge… 2,80\xa0€" in driver.texts(sale)
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_outcome is not None)
    assert "2 × Potage et pain, 1 × Eau 50 cl" in result_text(driver)
    assert "Nouveau solde\xa0: 22,20\xa0€" in result_text(driver)
    assert dict(sale.cart) == {}
    driver.tap("Fermer")
    driver.tap("Eau 50 cl\n0,80\xa0€")
    driver.tap("Badge pour payer")
    terminal.reader.inject(Badge.EMMA)                        # the same badge, a second later
    driver.wait_for(lambda: getattr(sale, "confirm_view", None) and sale.confirm_view.parent,
                    what="the double-tap question")
    question = driver.texts(sale.confirm_view)
    assert "Ce badge vient de payer il y a" in question and "Confirmer une deuxième vente\xa0?" in question
    shot("double-tap")
    assert len(entries(terminal, "sale")) == 1                # nothing sold while asking
    shown = sale.last_shown_at
    driver.tap("Confirmer", root=sale.confirm_view)
    driver.wait_for(lambda: sale.last_shown_at > shown, what="the second sale")
    assert "Nouveau solde\xa0: 21,40\xa0€" in result_text(driver)
    second = entries(terminal, "sale")[1]
    assert '"confirmed":["double_tap"]' in second[4]


def test_allergen_alert_fills_the_screen_until_answered(driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    terminal.reader.inject(Badge.LINA)
    driver.wait_for(lambda: getattr(sale, "confirm_view", None) and sale.confirm_view.parent,
                    what="the allergen alert")
    alert = sale.confirm_view
    assert alert.full and tuple(alert.size) == tuple(driver.window.size)       # the whole screen
    text = driver.texts(alert)
    assert "ALLERGIE / RÉGIME" in text and "Potage et pain contient\xa0: GLUTEN" in text
    assert "Lina El Amrani — 2B" in text
    assert "alert" in driver.app.sounds.playing                    # its own sound, until answered
    shot("allergen")
    terminal.reader.inject(Badge.EMMA)                             # the next student waits
    driver.pump(0.3)
    assert entries(terminal) == []
    driver.tap("Ne pas vendre", root=alert)
    assert "alert" not in driver.app.sounds.playing
    driver.wait_for(lambda: sale.last_outcome is not None and sale.last_outcome.uid == Badge.EMMA,
                    what="the queued tap served after the alert")
    assert [r[2] for r in entries(terminal)] == ["S00001"]         # Lina: nothing sold
    terminal.reader.inject(Badge.LINA)
    driver.wait_for(lambda: sale.confirm_view is not alert and sale.confirm_view.parent,
                    what="the alert again")
    shown = sale.last_shown_at
    driver.tap("Vendre quand même", root=sale.confirm_view)
    driver.wait_for(lambda: sale.last_shown_at > shown, what="the confirmed sale")
    assert "PAYÉ" in result_text(driver) and "Lina El Amrani — 2B" in result_text(driver)
    lina = entries(terminal, "sale")[-1]
    assert lina[2] == "S00003" and '"confirmed":["allergen"]' in lina[4]
