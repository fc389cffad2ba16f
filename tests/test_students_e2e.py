"""What the office changes on a student reaches a real terminal with its next pull (issue
16, point 3): a badge blocked through the back office's API is refused at the counter, a
parents' limit, a blocked category and an allergen flag apply there, and a photo uploaded is
fetched into the terminal's folder, where the touch app shows it from. The platform served
over loopback HTTP (SQLite and PostgreSQL), a real terminal store, counter service and sync
agent."""
from __future__ import annotations

import io
import os
from datetime import datetime

import pytest
import requests
from PIL import Image

from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge
from kiosk.store import open_store
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.common.errors import NeedsConfirmation, Refusal
from sync.models import DataSet
from sync.photos import ref_of
from sync.server import students_api as api
from sync.server.storage import CentralStore

from .conftest import BRUSSELS
from .loopback import Served

EMMA, CHLOE = "S00001", "S00005"


@pytest.fixture
def world(central_db, demo_data, tmp_path):
    clock = ManualClock(datetime(2026, 11, 24, 11, 30, tzinfo=BRUSSELS))
    store = CentralStore(central_db, create=True, now=clock.now)
    store.add_school("Institut Saint-Michel", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    served = Served(store)
    folder = tmp_path / "terminal"
    folder.mkdir()
    terminal = open_store(folder / "comptoir.db", create=True)
    creds = enrol(terminal, folder, served.url, store.create_enrol_code("school-a", "Cantine"))
    client = Client(served.url, creds.token)
    agent = Agent(terminal, client, TerminalConfig(), clock)
    agent.run_once()
    service = CounterService(terminal, TerminalConfig(), clock)
    token = store.create_admin_token()

    def office(method: str, path: str, **kw) -> requests.Response:
        r = requests.request(method, served.url + path, timeout=30,
                             headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status_code in (200, 201), r.text
        return r
    try:
        yield office, agent, service, folder, clock
    finally:
        client.close()
        terminal.close()
        served.stop()
        store.close()


def test_what_the_office_changes_on_a_student_applies_at_the_terminal_after_its_pull(world):
    office, agent, service, folder, clock = world
    marie = service.login("Marie", DEMO_PINS["Marie"])
    service.sell(marie, Badge.EMMA, {"WATER": 1})

    # A lost badge, blocked on the student's page: refused at the counter after the pull.
    office("POST", api.BADGE_BLOCK.format(student_id=EMMA), json={"uid": Badge.EMMA})
    agent.run_once()
    with pytest.raises(Refusal) as blocked:
        service.sell(marie, Badge.EMMA, {"WATER": 1})
    assert blocked.value.code == "blocked_badge"
    office("POST", api.BADGE_UNBLOCK.format(student_id=EMMA), json={"uid": Badge.EMMA})
    agent.run_once()
    clock.advance(60)                                   # past the double-tap window
    service.sell(marie, Badge.EMMA, {"WATER": 1})

    # A new badge added for her works at the counter after the pull.
    office("POST", api.BADGES.format(student_id=EMMA), json={"uid": "04 12 34 56"})
    # Flags, the parents' limit and a blocked category, set on her page.
    office("PUT", api.SETTINGS.format(student_id=EMMA), json={
        "flags": ["Gluten"], "daily_limit_cents": 300, "blocked_categories": ["drink"]})
    with pytest.raises(Refusal) as not_yet:             # not known before the pull
        service.sell(marie, "04123456", {"SOUP": 1})
    assert not_yet.value.code == "unknown_badge"
    agent.run_once()
    clock.advance(60)
    with pytest.raises(Refusal) as drink:
        service.sell(marie, "04123456", {"WATER": 1})
    assert drink.value.code == "category_blocked"
    with pytest.raises(NeedsConfirmation) as gluten:    # the soup has gluten in it
        service.sell(marie, "04123456", {"SOUP": 1})
    assert gluten.value.code == "allergen"
    with pytest.raises(Refusal) as limit:               # 2 × 80 spent today, 3 € a day
        service.sell(marie, "04123456", {"SOUP": 2}, confirm=["allergen"])
    assert limit.value.code == "daily_limit"
    service.sell(marie, "04123456", {"SOUP": 1}, confirm=["allergen"])

    # A photo uploaded on Chloé's page: fetched into the terminal's folder by its next round.
    out = io.BytesIO()
    Image.new("RGB", (900, 1200), (10, 120, 200)).save(out, "JPEG")
    ref = office("PUT", api.PHOTO.format(student_id=CHLOE), data=out.getvalue()).json()["ref"]
    assert not (folder / ref).exists()
    agent.run_once()
    assert service.identify(Badge.CHLOE).student.photo_ref == ref
    kept = (folder / ref).read_bytes()
    assert ref_of(kept) == ref and os.path.dirname(os.path.realpath(folder / ref)) == str(
        (folder / "photos").resolve())
    with Image.open(folder / ref) as shown:
        assert shown.size == (360, 480)
