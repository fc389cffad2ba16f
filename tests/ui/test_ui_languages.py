"""Issue 14, point 3: every string in the operator's language, switched at any moment.

The check: a word on screen that belongs to another language's texts (the msgstrs of the
gettext catalogues, the demo school's article and category names in that language) and not
to the screen's language's is a string of another language. The test logs in, fills a cart,
switches FR → NL → EN mid-cart (and back), and visits every screen of both profiles, each
answer (paid, refused, allergen alert, pickup, balance card, X report, device banners)
on screen while the language changes under it."""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.demo.school import ARTICLES, CATEGORIES, DEMO_PINS, Badge
from tests.ui.harness import login
from tests.ui.test_ui_counter import tap_badge

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=800)

LANGS = ("fr", "nl", "en")
LOCALE = Path(__file__).resolve().parents[2] / "sync" / "common" / "locale"
WORD = re.compile(r"[^\W\d_]{4,}")           # words of 4 letters or more
PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Each language's own name, on the language buttons of every screen (by design).
ENDONYMS = {"français", "nederlands", "english"}


def _name(item: dict, lang: str) -> str:
    """A demo article's or category's name in ``lang`` (a plain name: the school's, French)."""
    names = item["name"] if isinstance(item["name"], dict) else {"fr": item["name"]}
    return names.get(lang) or names["fr"]


def _words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}


@cache
def vocabulary(lang: str) -> frozenset[str]:
    """The words of a language's texts: its catalogue's msgstrs and its demo names."""
    words: set[str] = set()
    with open(LOCALE / lang / "LC_MESSAGES" / "comptoir.po", "rb") as f:
        for message in read_po(f):
            if message.id and message.string:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for s in strings:
                    words |= _words(s)
    for item in (*ARTICLES, *CATEGORIES):
        words |= _words(_name(item, lang))
    return frozenset(words)


@cache
def foreign(lang: str) -> frozenset[str]:
    """Words only another language's texts use."""
    others = set().union(*(vocabulary(o) for o in LANGS if o != lang))
    return frozenset(others - vocabulary(lang) - ENDONYMS)


def foreign_names(lang: str) -> list[str]:
    """The demo's article and category names in another language, not names in ``lang``."""
    own = {_name(item, lang) for item in (*ARTICLES, *CATEGORIES)}
    return sorted({_name(item, o) for item in (*ARTICLES, *CATEGORIES) for o in LANGS
                   if o != lang} - own, key=len, reverse=True)


def strangers(text: str, lang: str) -> list[str]:
    """What in ``text`` (one visible label per line) belongs to another language."""
    found = []
    for line in text.split("\n"):
        hits = sorted(_words(line) & foreign(lang))
        hits += [name for name in foreign_names(lang) if re.search(
            rf"(?<!\w){re.escape(name)}(?!\w)", line)]
        if hits:
            found.append(f"{line!r}: {', '.join(hits)}")
    return found


def test_the_check_finds_a_string_of_another_language():
    """The check itself: today's bug (an NL alert naming a French article) and a driver's
    raw English reason inside a French banner are found; the right texts pass."""
    assert strangers("Potage et pain bevat: GLUTEN", "nl")
    assert strangers("LECTEUR DE BADGES DÉBRANCHÉ\xa0: les badges ne sont pas lus. stopped", "fr")
    assert strangers("Sandwich jambon\nverkoper", "fr")
    assert not strangers("Soep met brood bevat: GLUTEN\nMarie\nverkoper", "nl")
    assert not strangers("2 × Ham sandwich, 1 × Soup and bread\nTotal: €4.00", "en")


def speaks(driver, lang: str, where: str) -> None:
    """Every visible text of the window (status bar, banner, screen, modal view) is in ``lang``."""
    driver.frame()
    problems = strangers(driver.texts(), lang)
    assert not problems, f"{where} in {lang}:\n" + "\n".join(problems)


def switch(driver, lang: str) -> None:
    """The language buttons of the admin screen (a supervisor's PIN when a seller is on)."""
    app = driver.app
    driver.tap(driver.buttons(root=app.root_view.ids.nav)[-1])          # Gestion / Beheer / Admin
    driver.wait_for(lambda: app._modal is not None or app.screens.current == "admin",
                    what="the admin screen or a supervisor's PIN")
    if app._modal is not None:                                          # a seller: Luc's PIN
        driver.tap(driver.button("Luc", root=app._modal))
        for digit in DEMO_PINS["Luc"]:
            driver.tap(driver.button(digit, root=app._modal))
        driver.tap(driver.button("OK", root=app._modal))
    admin = driver.wait_for(lambda: app.screens.current == "admin" and driver.screen("admin"),
                            what="the admin screen")
    driver.tap([b for b in driver.buttons(root=admin.ids.menu) if b.section == "language"][0])
    driver.tap({"fr": "Français", "nl": "Nederlands", "en": "English"}[lang])
    assert app.lang == lang


