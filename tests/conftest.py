"""Shared fixtures: a real store file in a temp folder, loaded with a small demo school,
a counter service on a manual clock (lunchtime in Brussels), and logged-in operators; for the
central server's tests, fresh central databases on both backends (SQLite, and a throw-away
PostgreSQL started once per session)."""
from __future__ import annotations

import sqlite3
import traceback
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import importer
from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo import DEMO_PINS, generate
from kiosk.store import open_store
from sync.common.clock import ManualClock

from .central_db import BACKENDS, CentralDatabases
from .pg_server import PgServer, PgUnavailable

TESTS = Path(__file__).resolve().parent
BRUSSELS = ZoneInfo("Europe/Brussels")
LUNCH = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)   # a Tuesday
TODAY = LUNCH.date().isoformat()


@pytest.fixture(scope="session")
def demo_data() -> dict:
    return generate(students=60, day=LUNCH.date())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(LUNCH)


@pytest.fixture
def config() -> TerminalConfig:
    return TerminalConfig()


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "comptoir.db"


@pytest.fixture
def store(store_path, demo_data, clock):
    s = open_store(store_path, create=True)
    importer.apply(s, importer.parse(demo_data), clock.now())
    yield s
    s.close()


@pytest.fixture
def service(store, config, clock) -> CounterService:
    return CounterService(store, config, clock)


def _login(service, name):
    return service.login(name, DEMO_PINS[name])


@pytest.fixture
def marie(service):
    return _login(service, "Marie")        # seller


@pytest.fixture
def luc(service):
    return _login(service, "Luc")          # supervisor


@pytest.fixture
def admin(service):
    return _login(service, "Admin")


# -- what tests open, tests close ---------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def closes_what_it_opens():
    """Every PostgreSQL pool and terminal store a test module opens (its fixtures included) is
    closed by the module's end. A pool left to the garbage collector stops its workers in
    ``__del__``, at a random later moment, and logs a warning when that takes over 5 s; a
    store left open keeps its SQLite file and WAL open. Held here until checked (so nothing
    is collected behind the check's back), closed after it."""
    from kiosk.store.db import Store
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:             # no server extra: no pools
        ConnectionPool = None
    opened: list = []
    patched = [cls for cls in (Store, ConnectionPool) if cls is not None]
    originals = {cls: cls.__init__ for cls in patched}

    def tracking(cls):
        def __init__(self, *args, **kwargs):
            originals[cls](self, *args, **kwargs)
            opened.append((self, _opener()))
        return __init__

    for cls in patched:
        cls.__init__ = tracking(cls)
    try:
        yield
    finally:
        for cls in patched:
            cls.__init__ = originals[cls]
    left = [(thing, where) for thing, where in opened if _still_open(thing)]
    for thing, _ in left:
        thing.close()
    assert not left, "left open by this module:\n" + "\n".join(
        f"  {type(thing).__name__} opened at {where}" for thing, where in left)


def _opener() -> str:
    """The innermost line of the tests (not this file) that led to the opening."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = Path(frame.filename)
        if TESTS in path.parents and path.name != "conftest.py":
            return f"{path.relative_to(TESTS.parent)}:{frame.lineno} ({frame.name})"
    return "?"


def _still_open(thing) -> bool:
    if hasattr(thing, "conn"):                      # a terminal store: its SQLite connection
        try:
            thing.conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:            # "Cannot operate on a closed database."
            return False
        return True
    return not thing.closed                         # a psycopg pool


# -- the central server's databases: every server test runs on both backends ------------------
@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server for the whole session (about 1 s to start). Missing
    PostgreSQL is a failure, not a skip: CI must show the server works on it."""
    try:
        server = PgServer().start()
    except PgUnavailable as e:
        pytest.fail(f"the PostgreSQL tests need a real PostgreSQL: {e}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def central_dbs(backend, request, tmp_path_factory):
    """Makes fresh central databases of this module's backend (dropped at the end)."""
    pg = request.getfixturevalue("postgres") if backend == "postgresql" else None
    databases = CentralDatabases(backend, tmp_path_factory.mktemp(f"central-{backend}"), pg)
    yield databases
    databases.drop_all()


@pytest.fixture
def central_db(central_dbs) -> str:
    """A fresh, empty central database for one test: a file path or a postgresql:// URL."""
    db = central_dbs.new()
    yield db
    central_dbs.drop(db)
