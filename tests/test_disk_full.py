"""A completely full disk says so (issue 13, point 12): on a real, small file system (a tmpfs
mounted for the test, filled to the last byte), every command says "disk full" (never "store
damaged"), the reading commands (status, balance, check) still work, and selling resumes by
itself once space is freed, in the command line and in a counter that stays open (the touch
app's path), without a restart. Mounting needs root, as on CI."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk import importer
from kiosk.config import PolicySection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge
from kiosk.store import open_store
from kiosk.ui import present
from kiosk.ui.flows import charge
from sync.common.errors import StoreError
from tests.smalldisk import small_disk  # noqa: F401  (a fixture)

DISK_FULL_EXIT = 6


def comptoir(folder, *args, operator=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(COMPTOIR_DATA=str(folder), COMPTOIR_LANG="fr")
    if operator:
        env.update(COMPTOIR_OPERATOR=operator, COMPTOIR_PIN=DEMO_PINS[operator])
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def says_disk_full(text: str) -> None:
    assert "Disque plein" in text, text
    assert "endommagé" not in text and "support" not in text, text


def test_full_disk_commands_say_so_reads_work_and_selling_resumes(small_disk, tmp_path):
    folder = small_disk.path / "terminal"
    assert comptoir(folder, "init", "--name", "Cantine 1").returncode == 0
    demo = tmp_path / "demo.json"                          # off the small disk
    assert comptoir(folder, "demo-data", "--students", "60", "--output", str(demo)).returncode == 0
    assert comptoir(folder, "import", str(demo)).returncode == 0
    sold = comptoir(folder, "sell", "--badge", Badge.EMMA, "SOUP", operator="Marie")
    assert sold.returncode == 0, sold.stderr

    small_disk.fill()
    status = comptoir(folder, "status")
    assert status.returncode == 0, status.stderr
    assert "Intégrité    \xa0: OK" in status.stdout
    assert "PLEIN" in status.stdout
    says_disk_full(status.stdout)
    balance = comptoir(folder, "balance", "--badge", Badge.EMMA)
    assert balance.returncode == 0, balance.stderr
    assert "24,00\u00a0€" in balance.stdout
    check = comptoir(folder, "check")
    assert check.returncode == 0, check.stderr
    assert "journal de 1 opérations vérifié" in check.stdout
    # The same badge again within seconds: confirmed as a second sale (what this test is
    # about is the disk, not the double-tap warning, which a fast machine would raise).
    refused = comptoir(folder, "sell", "--badge", Badge.EMMA, "SOUP", "--confirm", "double_tap",
                       operator="Marie")
    assert refused.returncode == DISK_FULL_EXIT, (refused.stdout, refused.stderr)
    says_disk_full(refused.stderr)
    assert refused.stdout == ""

    small_disk.free()
    again = comptoir(folder, "sell", "--badge", Badge.EMMA, "SOUP", "--confirm", "double_tap",
                     operator="Marie")
    assert again.returncode == 0, again.stderr
    assert "Vente n°2" in again.stdout and "23,00\u00a0€" in again.stdout
    status = comptoir(folder, "status")
    assert "PLEIN" not in status.stdout and "Mo libres" in status.stdout


@pytest.fixture
def school_on_small_disk(small_disk, demo_data, clock):
    path = small_disk.path / "comptoir.db"
    store = open_store(path, create=True)
    importer.apply(store, importer.parse(demo_data), clock.now())
    store.close()
    return path


CONFIG = TerminalConfig(policy=PolicySection(double_tap_seconds=0))


def sell_soup(service, session, uid):
    """The touch app's path: the paying screen's charge() and what the screen shows."""
    out = charge(service, uid, lambda confirm: service.sell(session, uid, {"SOUP": 1},
                                                            confirm=confirm))
    return out, present.outcome(out, "fr")


def test_open_counter_says_disk_full_then_sells_again_once_space_is_freed(
        small_disk, school_on_small_disk, clock):
    store = open_store(school_on_small_disk)
    try:
        service = CounterService(store, CONFIG, clock)
        marie = service.login("Marie", DEMO_PINS["Marie"])
        assert sell_soup(service, marie, Badge.EMMA)[0].result is not None
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # no room left in the log either
        small_disk.fill()

        out, shown = sell_soup(service, marie, Badge.EMMA)
        assert out.error is not None and out.error.code == "disk_full"
        says_disk_full(shown.reason)
        assert store.check_integrity().ok            # the monitor's check: intact, not damaged
        assert service.identify(Badge.EMMA).wallets[0].balance_cents == 2400

        small_disk.free()
        out, shown = sell_soup(service, marie, Badge.EMMA)
        assert out.result is not None, shown
        assert out.result.entry.seq == 2
        assert store.check_integrity(full=True).ok
    finally:
        store.close()


def test_counter_started_on_a_full_disk_reads_then_sells_once_space_is_freed(
        small_disk, school_on_small_disk, clock):
    small_disk.fill()
    store = open_store(school_on_small_disk)         # the touch app starting: not "damaged"
    try:
        assert store.health.ok
        service = CounterService(store, CONFIG, clock)
        marie = service.login("Marie", DEMO_PINS["Marie"])
        assert service.identify(Badge.EMMA).wallets[0].balance_cents == 2500
        out, shown = sell_soup(service, marie, Badge.EMMA)
        assert out.error is not None and out.error.code == "disk_full"
        says_disk_full(shown.reason)
        with pytest.raises(StoreError) as info:
            service.sell(marie, Badge.NOAH, {"SOUP": 1})
        assert info.value.code == "disk_full"

        small_disk.free()                               # no restart: the same service
        out, shown = sell_soup(service, marie, Badge.EMMA)
        assert out.result is not None, shown
        assert service.identify(Badge.EMMA).wallets[0].balance_cents == 2400
        assert store.check_integrity(full=True).ok
    finally:
        store.close()
