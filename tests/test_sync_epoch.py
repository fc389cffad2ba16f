"""A platform restart costs the terminals nothing; a restore from an older copy makes them
pull from scratch (issue 15, point 8). The platform runs as its own process (``comptoir
central serve``) on SQLite and PostgreSQL; the terminal is a real store with the real agent.

Marked slow: it starts the platform's process three times on each backend (about 15 s a
backend on a loaded machine), which a restart test cannot avoid.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sync import protocol
from sync.server.cli import main as central_main

from .test_sync_faults import Central, Terminal

pytestmark = pytest.mark.slow(seconds=45)


def _pages(t: Terminal) -> list[protocol.PullPage]:
    """Every pull page the terminal's client receives from now on."""
    seen: list[protocol.PullPage] = []
    get = t.client.get

    def recording_get(path, answer, params=None):
        result = get(path, answer, params=params)
        if path == protocol.CHANGES:
            seen.append(result)
        return result
    t.client.get = recording_get
    return seen


def _topup(central: Central, wallet: str, cents: int) -> None:
    assert central_main(["topup", "--db", str(central.db), "--wallet", wallet,
                         "--cents", str(cents)]) == 0


class Copies:
    """A copy of the stopped platform's database, and putting it back (either backend)."""

    def __init__(self, central_dbs, db: str, folder: Path):
        self.dbs, self.db, self.folder = central_dbs, db, folder
        self.name = db.rsplit("/", 1)[-1].removesuffix(".db")

    def save(self) -> None:
        if self.dbs.pg is None:
            shutil.copyfile(self.db, self.folder / "backup.db")
        else:
            self.dbs.pg.admin(f"CREATE DATABASE {self.name}_copy TEMPLATE {self.name}")
            self.dbs.made.append(f"{self.name}_copy")       # dropped with the others

    def restore(self) -> None:
        if self.dbs.pg is None:
            for suffix in ("-wal", "-shm"):
                Path(self.db + suffix).unlink(missing_ok=True)
            shutil.copyfile(self.folder / "backup.db", self.db)
        else:
            self.dbs.pg.drop_database(self.name)
            self.dbs.pg.admin(f"CREATE DATABASE {self.name} TEMPLATE {self.name}_copy")


def test_a_restart_costs_no_full_pull_and_a_restore_does(central_dbs, tmp_path):
    db = central_dbs.new()
    central = Central(tmp_path / "central", db=db)
    copies = Copies(central_dbs, db, tmp_path)
    t = None
    try:
        central.start()
        t = Terminal(tmp_path / "terminal", central, central.url, "Cantine 1")
        pages = _pages(t)
        school = t.agent.pull()
        assert school > 100 and pages[0].full

        central.stop()
        copies.save()
        central.start()                                 # a restart, then one wallet changed
        _topup(central, "W00001", 500)
        del pages[:]
        assert t.agent.pull() == 1
        assert [(p.full, len(p.wallets)) for p in pages] == [(False, 1)]
        assert t.shown_balances() == central.balances()

        central.stop()
        copies.restore()                                # the top-up is lost...
        central.start()
        _topup(central, "W00002", 700)                  # ...and its version handed out again
        del pages[:]
        assert t.agent.pull() >= school
        assert pages[0].full and not pages[-1].has_more
        server = central.balances()
        assert t.shown_balances() == server
    finally:
        if t:
            t.close()
        central.stop()
