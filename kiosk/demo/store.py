"""The demo school in a terminal's store: a counter service on a fresh store, for the
docstrings' examples, the benchmarks and quick experiments.

>>> service, session = demo_service(students=8)
>>> service.identify("04A1B2C3").student.first_name
'Emma'
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from kiosk import importer
from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, generate
from kiosk.operators import Session
from kiosk.store import open_store
from sync.common.clock import Clock, SystemClock, business_day


def demo_service(students: int = 20, folder: str | Path | None = None, clock: Clock | None = None,
                 config: TerminalConfig | None = None) -> tuple[CounterService, Session]:
    """A counter service on a fresh demo store in a temporary folder, with Marie logged in.
    For examples and quick experiments."""
    clock = clock or SystemClock()
    config = config or TerminalConfig()
    folder = Path(folder or tempfile.mkdtemp(prefix="comptoir-demo-"))
    store = open_store(folder / "comptoir.db", create=True)
    day = business_day(clock.now(), config.tz)
    importer.apply(store, importer.parse(generate(students, day=day)), clock.now())
    service = CounterService(store, config, clock)
    return service, service.login("Marie", DEMO_PINS["Marie"])
