"""Article and category names in several languages (issue 14, point 3), from the platform to
the terminal: the real platform over loopback HTTP (``comptoir central serve``, on SQLite then
on PostgreSQL), the terminal driven by its ``comptoir`` commands, its store read after each
pull. A name the school leaves empty falls back to the school's language; a single plain name
(older platforms and files) is still read, as the school's name."""
from __future__ import annotations

import sqlite3

import pytest

from kiosk import importer, names
from kiosk.store import open_store
from sync.models import DataSet
from sync.server.entities import ENTITIES
from sync.server.storage import CentralStore

from .central_db import central_rows
from .test_sync_e2e import comptoir, enrolled_terminal, serving

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=150)


@pytest.fixture(scope="module")
def central(central_dbs):
    """A central server with a small demo school, serving on loopback."""
    with serving(central_dbs, 20) as served:
        yield served


def _rows(folder, sql):
    conn = sqlite3.connect(folder / "comptoir.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_names_in_every_language_reach_the_terminal_and_fall_back(central, tmp_path):
    data = tmp_path / "terminal"
    enrolled_terminal(central, data, "Cantine 1")
    comptoir("sync", "--once", data=data)
    assert central_rows(central["db"], "SELECT name, name_nl, name_en FROM categories"
                                       " WHERE code = 'soup'") == [("Potage", "Soep", "Soup")]
    assert _rows(data, "SELECT name, name_nl, name_en FROM categories WHERE code = 'soup'") == \
        [("Potage", "Soep", "Soup")]
    assert _rows(data, "SELECT name_fr, name_nl, name_en FROM articles WHERE code = 'SOUP'") == \
        [("Potage et pain", "Soep met brood", "Soup and bread")]

    # The office renames: drinks lose their English name, the apple keeps one plain name.
    store = CentralStore(central["db"])
    try:
        store.load(store.school_id(), DataSet.model_validate({
            "categories": [{"code": "drink", "name": {"fr": "Boissons fraîches",
                                                      "nl": "Koude dranken", "en": ""}}],
            "articles": [{"code": "APPLE", "name": "Pomme bio", "price_cents": 50,
                          "category": "snack"}]}))
    finally:
        store.close()
    comptoir("sync", "--once", data=data)
    assert _rows(data, "SELECT name, name_nl, name_en FROM categories WHERE code = 'drink'") == \
        [("Boissons fraîches", "Koude dranken", None)]
    assert _rows(data, "SELECT name_fr, name_nl, name_en FROM articles WHERE code = 'APPLE'") == \
        [("Pomme bio", None, None)]

    terminal = open_store(data / "comptoir.db")
    try:
        french_school, dutch_school = names.read(terminal, "fr"), names.read(terminal, "nl")
    finally:
        terminal.close()
    assert french_school.category("drink", "en") == "Boissons fraîches"   # the school's language
    assert dutch_school.category("drink", "en") == "Koude dranken"
    assert french_school.category("drink", "nl") == "Koude dranken"
    assert dutch_school.article("APPLE", "en") == "Pomme bio"              # the only name there is
    assert french_school.article("SOUP", "en") == "Soup and bread"


def test_a_single_plain_name_is_still_read_and_sent():
    """Older files and platforms: one ``name`` string per category and article."""
    data = importer.parse({"categories": [{"code": "soup", "name": "Potage"}],
                           "articles": [{"code": "SOUP", "name": "Potage et pain",
                                         "price_cents": 100, "category": "soup"}]})
    assert data.categories[0].name.fr == "Potage" and data.articles[0].name.nl is None
    categories = ENTITIES[0]
    assert categories.to_record(("soup", "Potage", None, None, None))["name"] == "Potage"
    assert categories.to_record(("soup", "Potage", "Soep", None, None))["name"] == \
        {"fr": "Potage", "nl": "Soep", "en": None}


def test_a_store_made_before_the_names_keeps_its_categories(tmp_path):
    """The store migration adds the Dutch and English names; the French one stays."""
    from kiosk.store.schema import CURRENT_VERSION, migrate
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    migrate(conn, CURRENT_VERSION - 1)
    conn.execute("INSERT INTO categories (code, name) VALUES ('soup', 'Potage')")
    assert migrate(conn) == CURRENT_VERSION
    assert conn.execute("SELECT code, name, name_nl, name_en FROM categories").fetchall() == \
        [("soup", "Potage", None, None)]
    conn.close()


def test_a_dutch_schools_receipt_names_its_articles_in_dutch(tmp_path):
    """Receipts are printed in the school's language ([terminal] language), article and
    wallet names included (the journal keeps the French name it was sold under)."""
    from kiosk import print_jobs
    from kiosk.config import parse_config
    from kiosk.demo.school import Badge
    from kiosk.demo.store import demo_service
    config = parse_config({"terminal": {"language": "nl"}, "printing": {"receipt": "always"}})
    service, marie = demo_service(folder=tmp_path, config=config)
    try:
        service.sell(marie, Badge.EMMA, {"SOUP": 1, "WATER": 1})
        with service.store.read() as conn:
            row = conn.execute("SELECT id FROM print_jobs WHERE kind = 'receipt'").fetchone()
            job = print_jobs.get_job(conn, row[0])
            assert job is not None
            text = "\n".join(print_jobs.render_job(conn, job, config, 42).text_lines())
    finally:
        service.store.close()
    assert "1 x Soep met brood" in text and "1 x Water 50 cl" in text and "Potage" not in text
    assert "Portemonnee" in text and "Portefeuille" not in text


def test_a_sync_error_is_kept_with_its_code_for_the_screens(tmp_path):
    """The admin screen says the last sync error in its language: the agent keeps the code
    and parameters beside the English text it logs."""
    import json

    from kiosk.demo.store import demo_service
    from sync.agent import Agent
    from sync.client import Client, Offline
    from sync.common.messages import render

    from .test_sync_e2e import free_port
    service, _marie = demo_service(folder=tmp_path)
    try:
        agent = Agent(service.store, Client(f"http://127.0.0.1:{free_port()}", "token",
                                            allow_http=True, timeout=1))
        with pytest.raises(Offline):
            agent.run_once()
        coded = json.loads(service.store.sync_state("last_error_coded", ""))
        assert coded["code"] == "offline"
        assert render(coded["code"], coded["params"], "nl").startswith("Platform onbereikbaar")
    finally:
        service.store.close()
