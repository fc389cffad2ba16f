"""Issue 13, points 2 and 3, on the real app under Xvfb with the real store: a cart armed
for one badge is never charged to another badge after a refusal or a "no" (point 3), and
handing over a reserved article asks the allergen alert the way a sale does (point 2)."""
from __future__ import annotations

import json

import pytest

from kiosk import importer
from kiosk.demo.school import Badge
from tests.ui.harness import login
from tests.ui.test_ui_counter import entries, result_text

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=440)

SOUP = "Potage et pain\n1,00\xa0€"
EMMA = "Emma Dubois — 1A"


def paid(terminal):
    """What the journal holds that took money."""
    return [r for r in entries(terminal) if r[1] in ("sale", "photocopy")]


def arm_cart(driver, sale, *buttons):
    for text in buttons:
        driver.tap(text)
    driver.tap("Badge pour payer")
    assert sale.armed and "En attente du badge" in sale.info


def wait_answer(driver, screen, terminal, uid, what):
    """Inject ``uid`` and wait until the screen answered it (a result or a question)."""
    shown = screen.last_shown_at
    terminal.reader.inject(uid)
    driver.wait_for(lambda: screen.last_shown_at > shown or (
        getattr(screen, "confirm_view", None) is not None and screen.confirm_view.parent),
        what=what)


def another_badge_only_shows_who(driver, screen, terminal, uid=Badge.EMMA, name=EMMA):
    """The next badge after a refusal: the screen says who it is, NOT PAID and the balance
    (the cart still waits: issue 14), and the journal gets nothing."""
    before = paid(terminal)
    terminal.reader.inject(uid)
    driver.wait_for(lambda: screen.ids.result.name == name, what=f"the answer to {name}")
    driver.pump(0.3)                             # a charge would land on the worker by now
    assert paid(terminal) == before, "the cart was charged to the next badge"
    assert screen.ids.result.kind == "unpaid" and screen.ids.result.title == "NON PAYÉ"


