"""The daemon's status is the truth while the platform refuses it, and a terminal re-enrolled
while its daemon runs is picked up without a restart (issue 15, point 6).

Over real loopback HTTP: the platform in-process (on SQLite: nothing of the platform changes
here), a terminal made by ``comptoir init`` and enrolled by ``comptoir enrol``, its daemon
(``Agent.run_forever``) in a thread on a manual clock, as ``comptoir sync --daemon`` runs it.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk import lookups
from kiosk.config import TerminalConfig
from kiosk.store import open_store
from kiosk.ui import sync_status
from kiosk.ui.texts import tr
from sync.agent import Agent, load_credentials
from sync.client import Client
from sync.common.clock import ManualClock
from sync.server.cli import main as central_main
from sync.server.storage import CentralStore

from .loopback import Served
from .test_sync_e2e import comptoir

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("central") / "central.db")
    assert central_main(["init", "--db", db, "--school", "Institut Saint-Michel"]) == 0
    assert central_main(["demo-data", "--db", db, "--students", "20"]) == 0
    store = CentralStore(db)
    served = Served(store)
    try:
        yield store, served.url
    finally:
        served.stop()
        store.close()


def _wait_for(what, predicate, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what()
        time.sleep(0.01)


def test_a_revoked_daemon_says_so_and_a_new_enrolment_is_picked_up_running(platform, tmp_path):
    central, url = platform
    folder = tmp_path / "terminal"
    comptoir("init", "--name", "Accueil", data=folder)
    comptoir("enrol", url, central.create_enrol_code(central.school_id(), "Accueil"), data=folder)
    store = open_store(folder / "comptoir.db")
    creds = load_credentials(folder)
    client = Client(creds.url, creds.token)
    clock = ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=BRUSSELS))
    agent = Agent(store, client, TerminalConfig(), clock)     # the daemon's own backoff
    stop = threading.Event()
    daemon = threading.Thread(target=agent.run_forever, args=(stop, 0.01), daemon=True)

    def state() -> tuple:
        return (store.sync_state("status"), store.sync_state("last_error"))

    def bar() -> str:
        return sync_status.sync_text(lookups.terminal_status(store, True),
                                     lambda key, **p: tr(key, "fr", **p), "fr")[0]
    try:
        daemon.start()
        _wait_for(state, lambda: store.sync_state("status") == "online")
        central.revoke(store.device_id)
        clock.advance(seconds=31)           # the heartbeat is due: the daemon meets the refusal
        _wait_for(state, lambda: store.sync_state("status") != "online")
        assert store.sync_state("status") == "revoked", state()
        assert bar() == "Révoqué par la plateforme\xa0: réenrôler"
        shown = comptoir("status", data=folder).stdout
        assert "RÉVOQUÉ par la plateforme\xa0: enrôlez à nouveau ce terminal" in shown, shown
        # a while later, after several refused rounds: still said, never "online"
        for _ in range(3):
            clock.advance(seconds=31)
            time.sleep(0.05)
            assert store.sync_state("status") == "revoked", state()

        # The office gives a new code; it is typed on the terminal while the daemon runs.
        comptoir("enrol", url, central.create_enrol_code(central.school_id(), "Accueil"),
                 data=folder)
        _wait_for(state, lambda: store.sync_state("status") == "online", seconds=10)
        assert bar().startswith("En ligne")
        assert client.session.headers["Authorization"] == \
            f"Bearer {load_credentials(folder).token}"
    finally:
        stop.set()
        daemon.join(timeout=30)
        client.close()
        store.close()
    assert not daemon.is_alive()
