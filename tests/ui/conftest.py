"""The UI tests drive one real app (Kivy allows one per process) in a real X server started
here (Xvfb, a free display). Each test attaches a fresh terminal: a copy of a demo store made
once for the session, its own configuration, a simulated reader."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kiosk import importer
from kiosk.config import parse_config
from kiosk.counter import CounterService
from kiosk.demo.school import generate
from kiosk.store import open_store
from sync.common.clock import SystemClock, business_day
from tests.ui.harness import Driver, Xvfb, start_kivy

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("UI_SCREENSHOTS", ROOT / "build" / "ui-screenshots"))
SCHOOL = {"name": "Institut Saint-Michel", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB"}


@pytest.fixture(scope="session")
def display():
    import sys
    if "kivy.core.window" in sys.modules:   # made at import with Kivy's defaults (800×600)
        pytest.fail("a test module imported Kivy's window before the session's display: import"
                    " kivy.core.window (or kiosk.ui modules) inside the tests", pytrace=False)
    x = Xvfb()
    start_kivy(x.display)
    yield x.display
    x.stop()


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """A demo school (60 students, today's reservations) and portraits for the demo students."""
    from kiosk.demo.folder import make_portraits
    folder = tmp_path_factory.mktemp("template")
    now = SystemClock().now()
    data = generate(60, day=business_day(now, parse_config({}).tz))
    store = open_store(folder / "comptoir.db", create=True)
    importer.apply(store, importer.parse(data), now)
    store.close()
    make_portraits(folder, data["students"][:6])     # students 7 and 8 have no photo file
    return folder


def new_terminal(template: Path, folder: Path, profile: str = "canteen", name: str = "Cantine 1",
                 **sections):
    from drivers.badge.simulated import SimulatedReader
    from kiosk.ui.terminal import Terminal
    shutil.copytree(template, folder)
    # A rush answer stays until the next badge unless a test is about its expiry: a loaded
    # machine can stall longer than the 4 s default between an answer and the test's reading.
    sections["ui"] = {"rush_result_seconds": 0, **sections.get("ui", {})}
    config = parse_config({"terminal": {"name": name, "profile": profile}, "school": SCHOOL, **sections})
    store = open_store(folder / "comptoir.db")
    return Terminal(folder, config, CounterService(store, config), SimulatedReader())


@pytest.fixture(scope="session")
def driver(display, template, tmp_path_factory):
    terminal = new_terminal(template, tmp_path_factory.mktemp("first") / "data")
    d = Driver.start(terminal)
    yield d
    d.app.detach()
    d.app.terminal.close()


@pytest.fixture
def counter(driver, template, tmp_path):
    """``counter(profile=..., ui={...})``: a fresh terminal shown by the app, at its login."""
    made = []

    def attach(profile: str = "canteen", **sections):
        old = driver.app.terminal
        terminal = new_terminal(template, tmp_path / f"data{len(made)}", profile,
                                "Cantine 1" if profile == "canteen" else "Accueil", **sections)
        driver.app.attach(terminal)
        old.close()
        made.append(terminal)
        driver.wait_for(lambda: driver.buttons(text="Marie"), what="the operators on the login screen")
        return terminal
    return attach


@pytest.fixture
def shot(driver, request):
    """``shot(name)`` saves the window as build/ui-screenshots/<test>-<name>.png."""
    def take(name: str) -> Path:
        return driver.screenshot(SHOTS / f"{request.node.name}-{name}.png")
    return take
