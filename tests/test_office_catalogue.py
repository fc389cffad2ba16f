"""The back office's catalogue and terminal operators over real loopback HTTP, on SQLite and
PostgreSQL: the JSON API (``/api/v1/admin/catalogue``, ``/api/v1/admin/operators``) with its
validation (nothing half-written), the school's scoping (another school's code is
``not_found``), and a real terminal (store, counter service, sync agent) that gets the
office's changes with its next pull: the new price, a new operator, a reset PIN."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher

from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge
from kiosk.store import open_store
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.common.errors import AuthError, Refusal
from sync.models import DataSet
from sync.server.api.routes.catalogue import ARTICLE, ARTICLES, CATEGORIES, CATEGORY
from sync.server.api.routes.operators import OPERATOR, OPERATORS
from sync.server.storage import CentralStore

from .central_db import central_rows
from .conftest import BRUSSELS
from .loopback import Served

OTHER = DataSet.model_validate({          # a second school on the same platform
    "categories": [{"code": "B-CAT", "name": "Autre école"}],
    "articles": [{"code": "B-ONLY", "name": "Gaufre", "price_cents": 150, "category": "B-CAT"}],
    "operators": [{"id": "op-b", "name": "Bea", "role": "seller",
                   "pin_hash": PasswordHasher().hash("1111")}]})


class Office:
    """The platform serving two schools, called with an admin token for school A."""

    def __init__(self, store: CentralStore, url: str, token: str, folder: Path):
        self.store, self.url, self.token, self.folder = store, url, token, folder

    def call(self, method: str, path: str, **kw) -> requests.Response:
        params = {"school": "school-a"} | kw.pop("params", {})
        return requests.request(method, self.url + path, params=params, timeout=10,
                                headers={"Authorization": f"Bearer {self.token}"}, **kw)

    def ok(self, method: str, path: str, status: int = 200, **kw) -> dict:
        answer = self.call(method, path, **kw)
        assert answer.status_code == status, answer.text
        return answer.json()

    def refused(self, method: str, path: str, status: int = 422, **kw) -> str:
        answer = self.call(method, path, **kw)
        assert answer.status_code == status, (kw, answer.text)
        return answer.json()["message"]

    def rows(self, sql: str, params=()) -> list[tuple]:
        return central_rows(self.store, sql, params)


@pytest.fixture(scope="module")
def office(central_dbs, demo_data, tmp_path_factory):
    clock = ManualClock(datetime(2026, 11, 24, 7, 30, tzinfo=BRUSSELS))
    store = CentralStore(central_dbs.new(), create=True, now=clock.now)
    store.add_school("Institut Saint-Michel", "school-a")
    store.add_school("Athénée Royal", "school-b")
    store.load("school-a", DataSet.model_validate(demo_data))
    store.load("school-b", OTHER)
    served = Served(store)
    yield Office(store, served.url, store.create_admin_token(), tmp_path_factory.mktemp("office"))
    served.stop()
    store.close()


def article_body(**changes) -> dict:
    return {"code": "NEVER-MADE", "name": {"fr": "Crêpe", "nl": "Pannenkoek", "en": ""},
            "price_cents": 250, "category": "snack", "allergens": ["gluten", "milk", "egg"],
            "profiles": ["canteen", "reception"], "reservable": False} | changes


# -- the catalogue -----------------------------------------------------------------------------
def test_categories_and_articles_are_created_changed_and_deactivated(office):
    kinds = office.ok("GET", CATEGORIES)
    assert kinds["wallet_kinds"] == ["main"]
    assert {"code": "snack", "name": {"fr": "Collations", "nl": "Tussendoortjes",
                                      "en": "Snacks"}, "wallet_kind": None,
            "articles": 1} in kinds["categories"]
    made = office.ok("POST", CATEGORIES, 201, json={
        "code": "DESSERT", "name": {"fr": "Desserts"}, "wallet_kind": "main"})
    assert made == {"code": "DESSERT", "name": {"fr": "Desserts", "nl": None, "en": None},
                    "wallet_kind": "main", "articles": 0}
    changed = office.ok("PUT", CATEGORY.format(code="DESSERT"), json={
        "name": {"fr": "Desserts", "nl": "Nagerechten", "en": " Desserts "}})
    assert changed["name"] == {"fr": "Desserts", "nl": "Nagerechten", "en": "Desserts"}
    assert changed["wallet_kind"] is None          # not given: the student's default wallet

    crepe = office.ok("POST", ARTICLES, 201, json=article_body(code="CREPE", category="DESSERT"))
    assert crepe == {"code": "CREPE", "name": {"fr": "Crêpe", "nl": "Pannenkoek", "en": None},
                     "price_cents": 250, "category": "DESSERT",
                     "allergens": ["gluten", "egg", "milk"], "profiles": ["canteen", "reception"],
                     "reservable": False, "active": True}
    [(before,)] = office.rows("SELECT version FROM articles WHERE school_id = 'school-a'"
                              " AND code = 'CREPE'")
    dearer = office.ok("PUT", ARTICLE.format(code="CREPE"), json={
        k: v for k, v in article_body(price_cents=280, category="DESSERT").items() if k != "code"})
    assert dearer["price_cents"] == 280
    off = office.ok("POST", ARTICLE.format(code="CREPE") + "/deactivate")
    assert off["active"] is False and off["price_cents"] == 280
    [(after,)] = office.rows("SELECT version FROM articles WHERE school_id = 'school-a'"
                             " AND code = 'CREPE'")
    assert after > before           # each write a new change version: the terminals' next pull

    # Filters: category, active, the kind of counter, a text in the code or any name.
    def codes(**params):
        return [a["code"] for a in office.ok("GET", ARTICLES, params=params)["articles"]]
    assert codes(category="DESSERT") == ["CREPE"]
    assert codes(category="DESSERT", active="true") == []
    assert codes(profile="reception", active="true") == ["COPY-BW", "COPY-COLOUR", "LOCKER",
                                                          "TSHIRT"]
    assert codes(q="pannenKOEK") == codes(q="crêpe") == ["CREPE"]
    assert office.ok("GET", CATEGORY.format(code="DESSERT"))["articles"] == 1
    assert office.ok("POST", ARTICLE.format(code="CREPE") + "/activate")["active"] is True


CODE_ONLY = {"SOUP", "two words", "X" * 41}          # what only a new article has: its code
BAD_ARTICLES = [
    ({}, "Field required"),
    (article_body(code="SOUP"), "an article with the code 'SOUP' already exists"),
    (article_body(code="two words"), "String should match pattern"),
    (article_body(code="X" * 41), "String should match pattern"),
    (article_body(name={"fr": "   "}), "at least 1 character"),
    (article_body(name={"nl": "Soep"}), "Field required"),
    (article_body(name={"fr": "é" * 10_000}), "at most 80 characters"),
    (article_body(price_cents="2,50"), "Input should be a valid integer"),
    (article_body(price_cents=2.5), "Input should be a valid integer"),
    (article_body(price_cents=-1), "greater than or equal to 0"),
    (article_body(price_cents=10**12), "less than or equal to 1000000"),
    (article_body(category="NOPE"), "no category 'NOPE' in this school"),
    (article_body(category="B-CAT"), "no category 'B-CAT' in this school"),
    (article_body(allergens=["gluten", "kiwi"]), "unknown allergen or diet tag 'kiwi'"),
    (article_body(profiles=["kitchen"]), "Input should be 'canteen' or 'reception'"),
    (article_body(reservable="yes"), "Input should be a valid boolean"),
    (article_body(colour="red"), "Extra inputs are not permitted"),
]


@pytest.mark.parametrize("body, message", BAD_ARTICLES)
def test_a_bad_article_is_refused_with_why_and_nothing_is_written(office, body, message):
    before = office.rows("SELECT code, price_cents, version FROM articles ORDER BY code")
    assert message in office.refused("POST", ARTICLES, json=body)
    if body.get("code") not in CODE_ONLY:     # the same fields, changing an article
        fields = {k: v for k, v in body.items() if k != "code"}
        assert message in office.refused("PUT", ARTICLE.format(code="SOUP"), json=fields)
    assert office.rows("SELECT code, price_cents, version FROM articles ORDER BY code") == before


def test_a_bad_category_is_refused(office):
    before = office.rows("SELECT code, name, wallet_kind, version FROM categories ORDER BY code")
    for body, message in (
            ({"code": "soup", "name": {"fr": "Potages"}}, "a category with the code 'soup'"),
            ({"code": "PHOTO", "name": {"fr": "Photos"}, "wallet_kind": "photocopies"},
             "no wallet of the kind 'photocopies' in this school"),
            ({"code": "", "name": {"fr": "Rien"}}, "String should match pattern"),
            ({"code": "X", "name": "Rien"}, "Input should be a valid dictionary"),
            ([], "Input should be a valid dictionary")):
        assert message in office.refused("POST", CATEGORIES, json=body)
    assert office.rows("SELECT code, name, wallet_kind, version FROM categories"
                       " ORDER BY code") == before


def test_another_schools_codes_are_not_found(office):
    b = {"school": "school-b"}
    assert office.ok("GET", ARTICLE.format(code="B-ONLY"), params=b)["price_cents"] == 150
    body = {k: v for k, v in article_body(category="snack").items() if k != "code"}
    for method, path, kw in (
            ("GET", ARTICLE.format(code="B-ONLY"), {}),
            ("PUT", ARTICLE.format(code="B-ONLY"), {"json": body}),
            ("POST", ARTICLE.format(code="B-ONLY") + "/deactivate", {}),
            ("GET", CATEGORY.format(code="B-CAT"), {}),
            ("PUT", CATEGORY.format(code="B-CAT"), {"json": {"name": {"fr": "Pris"}}}),
            ("GET", OPERATOR.format(operator_id="op-b"), {}),
            ("PUT", OPERATOR.format(operator_id="op-b"),
             {"json": {"name": "Bea", "role": "admin"}}),
            ("POST", OPERATOR.format(operator_id="op-b") + "/pin", {"json": {}}),
            ("POST", OPERATOR.format(operator_id="op-b") + "/deactivate", {})):
        answer = office.call(method, path, **kw)
        assert (answer.status_code, answer.json()["error"]) == (404, "not_found"), path
    assert [a["code"] for a in office.ok("GET", ARTICLES, params=b)["articles"]] == ["B-ONLY"]
    assert office.rows("SELECT name, role, active FROM operators WHERE school_id = 'school-b'"
                       ) == [("Bea", "seller", 1)]
    assert "B-ONLY" not in {a["code"] for a in office.ok("GET", ARTICLES)["articles"]}


def test_without_a_token_nothing_is_answered(office):
    for path in (CATEGORIES, ARTICLES, OPERATORS):
        answer = requests.get(office.url + path, params={"school": "school-a"}, timeout=10)
        assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"


# -- the operators -----------------------------------------------------------------------------
def test_operators_pins_are_shown_once_and_stored_hashed(office):
    made = office.ok("POST", OPERATORS, 201, json={"name": "Nadia", "role": "seller"})
    nadia, pin = made["operator"], made["pin"]
    assert (nadia["name"], nadia["role"], nadia["active"]) == ("Nadia", "seller", True)
    assert len(pin) == 6 and pin.isdigit()
    [(stored,)] = office.rows("SELECT pin_hash FROM operators WHERE id = ?", (nadia["id"],))
    assert stored.startswith("$argon2id$") and PasswordHasher().verify(stored, pin)
    listed = office.ok("GET", OPERATORS)["operators"]
    assert nadia in listed and all(set(o) == {"id", "name", "role", "active", "unlocked_at"}
                                   for o in listed)
    assert office.ok("GET", OPERATOR.format(operator_id=nadia["id"])) == nadia

    reset = office.ok("POST", OPERATOR.format(operator_id=nadia["id"]) + "/pin",
                      json={"pin": "0427"})
    assert reset == {"operator": nadia, "pin": "0427"}
    [(again,)] = office.rows("SELECT pin_hash FROM operators WHERE id = ?", (nadia["id"],))
    assert again != stored and PasswordHasher().verify(again, "0427")

    promoted = office.ok("PUT", OPERATOR.format(operator_id=nadia["id"]),
                         json={"name": "Nadia B.", "role": "supervisor"})
    assert (promoted["name"], promoted["role"], promoted["active"]) == (
        "Nadia B.", "supervisor", True)
    gone = office.ok("POST", OPERATOR.format(operator_id=nadia["id"]) + "/deactivate")
    assert gone["active"] is False
    [(kept,)] = office.rows("SELECT pin_hash FROM operators WHERE id = ?", (nadia["id"],))
    assert kept == again            # renaming or deactivating keeps the PIN


def test_bad_operators_are_refused(office):
    before = office.rows("SELECT id, name, role, pin_hash, active FROM operators ORDER BY id")
    luc = next(o for o in office.ok("GET", OPERATORS)["operators"] if o["name"] == "Luc")
    for body, message in (
            ({"name": "MARIE", "role": "seller"}, "an operator is already named 'MARIE'"),
            ({"name": "Zed", "role": "chef"}, "Input should be 'seller', 'supervisor'"),
            ({"name": "", "role": "seller"}, "at least 1 character"),
            ({"name": "Z" * 61, "role": "seller"}, "at most 60 characters"),
            ({"name": "Zed", "role": "seller", "pin": "12a4"}, "String should match pattern"),
            ({"name": "Zed", "role": "seller", "pin": "123"}, "String should match pattern"),
            ({"name": "Zed", "role": "seller", "pin": 1234}, "Input should be a valid string"),
            ({"name": "Zed", "role": "seller", "pin_hash": "x"}, "Extra inputs")):
        assert message in office.refused("POST", OPERATORS, json=body)
    assert "already named 'marie'" in office.refused(
        "PUT", OPERATOR.format(operator_id=luc["id"]), json={"name": "marie", "role": "seller"})
    assert "String should match pattern" in office.refused(
        "POST", OPERATOR.format(operator_id=luc["id"]) + "/pin", json={"pin": "123456789"})
    assert office.refused("GET", OPERATOR.format(operator_id="op-nope"), 404)
    assert office.rows("SELECT id, name, role, pin_hash, active FROM operators"
                       " ORDER BY id") == before


# -- a real terminal gets it with its next pull ------------------------------------------------
class Terminal:
    """A real terminal: its own store, counter service and sync agent, enrolled and pulled."""

    def __init__(self, office: Office, name: str):
        self.store = open_store(office.folder / f"{name}.db", create=True)
        self.clock = ManualClock(datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS))
        creds = enrol(self.store, office.folder, office.url,
                      office.store.create_enrol_code("school-a", name))
        self.client = Client(office.url, creds.token)
        self.agent = Agent(self.store, self.client, TerminalConfig(), self.clock)
        self.agent.pull(full=True)
        self.service = CounterService(self.store, TerminalConfig(), self.clock)

    def close(self) -> None:
        self.client.close()
        self.store.close()


def test_the_terminal_sells_at_the_new_price_and_knows_the_new_operators(office):
    terminal = Terminal(office, "Cantine-E2E")
    try:
        service = terminal.service
        marie = service.login("Marie", DEMO_PINS["Marie"])
        assert service.sell(marie, Badge.EMMA, {"SOUP": 1}).total_cents == 100
        for _ in range(5):                      # Luc locks himself out at this terminal
            with pytest.raises(AuthError):
                service.login("Luc", "0000")
        with pytest.raises(AuthError) as locked:
            service.login("Luc", DEMO_PINS["Luc"])
        assert locked.value.code == "operator_locked"

        soup = office.ok("GET", ARTICLE.format(code="SOUP"))
        office.ok("PUT", ARTICLE.format(code="SOUP"), json={
            **{k: v for k, v in soup.items() if k != "code"}, "price_cents": 130})
        office.ok("POST", ARTICLE.format(code="APPLE") + "/deactivate")
        zoe = office.ok("POST", OPERATORS, 201, json={"name": "Zoé", "role": "seller"})
        luc = next(o for o in office.ok("GET", OPERATORS)["operators"] if o["name"] == "Luc")
        office.ok("POST", OPERATOR.format(operator_id=luc["id"]) + "/pin", json={"pin": "2468"})

        terminal.agent.pull()                   # the next pull, incremental
        terminal.clock.advance(20)              # not a double tap; Luc's 60 s lock still on
        assert service.sell(marie, Badge.EMMA, {"SOUP": 1}).total_cents == 130
        with pytest.raises(Refusal) as off:
            service.sell(marie, Badge.LINA, {"APPLE": 1})
        assert off.value.code == "article_inactive"
        assert service.login("Zoé", zoe["pin"]).role == "seller"
        # The new PIN works at once: the office's reset lifted the terminal's lockout.
        assert service.login("Luc", "2468").role == "supervisor"
        with pytest.raises(AuthError):
            service.login("Luc", DEMO_PINS["Luc"])
    finally:
        office.ok("POST", ARTICLE.format(code="APPLE") + "/activate")
        terminal.close()