def admin_back(driver) -> None:
    admin = driver.screen("admin")
    driver.tap([b for b in driver.buttons(root=admin.ids.menu) if not b.section][0])


def visit_admin(driver, lang: str, where: str) -> None:
    """Every section of the admin screen, the X report shown, then the language switched
    with the report still on screen."""
    admin = driver.screen("admin")
    for section in ("sync", "sales", "reports", "badge", "devices", "language"):
        driver.tap([b for b in driver.buttons(root=admin.ids.menu) if b.section == section][0])
        if section == "sales":
            driver.wait_for(lambda: admin.ids.sales.data or admin.notice, what="today's sales")
        if section == "reports":
            report_x = [b for b in driver.buttons(root=admin) if b.text == driver.app.tr("report_x")]
            driver.tap(report_x[0])
            driver.wait_for(lambda: admin.report_text, what="the X report")
        if section == "badge":
            admin.ids.badge_search.text = "Dubois"       # the students found, their badges
            driver.pump(0.5)
        speaks(driver, lang, f"{where}, admin {section}")


def test_every_screen_in_the_language_chosen_mid_cart(driver, counter, shot):
    terminal = counter()
    app = driver.app
    speaks(driver, "fr", "login")
    login(driver, "Marie", DEMO_PINS["Marie"])
    sale = driver.screen("sale")
    driver.wait_for(lambda: sale.articles, what="the articles")
    driver.tap("Potage et pain\n1,00\xa0€")
    driver.tap("Sandwichs", root=sale.ids.categories)
    driver.tap("Sandwich jambon\n3,00\xa0€")
    cart = dict(sale.cart)
    assert cart == {"SOUP": 1, "SANDW-HAM": 1}
    speaks(driver, "fr", "the cart")

    for lang in ("nl", "en", "fr", "nl"):                 # FR → NL → EN mid-cart, and back
        switch(driver, lang)
        visit_admin(driver, lang, "canteen")
        admin_back(driver)
        driver.wait_for(lambda: app.screens.current == "sale", what="back to the sale")
        assert dict(sale.cart) == cart                   # the cart went through the switch
        driver.frame()
        speaks(driver, lang, "the cart")
        shot(f"cart-{lang}")

    # NL: the allergen alert names the Dutch article (today: "Potage et pain bevat: GLUTEN")
    driver.tap(app.tr("badge_to_pay"))
    tap_badge(driver, terminal, Badge.LINA, lambda: app._modal is not None)
    speaks(driver, "nl", "the allergen alert")
    alert = driver.texts(app._modal)
    assert "Soep met brood" in alert and "Broodje ham" in alert and "Potage" not in alert
    shot("allergen-nl")
    driver.tap(driver.button(app.tr("do_not_sell"), root=app._modal))
    driver.wait_for(lambda: app._modal is None, what="the alert answered")
    speaks(driver, "nl", "the sale cancelled")

    # a forgotten badge: the search by name, its keys and hints
    driver.tap(app.tr("close"))
    driver.tap(app.tr("forgotten_badge"))
    driver.wait_for(lambda: app._modal is not None, what="the search by name")
    speaks(driver, "nl", "the search by name")
    app._modal.dismiss(animation=False)
    driver.wait_for(lambda: app._modal is None, what="the search closed")

    # a sale paid, then the language switched with the answer on screen
    driver.tap(app.tr("badge_to_pay"))
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_outcome is not None
              and sale.last_outcome.result is not None)
    speaks(driver, "nl", "paid")
    for lang in ("en", "fr", "nl"):
        app.set_language(lang)                          # (the answer stays on screen)
        speaks(driver, lang, "the paid answer")
    assert "1 × Soep met brood, 1 × Broodje ham" in driver.texts(sale.ids.result)

    # rush mode: a refusal (no money)
    driver.tap(app.tr("close"))
    driver.tap("Soep", root=sale.ids.categories)
    driver.tap(app.tr("rush"))
    driver.tap("Soep met brood\n€\xa01,00")
    driver.wait_for(lambda: sale.rush_article == "SOUP", what="rush mode")
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.NOAH, lambda: sale.last_shown_at > shown)
    for lang in ("nl", "en", "fr"):
        app.set_language(lang)
        speaks(driver, lang, "the rush refusal")
    driver.tap(app.tr("rush_stop"))
    app.set_language("en")

    # pickup: the day's list, a student's reservation, the handover
    driver.tap(app.tr("nav_pickup"), root=app.root_view.ids.nav)
    pickup = driver.screen("pickup")
    driver.wait_for(lambda: pickup.rows, what="today's reservations")
    terminal.reader.inject(Badge.LOUIS_RESERVED)
    driver.wait_for(lambda: pickup.to_deliver, what="Louis's reservations")
    for lang in ("en", "nl", "fr", "en"):
        app.set_language(lang)
        speaks(driver, lang, "the pickup list")
    assert "Cheese sandwich" in driver.texts(pickup)
    driver.tap(app.tr("deliver", count=1))
    driver.wait_for(lambda: pickup.ids.result.kind == "ok", what="the handover")
    app.set_language("nl")
    speaks(driver, "nl", "the handover")
    shot("pickup-nl")

    # balance: the last purchases by name
    driver.tap(app.tr("nav_balance"), root=app.root_view.ids.nav)
    balance = driver.screen("balance")
    terminal.reader.inject(Badge.EMMA)
    driver.wait_for(lambda: balance.shown and balance.purchases, what="Emma's balance")
    for lang in ("nl", "en", "fr"):
        app.set_language(lang)
        speaks(driver, lang, "the balance card")
    assert any("Potage et pain" in p["what"] for p in balance.purchases)

    # the devices gone: a banner per device, said again in each language
    terminal.printer.update("missing", "", "printer", "printer_paper_out", {})
    terminal.reader.stop()
    banner = app.root_view.ids.banner
    driver.wait_for(lambda: banner.text.count("\n") == 1, timeout=5, what="two banners")
    for lang in ("fr", "nl", "en"):
        app.set_language(lang)
        speaks(driver, lang, "the device banners")
        assert len(banner.text.split("\n")) == 2
    assert "stopped." in banner.text and "out of paper" in banner.text
    shot("banners-en")

    # the last sync failed (kept as the agent keeps it): said in each language
    with terminal.service.store.write() as conn:        # the last sync failed (as the agent keeps it)
        for key, value in {"status": "offline", "last_error_at": "2026-01-05T07:00:00Z",
                           "last_error": "Platform unreachable (127.0.0.1:9): sales go on and"
                                         " will be sent later.",
                           "last_error_coded": json.dumps({"code": "offline",
                                                           "params": {"detail": "127.0.0.1:9"}})
                           }.items():
            terminal.service.store.set_kv(conn, "sync_state", key, value)
    for lang in ("fr", "nl", "en"):
        switch(driver, lang)
        driver.tap([b for b in driver.buttons(root=driver.screen("admin").ids.menu)
                    if b.section == "sync"][0])
        speaks(driver, lang, "the last sync error")
        assert {"nl": "Platform onbereikbaar", "en": "Platform unreachable",
                "fr": "Plateforme injoignable"}[lang] in driver.screen("admin").sync_lines
        admin_back(driver)


