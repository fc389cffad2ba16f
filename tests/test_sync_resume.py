"""A full pull cut off goes on from its cursor, in the daemon too; the data's age moves only
when a pull completes; an unfinished pull shows how far it got (issue 15, point 7).

Over real loopback HTTP: the platform (in-process, on SQLite: nothing of the platform
changes here) with a 4,000-student school (about 160 kB of pull pages, gzip), and a fault
proxy (tests/faultproxy.py) between it and the terminal that cuts the link after every
120 kB. A pull that starts again from zero after each cut never ends on such a link.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk import lookups, pull_progress
from kiosk.config import TerminalConfig
from kiosk.store import open_store
from kiosk.ui import sync_status
from kiosk.ui.texts import tr
from sync.agent import Agent, enrol
from sync.client import Client, SyncError
from sync.common.clock import ManualClock, iso_utc
from sync.common.retry import Backoff
from sync.server.cli import main as central_main
from sync.server.storage import CentralStore

from .faultproxy import FaultProxy
from .loopback import Served
from .test_sync_e2e import comptoir

STUDENTS = 4000
SCHOOL = 3 * STUDENTS - 1           # students, badges, wallets (one student has none)
LINK_BYTES = 120_000
BRUSSELS = ZoneInfo("Europe/Brussels")

# About 30 s on a loaded machine: a 4,000-student school and two pulls over a cut link each.
pytestmark = pytest.mark.slow(seconds=60)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """The platform with a big school, behind a proxy that lets everything through (a test
    sets the cuts)."""
    db = str(tmp_path_factory.mktemp("central") / "central.db")
    assert central_main(["init", "--db", db, "--school", "Institut Saint-Michel"]) == 0
    assert central_main(["demo-data", "--db", db, "--students", str(STUDENTS)]) == 0
    store = CentralStore(db)
    served = Served(store)
    proxy = FaultProxy(int(served.url.rsplit(":", 1)[1])).start()
    try:
        yield store, proxy
    finally:
        proxy.stop()
        served.stop()
        store.close()


class Terminal:
    """A terminal made by ``comptoir init``, enrolled through the proxy, with its agent on a
    manual clock and a backoff of a few milliseconds (the test waits for no real time)."""

    def __init__(self, folder, platform, clock: ManualClock):
        central, proxy = platform
        comptoir("init", "--name", "Cantine", data=folder)
        self.folder = folder
        self.store = open_store(folder / "comptoir.db")
        creds = enrol(self.store, folder, proxy.url,
                      central.create_enrol_code(central.school_id(), "Cantine"))
        self.client = Client(creds.url, creds.token)
        self.agent = Agent(self.store, self.client, TerminalConfig(), clock,
                           Backoff(base=0.01, factor=2, cap=0.05))

    def state(self, key: str) -> str | None:
        return self.store.sync_state(key)

    def holders(self) -> int:
        """Students, badges and wallets held: the whole school has 3 * STUDENTS - 1."""
        return sum(self.store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                   for table in ("students", "badges", "wallets"))

    def close(self) -> None:
        self.client.close()
        self.store.close()


def test_a_cut_first_pull_says_how_far_it_got_and_goes_on_from_there(platform, tmp_path):
    _, proxy = platform
    clock = ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=BRUSSELS))
    t = Terminal(tmp_path / "terminal", platform, clock)
    try:
        proxy.cut_every(LINK_BYTES)
        cuts = proxy.cuts
        with pytest.raises(SyncError) as cut:
            t.agent.run_once()
        assert cut.value.code in ("offline", "garbage_answer") and proxy.cuts == cuts + 1
        # Part of the school is here, the data has no age yet, and both screens say so.
        progress = pull_progress.read(t.state(pull_progress.KEY))
        assert progress is not None and progress.full
        assert 0 < progress.records < 3 * STUDENTS and 60_000 < progress.bytes <= LINK_BYTES
        assert 0 < t.holders() < SCHOOL
        assert t.state("last_pull_at") is None
        shown = comptoir("status", data=t.folder).stdout
        assert (f"école incomplète\xa0: {progress.records} enregistrement(s),"
                f" {pull_progress.size_text(progress.bytes, 'fr')} reçus jusqu'ici") in shown, shown
        bar, _ = sync_status.sync_text(lookups.terminal_status(t.store, True),
                                       lambda key, **p: tr(key, "fr", **p), "fr")
        assert f"école incomplète ({progress.records} enregistrements" in bar, bar

        clock.advance(minutes=1)
        t.agent.run_once()                      # goes on from its cursor, and ends
        assert t.holders() == SCHOOL and t.state(pull_progress.KEY) == ""
        assert t.state("last_pull_at") == iso_utc(clock.now())
        assert "Réception" not in comptoir("status", data=t.folder).stdout
    finally:
        proxy.cut_every(None)
        t.close()


def test_the_daemons_nightly_full_pull_resumes_after_each_cut(platform, tmp_path):
    _, proxy = platform
    clock = ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=BRUSSELS))
    t = Terminal(tmp_path / "terminal", platform, clock)
    stop = threading.Event()
    daemon = threading.Thread(target=t.agent.run_forever, args=(stop, 0.01), daemon=True)
    try:
        t.agent.run_once()                      # a whole link: the school, at 02:00
        before = t.state("last_pull_at")
        assert t.holders() == SCHOOL and before == iso_utc(clock.now())

        clock.advance(minutes=31)               # 02:31: the nightly full pull is due
        proxy.cut_every(LINK_BYTES)
        cuts = proxy.cuts
        started = time.monotonic()
        daemon.start()
        seen = []                               # (records so far, the data's age) meanwhile
        deadline = time.monotonic() + 60
        while t.state("nightly_done_on") != "2026-11-26":
            assert time.monotonic() < deadline, ("the nightly pull never ended", seen[-5:])
            progress = pull_progress.read(t.state(pull_progress.KEY))
            if progress is not None:
                seen.append((progress.records, t.state("last_pull_at")))
            time.sleep(0.005)
        print({"cuts": proxy.cuts - cuts, "seconds": round(time.monotonic() - started, 1),
               "records before the last cut": max(records for records, _ in seen)})
        assert proxy.cuts > cuts                # it was cut, and went on
        assert seen and all(age == before for _, age in seen)   # old data says it is old
        assert t.state(pull_progress.KEY) == "" and t.state("status") == "online"
        assert t.state("last_pull_at") == iso_utc(clock.now())
    finally:
        stop.set()
        if daemon.is_alive():
            daemon.join(timeout=30)
        proxy.cut_every(None)
        t.close()
