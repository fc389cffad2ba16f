"""The backup and restore drill (issue 18, point 4), end to end on real parts: the reference
platform as its own process on loopback HTTP, a real terminal store, the real sync agent and
the real command line. Sell, back up (to a USB key: a file system of its own), sell more and
push, lose the disk (the data folder deleted), restore from the key, enrol again, sync:
nothing lost, nothing doubled (the platform's journal and the terminal's, entry for entry;
the balances), and the terminal sells again. And a damaged store, the token still there:
``comptoir restore`` alone puts the newest backup back and fetches back what it lacks."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import backup
from kiosk.backup_status import last_backup
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.counter import CounterService
from kiosk.demo.school import Badge
from kiosk.store import open_store
from sync.agent import Agent, load_credentials
from sync.client import Client
from sync.server.storage import CentralStore

from .smalldisk import small_disk  # noqa: F401 -- a fixture
from .test_backups import damage
from .test_sync_faults import Central, Terminal

EMMA_WALLET = "W00001"
# Two drills against one platform process, with command-line subprocesses: some 50 s here.
pytestmark = pytest.mark.slow(seconds=50)


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    c = Central(tmp_path_factory.mktemp("central"))
    c.start()
    yield c
    c.stop()


def terminal(central: Central, folder: Path, name: str, usb: Path | None = None) -> Terminal:
    """A real enrolled terminal whose ``terminal.toml`` backs up to ``usb`` too."""
    t = Terminal(folder, central, central.url, name)
    (folder / "terminal.toml").write_text(
        f'[terminal]\nname = "{name}"\n'
        "[policy]\noverdraft_limit_cents = 1000000000\ndouble_tap_seconds = 0\n"
        "offline_daily_cap_cents = 1000000000\n"
        + (f'[backup]\nsecond_folder = "{usb}"\n' if usb else ""), encoding="utf-8")
    t.config = load_config(folder / "terminal.toml")
    t.service = CounterService(t.store, t.config)
    t.agent = Agent(t.store, t.client, t.config)
    assert t.agent.run_once(full=True)["waiting"] == 0
    t.login()
    return t


def sell(t: Terminal, count: int) -> list[int]:
    return [t.service.sell(t.marie, Badge.EMMA, {"SOUP": 1}).entry.seq for _ in range(count)]


def reopen(t: Terminal) -> None:
    """The terminal started again on what is now in its data folder."""
    folder = t.store.path.parent
    t.store = open_store(folder / "comptoir.db")
    t.client = Client(load_credentials(folder).url, load_credentials(folder).token)
    t.service = CounterService(t.store, t.config)
    t.agent = Agent(t.store, t.client, t.config)
    t.login()


def assert_nothing_lost_nothing_doubled(central: Central, t: Terminal) -> None:
    assert [tuple(r) for r in central.journal(t.device_id)] == [tuple(r) for r in t.journal()]
    mine = t.store.conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0)"
                                " FROM postings").fetchone()
    theirs = central.query("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM postings"
                           " WHERE device_id = ?", (t.device_id,))[0]
    assert tuple(theirs) == tuple(mine)
    (shown,) = [w for w in t.service.wallets_of("S00001") if w.id == EMMA_WALLET]
    assert shown.balance_cents == central.balances()[EMMA_WALLET]


def test_the_drill_sell_back_up_sell_more_lose_the_disk_restore_sync(central, tmp_path,
                                                                     small_disk, capsys):  # noqa: F811
    data, usb = tmp_path / "terminal", small_disk.path
    t = terminal(central, data, "Drill 1", usb)
    before = central.balances()[EMMA_WALLET]
    sell(t, 3)
    t.agent.run_once()
    sell(t, 2)                                          # not pushed yet: in the backup only
    assert main(["--data", str(data), "--lang", "en", "backup"]) == 0
    (on_key,) = backup.backups_in(usb)
    assert on_key.name.endswith("-seq5.db")
    sell(t, 3)
    t.service.void(t.luc, 7, reason="erreur")           # entry 9
    assert t.agent.run_once()["waiting"] == 0
    assert central.high_water(t.device_id)[0] == 9
    device_id = t.device_id
    t.close()
    shutil.rmtree(data)                                 # the disk is lost: store, token, config
    capsys.readouterr()

    started = time.monotonic()
    assert main(["--data", str(data), "--lang", "en", "restore"]) == 3     # nowhere to look
    assert "No backup found" in capsys.readouterr().err
    assert main(["--data", str(data), "--lang", "en", "restore", str(on_key)]) == 0
    out = capsys.readouterr().out
    assert "journal up to entry no. 5" in out and "comptoir enrol" in out, out
    with CentralStore(central.db) as store:             # the office: a code to replace it
        code = store.create_enrol_code(central.school_id, "Drill 1", replaces=device_id)
    for command in (["enrol", central.url, code], ["sync", "--once"]):   # as the volunteer does
        done = subprocess.run([sys.executable, "-m", "kiosk.cli", "--data", str(data), *command],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        assert done.returncode == 0, done.stderr
    restore_seconds = time.monotonic() - started
    reopen(t)
    assert t.store.device_id == device_id and t.store.health.ok
    assert [r[0] for r in t.journal()] == list(range(1, 10))
    assert_nothing_lost_nothing_doubled(central, t)
    assert central.balances()[EMMA_WALLET] - before == -100 * 7     # 8 sales, 1 voided: once
    assert sell(t, 1) == [10]                           # the terminal sells again
    assert t.agent.run_once()["waiting"] == 0 and central.high_water(t.device_id)[0] == 10
    assert_nothing_lost_nothing_doubled(central, t)
    assert main(["--data", str(data), "backup"]) == 0
    status = subprocess.run([sys.executable, "-m", "kiosk.cli", "--data", str(data), "--lang",
                             "en", "status"], capture_output=True, text=True, timeout=120)
    assert "up to entry no. 10: " in status.stdout, status.stdout       # the last backup
    assert restore_seconds < 60
    t.close()


def test_a_damaged_store_restore_alone_fetches_back_what_the_backup_lacks(central, tmp_path,
                                                                          capsys):
    data = tmp_path / "terminal"
    t = terminal(central, data, "Drill 2")
    sell(t, 4)
    t.agent.run_once()
    assert main(["--data", str(data), "backup"]) == 0   # entries 1..4
    sell(t, 40)
    assert t.agent.run_once()["waiting"] == 0           # the platform holds 1..44
    t.close()
    damage(data / "comptoir.db")
    capsys.readouterr()
    assert main(["--data", str(data), "--lang", "en", "restore"]) == 0     # no --force needed
    out = capsys.readouterr().out
    assert "40 entry(ies) fetched back from the platform" in out, out
    assert "nothing lost, nothing doubled" in out and "kept as" in out
    reopen(t)
    assert t.store.health.ok and [r[0] for r in t.journal()] == list(range(1, 45))
    assert last_backup(t.store)["seq"] == 44        # backed up again once whole
    assert_nothing_lost_nothing_doubled(central, t)
    assert sell(t, 1) == [45] and t.agent.run_once()["waiting"] == 0
    assert_nothing_lost_nothing_doubled(central, t)
    t.close()