def test_reception_screens_in_every_language(driver, counter, shot):
    terminal = counter(profile="reception")
    app = driver.app
    login_screen = driver.screen("login")
    driver.tap("Luc")
    for digit in "0000":                                  # a wrong PIN: the refusal on screen
        driver.tap(digit)
    driver.tap("OK")
    driver.wait_for(lambda: login_screen.message, what="the wrong PIN refused")
    for lang in ("nl", "en", "fr"):
        driver.tap({"fr": "Français", "nl": "Nederlands", "en": "English"}[lang])
        speaks(driver, lang, "the login")
        assert login_screen.message
    login(driver, "Luc", DEMO_PINS["Luc"])
    copies = driver.screen("copies")
    driver.wait_for(lambda: copies.articles, what="the articles")
    driver.tap("T-shirt de l'école\n12,00\xa0€")
    speaks(driver, "fr", "the armed T-shirt")
    for lang in ("nl", "en", "fr", "en"):
        app.set_language(lang)
        speaks(driver, lang, "the copies screen")
    assert "School T-shirt" in driver.texts(copies)
    tap_badge(driver, terminal, Badge.EMMA, lambda: copies.last_outcome is not None)
    for lang in ("en", "nl"):
        app.set_language(lang)
        speaks(driver, lang, "the T-shirt paid")
    assert "1 × Schoolt-shirt" in driver.texts(copies.ids.result)
    for lang in ("nl", "fr", "en"):
        switch(driver, lang)
        visit_admin(driver, lang, "reception")
        admin_back(driver)
    assert "1 × School T-shirt" in driver.screen("admin").report_text
    shot("reception-admin-en")
