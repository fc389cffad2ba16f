"""Badge decisions end to end, on the platform's SQLite backend only (issue 13, point 1): the
office's unblock, a block made offline, decisions made in one order and received in another.
The order of decisions is kept in Python (``sync.server.badges``), the same on both backends;
PostgreSQL runs the issue's own scenario and the platform's side of decisions in
test_badge_blocks.py. Same parts as there: two terminal stores driven through their
`comptoir` commands and the real sync agent, `comptoir central serve` over loopback HTTP."""
from __future__ import annotations

import pytest

from kiosk.demo.school import Badge

from .test_badge_blocks import (  # noqa: F401  (fixtures used by name)
    LUC,
    REFUSED,
    platform,
    refused_as_blocked,
    sell_soup,
    terminals,
)
from .test_sync_e2e import comptoir

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=560)


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"


def test_office_unblock_reaches_both_terminals(platform, terminals):
    t1, t2 = terminals
    done = comptoir("badge", "block", "--badge", Badge.CHLOE, data=t1, **LUC).stdout
    assert "Badge 04BEEF02 de Chloé" in done and "bloqué\xa0: refusé ici dès maintenant" in done, done
    assert "et sur toutes les caisses dès leur prochaine synchronisation" in done, done
    comptoir("sync", "--once", data=t1)
    comptoir("sync", "--once", data=t2)
    refused_as_blocked(t2, Badge.CHLOE)

    said = platform.central("badge", "unblock", "--uid", Badge.CHLOE.lower()).stdout
    assert "débloqué" in said and "prochaine synchronisation" in said, said
    assert platform.badge_status(Badge.CHLOE) == "active"
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
        sell_soup(folder, Badge.CHLOE)


def test_block_made_offline_survives_a_full_resync_before_its_push(platform, terminals):
    from kiosk.store import open_store
    from sync.agent import Agent, load_credentials
    from sync.client import Client

    t1, t2 = terminals
    platform.stop()                               # T1 cannot reach the platform
    try:
        comptoir("badge", "block", "--badge", Badge.NOAH, data=t1, **LUC)
        offline = comptoir("sync", "--once", data=t1, check_rc=None)
        assert offline.returncode != 0
    finally:
        platform.start()
    # A full resync that runs before the block is pushed: the platform still says "active".
    store = open_store(t1 / "comptoir.db")
    client = Client(load_credentials(t1).url, load_credentials(t1).token)
    try:
        agent = Agent(store, client)
        assert agent.pull(full=True) > 0 and agent.waiting() == 1      # the block, not pushed
    finally:
        client.close()
        store.close()
    assert platform.badge_status(Badge.NOAH) == "active"
    out = comptoir("balance", "--badge", Badge.NOAH, data=t1, check_rc=REFUSED)
    assert "Badge bloqué" in out.stderr

    comptoir("sync", "--once", data=t1)           # pushed at last: then the platform's truth
    assert platform.badge_status(Badge.NOAH) == "blocked"
    comptoir("sync", "--full", data=t1)
    comptoir("sync", "--once", data=t2)
    for folder in (t1, t2):
        comptoir("balance", "--badge", Badge.NOAH, data=folder, check_rc=REFUSED)


def test_decisions_converge_to_the_one_made_last(platform, terminals):
    """Decisions count in the order they were made, not the order they reach the platform
    (``sync.server.badges``): a decision that arrives after a later one changes nothing, and
    once its push is acknowledged the terminal that made it shows the platform's state."""
    t1, t2 = terminals
    # Block, then unblock: T1 blocks without syncing (offline), T2 blocks and syncs, the office
    # unblocks (the badge was found); T1's older block arrives last.
    comptoir("badge", "block", "--badge", Badge.LINA, data=t1, **LUC)
    comptoir("badge", "block", "--badge", Badge.LINA, data=t2, **LUC)
    comptoir("sync", "--once", data=t2)
    platform.central("badge", "unblock", "--uid", Badge.LINA)
    comptoir("sync", "--once", data=t1)
    assert platform.badge_status(Badge.LINA) == "active"
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
        comptoir("balance", "--badge", Badge.LINA, data=folder)

    # Unblock, then block: the office blocks (stolen), both terminals sync; T1 unblocks without
    # syncing, then the office blocks again; T1's older unblock arrives last.
    platform.central("badge", "block", "--uid", Badge.LINA)
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
    comptoir("badge", "unblock", "--badge", Badge.LINA, data=t1, **LUC)
    comptoir("balance", "--badge", Badge.LINA, data=t1)          # here at once
    again = platform.central("badge", "block", "--uid", Badge.LINA).stdout
    assert "déjà bloqué" in again, again
    comptoir("sync", "--once", data=t1)
    assert platform.badge_status(Badge.LINA) == "blocked"
    for folder in (t1, t2):
        comptoir("sync", "--once", data=folder)
        comptoir("balance", "--badge", Badge.LINA, data=folder, check_rc=REFUSED)
