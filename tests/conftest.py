"""Shared fixtures: a real store file in a temp folder, loaded with a small demo school,
a counter service on a manual clock (lunchtime in Brussels), and logged-in operators; for the
central server's tests, fresh central databases on both backends (SQLite, and a throw-away
PostgreSQL started once per session)."""
from __future__ import annotations

import gc
import sqlite3
import traceback
import weakref
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import importer
from kiosk.config import TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, generate
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


# -- PIN checks: each (hash, PIN) verified for real once per process -------------------------------
class _OnceVerifier:
    """The terminal's PIN hasher (kiosk.operators), unchanged but for ``verify``: a (hash, PIN)
    pair that verified once verifies again without the 19 MiB Argon2 run (half a second on a
    loaded machine; the demo operators log in hundreds of times from the same session-wide
    demo data). Verification is a pure function of the pair, so the answer is the same; a
    wrong PIN is checked for real every time, and hashing (new PINs, rehashing) is untouched:
    the same parameters, the same strings as in production (test_operators checks them)."""

    def __init__(self, hasher):
        self._hasher, self._verified = hasher, set()

    def verify(self, hash, password) -> bool:
        key = (hash, password)
        if key not in self._verified:
            self._hasher.verify(hash, password)         # raises on a wrong PIN: not remembered
            self._verified.add(key)
        return True

    def __getattr__(self, name):                        # hash, check_needs_rehash, parameters
        return getattr(self._hasher, name)


@pytest.fixture(scope="session", autouse=True)
def _pins_verified_once():
    from kiosk import operators
    real = operators._HASHER
    operators._HASHER = _OnceVerifier(real)
    yield
    operators._HASHER = real


# -- what tests open, tests close ---------------------------------------------------------------
# A terminal store or a PostgreSQL pool that the garbage collector finds still open was left
# open by a test: a pool stops its worker threads in ``__del__``, at a random later moment
# (and logs a warning when that takes over 5 s); a store keeps its SQLite file and WAL open.
# Every one opened during the session is watched (without keeping it alive); at the end of
# each test module the garbage is collected and whatever was found open is a failure that
# names the line that opened it. What a fixture still holds (a session's app, a module's
# server) is not garbage: it is closed by its fixture, and not judged here.
_LEAKS: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _watch_what_tests_open():
    from kiosk.store.db import Store
    watched = [Store]
    try:
        from psycopg_pool import ConnectionPool
        watched.append(ConnectionPool)
    except ImportError:             # no server extra: no pools
        pass
    originals = {cls: (cls.__init__, cls.close) for cls in watched}

    def watching(cls):
        init, close = originals[cls]

        def __init__(self, *args, **kwargs):
            init(self, *args, **kwargs)
            self._closed_state = state = {"closed": False}
            weakref.finalize(self, _collected, type(self).__name__, state, _opener(),
                             getattr(self, "conn", None))

        def close_(self, *args, **kwargs):
            state = getattr(self, "_closed_state", None)
            if state is not None:
                state["closed"] = True
            return close(self, *args, **kwargs)
        return __init__, close_

    for cls in watched:
        cls.__init__, cls.close = watching(cls)
    yield
    for cls, (init, close) in originals.items():
        cls.__init__, cls.close = init, close


def _collected(kind: str, state: dict, where: str, conn: sqlite3.Connection | None) -> None:
    """Called when a watched object is garbage collected."""
    if not state["closed"]:
        _LEAKS.append(f"{kind} opened at {where}")
        if conn is not None:
            conn.close()


@pytest.fixture(scope="module", autouse=True)
def closes_what_it_opens(_watch_what_tests_open):
    """No store or pool this module opened (its fixtures included) is left open."""
    yield
    gc.collect()
    leaks = list(_LEAKS)
    _LEAKS.clear()
    assert not leaks, "left open, found by the garbage collector:\n  " + "\n  ".join(leaks)


def _opener() -> str:
    """The innermost line of the tests (not a conftest) that led to the opening."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = Path(frame.filename)
        if TESTS in path.parents and path.name != "conftest.py":
            return f"{path.relative_to(TESTS.parent)}:{frame.lineno} ({frame.name})"
    return "a fixture"


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


# -- order: long files first ----------------------------------------------------------------------
def pytest_collection_modifyitems(items):
    """Files with a test marked ``slow`` run first, longest first (``slow(seconds=N)``: the
    file's measured time; a bare ``slow`` counts as 30 s), the order within a file kept: when
    ``make test`` spreads the files over workers (``--dist loadfile --no-loadscope-reorder``,
    which keeps this order), a long file handed out last would run alone at the end while the
    other workers wait."""
    weight: dict = {}
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is not None:
            seconds = marker.kwargs.get("seconds", 30)
            weight[item.path] = max(weight.get(item.path, 0), seconds)
    items.sort(key=lambda item: -weight.get(item.path, 0))
