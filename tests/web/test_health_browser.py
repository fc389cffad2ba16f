"""The terminals' health and the operators' lockouts in a real browser (issue 18 point 6,
issue 16 point 5), SQLite and PostgreSQL: a real terminal (its store with the demo school,
its counter and the real sync agent over loopback) reports its health; an operator locked out
there by 5 wrong PINs shows on the operators' page, the office unlocks them with the page's
button, and they log in at the terminal after its next pull. The pages pass the axe audit."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk import health_report, importer
from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, generate
from kiosk.store import open_store
from sync.agent import Agent, enrol
from sync.client import Client
from sync.common.clock import ManualClock
from sync.common.errors import AuthError
from sync.models import DataSet

from .browser import audit, new_context, page_as


@pytest.fixture(scope="module")
def terminal(platform, school, tmp_path_factory):
    data = generate(students=10)
    platform.store.load(school.id, DataSet.model_validate(data))
    folder = tmp_path_factory.mktemp("health-terminal")
    clock = ManualClock(platform.clock.now())
    store = open_store(folder / "comptoir.db", create=True)
    importer.apply(store, importer.parse(data), clock.now())
    code = platform.store.create_enrol_code(school.id, "Cantine santé")
    creds = enrol(store, folder, platform.url, code, allow_http=True)
    client = Client(creds.url, creds.token, allow_http=True)
    try:
        yield SimpleNamespace(store=store, agent=Agent(store, client, clock=clock),
                              service=CounterService(store, TerminalConfig(), clock))
    finally:
        client.close()
        store.close()


def test_health_on_the_board_and_an_operator_unlocked_from_the_page(browser, platform,
                                                                    school, terminal):
    health_report.record_start(terminal.store, platform.clock.now())
    for _ in range(5):
        with pytest.raises(AuthError):
            terminal.service.login("Marie", "0000")
    terminal.agent.run_once()

    context = new_context(browser, platform)
    page = page_as(context, platform, school.members["supervisor"])
    page.goto("/terminals")
    row = page.locator("tr", has_text="Cantine santé")
    assert "pas encore connu" in row.inner_text()          # the printer, in French
    audit(page, "terminals-health-fr")
    row.locator("a").first.click()
    health = page.locator("#health + p")
    assert "signalé" in health.inner_text() or "il y a" in health.inner_text()
    facts = page.locator("dl.facts").nth(1).inner_text()
    assert "démarrage normal" in facts and "0" in facts
    audit(page, "terminal-health-fr")

    page.goto("/operators")
    locked = page.locator("#locks + div table")
    assert "Marie" in locked.inner_text() and "Cantine santé" in locked.inner_text()
    audit(page, "operators-locks-fr")
    page.locator("form[action$='/unlock'] button").click()
    assert "Marie" in page.locator(".flash").first.inner_text()
    assert page.locator("#locks + p").inner_text() == "Personne n'est bloqué."
    context.close()

    with pytest.raises(AuthError):                          # still locked until the pull
        terminal.service.login("Marie", DEMO_PINS["Marie"])
    terminal.agent.run_once()
    assert terminal.service.login("Marie", DEMO_PINS["Marie"]).name == "Marie"