def test_do_not_sell_leaves_the_cart_disarmed_and_the_next_badge_pays_nothing(
        driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")
    sale = driver.screen()
    arm_cart(driver, sale, SOUP, SOUP)
    terminal.reader.inject(Badge.LINA)                             # gluten flag
    driver.wait_for(lambda: getattr(sale, "confirm_view", None) and sale.confirm_view.parent,
                    what="the allergen alert")
    terminal.reader.inject(Badge.EMMA)       # the next student taps while the alert is up
    driver.pump(0.3)
    driver.tap("Ne pas vendre", root=sale.confirm_view)
    driver.wait_for(lambda: sale.ids.result.name == EMMA, what="Emma's queued tap")
    driver.pump(0.3)
    assert paid(terminal) == [], "the cart was charged to the next badge"
    assert sale.ids.result.kind == "unpaid" and sale.ids.result.title == "NON PAYÉ"
    assert dict(sale.cart) == {"SOUP": 2} and not sale.armed
    assert "Non payé\xa0: touchez à nouveau «\xa0Badge pour payer\xa0»" in sale.info
    shot("disarmed")
    another_badge_only_shows_who(driver, sale, terminal)
    # The operator arms it again: the badge that taps now pays it.
    driver.tap("Fermer")
    driver.tap("Badge pour payer")
    wait_answer(driver, sale, terminal, Badge.EMMA, "Emma's sale")
    assert "PAYÉ" in result_text(driver) and EMMA in result_text(driver)
    assert [(r[2], r[3]) for r in paid(terminal)] == [("S00001", -200)]
    assert dict(sale.cart) == {} and not sale.armed and sale.info == ""


# Each refusal a cart can meet at the counter: (badge, articles tapped, what the screen says).
REFUSALS = {
    "insufficient_balance": (Badge.NOAH, [SOUP], "il manque 1,00"),
    "unknown_badge": (Badge.UNKNOWN, [SOUP], "Badge inconnu"),
    "blocked_badge": (Badge.LUCAS_BLOCKED, [SOUP], "Badge bloqué"),
    "no_wallet": (Badge.ZOE_NO_WALLET, [SOUP], "Aucun portefeuille"),
    "daily_limit": (Badge.CHLOE, [SOUP] * 4, "Limite journalière"),
    "category_blocked": (Badge.CHLOE, ["Boissons", "Eau 50 cl\n0,80\xa0€"], "bloqué la catégorie"),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_after_a_refusal_the_next_badge_pays_nothing(driver, counter, kind):
    terminal = counter()
    login(driver, "Marie", "1234")
    sale = driver.screen()
    uid, taps, says = REFUSALS[kind]
    arm_cart(driver, sale, *taps)
    cart = dict(sale.cart)
    wait_answer(driver, sale, terminal, uid, f"the refusal ({kind})")
    assert sale.ids.result.kind == "refused" and says in result_text(driver), result_text(driver)
    another_badge_only_shows_who(driver, sale, terminal)
    assert paid(terminal) == []
    assert dict(sale.cart) == cart and not sale.armed
    assert "Non payé" in sale.info


def test_a_double_tap_cancelled_leaves_the_cart_disarmed(driver, counter):
    terminal = counter(policy={"double_tap_seconds": 60})
    login(driver, "Marie", "1234")
    sale = driver.screen()
    arm_cart(driver, sale, SOUP)
    wait_answer(driver, sale, terminal, Badge.EMMA, "Emma's first sale")
    assert len(paid(terminal)) == 1
    driver.tap("Fermer")
    arm_cart(driver, sale, SOUP)
    terminal.reader.inject(Badge.EMMA)                             # the same badge again
    driver.wait_for(lambda: getattr(sale, "confirm_view", None) and sale.confirm_view.parent,
                    what="the double-tap question")
    driver.tap("Annuler", root=sale.confirm_view)
    driver.wait_for(lambda: "Vente annulée" in result_text(driver), what="the cancellation")
    another_badge_only_shows_who(driver, sale, terminal, Badge.LOUIS_RESERVED,
                                 "Louis Dupont — 2A")
    assert len(paid(terminal)) == 1
    assert dict(sale.cart) == {"SOUP": 1} and not sale.armed and "Non payé" in sale.info


def test_a_second_badge_during_a_charge_pays_nothing(driver, counter):
    """Two badges read back to back (a second student, a reader's echo): the cart is charged
    to the first one only."""
    terminal = counter()
    login(driver, "Marie", "1234")
    sale = driver.screen()
    arm_cart(driver, sale, SOUP)
    terminal.reader.inject(Badge.EMMA)
    terminal.reader.inject(Badge.LOUIS_RESERVED)
    driver.wait_for(lambda: sale.ids.result.name == "Louis Dupont — 2A", what="Louis's answer")
    driver.pump(0.3)
    assert [(r[2], r[3]) for r in paid(terminal)] == [("S00001", -100)], \
        "the cart was charged to the second badge too"
    assert sale.ids.result.kind == "info"


def test_reception_pages_after_a_refusal_are_not_charged_to_the_next_badge(driver, counter):
    terminal = counter(profile="reception")
    login(driver, "Marie", "1234")
    copies = driver.screen("copies")
    driver.tap(driver.button("+", root=copies.ids.bw))
    driver.tap("Badge pour payer")
    wait_answer(driver, copies, terminal, Badge.NOAH, "Noah's refusal")
    assert copies.ids.result.kind == "refused"
    another_badge_only_shows_who(driver, copies, terminal)
    assert paid(terminal) == []
    assert copies.bw == 1 and not copies.armed and "Non payé" in copies.info


def hand_over_lina_her_ham_sandwich(driver, terminal):
    """Lina (gluten) has a ham sandwich reserved today; Marie taps her badge at the pickup
    screen and then "Remettre 1". Returns the pickup screen."""
    service = terminal.service
    importer.apply(service.store, importer.parse({"reservations": [{
        "id": "R-LINA-HAM", "day": service.today(), "student_id": "S00003",
        "article_code": "SANDW-HAM", "quantity": 1, "status": "reserved"}]}),
        service.clock.now())
    login(driver, "Marie", "1234")
    driver.tap("Sandwichs", root=driver.app.root_view.ids.nav)
    pickup = driver.screen("pickup")
    terminal.reader.inject(Badge.LINA)
    driver.wait_for(lambda: pickup.to_deliver, what="Lina's reservation")
    driver.tap("Remettre 1")
    return pickup


def test_pickup_of_a_reserved_allergen_asks_like_a_sale(driver, counter, shot):
    terminal = counter()
    service = terminal.service
    pickup = hand_over_lina_her_ham_sandwich(driver, terminal)
    driver.wait_for(lambda: getattr(pickup, "confirm_view", None) and pickup.confirm_view.parent,
                    what="the allergen alert at the pickup")
    alert = pickup.confirm_view
    assert alert.full and tuple(alert.size) == tuple(driver.window.size)
    text = driver.texts(alert)
    assert "ALLERGIE / RÉGIME" in text and "Sandwich jambon contient\xa0: GLUTEN" in text
    assert "Lina El Amrani — 2B" in text and "alert" in driver.app.sounds.playing
    shot("pickup-allergen")
    driver.tap("Ne pas remettre", root=alert)
    driver.wait_for(lambda: "Rien n'a été remis." in result_text(driver, pickup),
                    what="the handover declined")
    assert "alert" not in driver.app.sounds.playing
    assert entries(terminal, "pickup") == []
    assert service.identify(Badge.LINA).reservations[0]["status"] == "reserved"
    terminal.reader.inject(Badge.LINA)
    driver.wait_for(lambda: pickup.to_deliver, what="Lina's reservation again")
    driver.tap("Remettre 1")
    driver.wait_for(lambda: pickup.confirm_view is not alert and pickup.confirm_view.parent,
                    what="the alert again")
    driver.tap("Remettre quand même", root=pickup.confirm_view)
    driver.wait_for(lambda: pickup.ids.result.kind == "ok", what="the handover")
    assert "REMIS" in result_text(driver, pickup)
    row = entries(terminal, "pickup")
    assert len(row) == 1 and json.loads(row[0][4])["confirmed"] == ["allergen"]


def test_pickup_refused_by_the_allergen_policy(driver, counter):
    terminal = counter(policy={"allergen_policy": "refuse"})
    pickup = hand_over_lina_her_ham_sandwich(driver, terminal)
    driver.wait_for(lambda: pickup.ids.result.kind == "refused", what="the refusal")
    text = result_text(driver, pickup)
    assert "Sandwich jambon contient gluten" in text and "Lina El Amrani — 2B" in text
    assert entries(terminal, "pickup") == []
