"""A terminal put back from a backup recovers instead of forking (issue 15, point 2).

The restore drill, end to end: the reference platform runs as its own process on loopback
HTTP (``comptoir central serve``, on SQLite and on PostgreSQL); the terminal is a real store
with the real counter service and sync agent. Sell, copy the store file with SQLite's backup
API, sell more and push, put the copy back, start: the entries come back from the platform,
nothing is lost, nothing is doubled, the next sale continues the chain and is accepted. Also:
the copy put back while cut off from the platform sells on a fork (those sales reach the
platform once, flagged for the office), a cut tail recovered the same way, and pulls that go
on while the platform refuses every push."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk import journal
from kiosk.counter import CounterService
from kiosk.demo.school import Badge
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent, load_credentials
from sync.client import Client, Offline, Refused
from sync.common.errors import StoreError
from sync.server import ledger
from sync.server.cli import main as central_main
from sync.server.storage import CentralStore

from .test_chain_anchors import cut_tail
from .test_sync_faults import TIMEOUT, Central, Terminal, free_port

EMMA_WALLET = "W00001"
# Five drills on two platforms (a server process each, PostgreSQL's included): some 35 s on a
# loaded machine, so the file starts first when make test spreads the files (conftest.py).
pytestmark = pytest.mark.slow(seconds=60)


@pytest.fixture(scope="module")
def central(central_dbs, tmp_path_factory):
    """One platform per backend for the module; each test enrols a terminal of its own."""
    c = Central(tmp_path_factory.mktemp("central"), central_dbs.new())
    c.start()
    yield c
    c.stop()


@pytest.fixture
def terminal(central, tmp_path, request):
    t = Terminal(tmp_path / "terminal", central, central.url, request.node.name[:40])
    assert t.agent.run_once(full=True)["waiting"] == 0
    t.login()
    yield t
    t.close()


def sell(t: Terminal, count: int) -> list[int]:
    return [t.service.sell(t.marie, Badge.EMMA, {"SOUP": 1}).entry.seq for _ in range(count)]


def backup(t: Terminal) -> bytes:
    """The store file copied while it is open, with SQLite's online backup API."""
    copy = t.store.path.with_name("backup.db")
    src, dst = sqlite3.connect(t.store.path), sqlite3.connect(copy)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return copy.read_bytes()


def put_back(t: Terminal, copy: bytes | None, client: Client | None = None) -> None:
    """Stop the terminal, put the copy in place of its store, start it again."""
    path = t.store.path
    t.store.close()
    if copy is not None:
        for extra in ("-wal", "-shm"):
            path.with_name(path.name + extra).unlink(missing_ok=True)
        path.write_bytes(copy)
    t.store = open_store(path)
    t.service = CounterService(t.store, t.config)
    t.agent = Agent(t.store, client or t.client, t.config)
    t.login()


def restart(t: Terminal) -> None:
    put_back(t, None, client=t.agent.client)


def platform_total(central: Central, device_id: str) -> tuple[int, int]:
    return tuple(central.query("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM postings"
                               " WHERE device_id = ?", (device_id,))[0])


def assert_same_journal(central: Central, t: Terminal) -> None:
    """The platform holds this terminal's journal entry for entry, and nothing else."""
    assert [tuple(r) for r in central.journal(t.device_id)] == [tuple(r) for r in t.journal()]
    mine = t.store.conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0)"
                                " FROM postings").fetchone()
    assert platform_total(central, t.device_id) == tuple(mine)


def test_a_store_put_back_from_a_backup_gets_its_entries_back(central, terminal):
    t = terminal
    before = central.balances()[EMMA_WALLET]
    sell(t, 3)
    t.agent.run_once()
    copy = backup(t)                                   # yesterday's copy: entries 1..3
    sell(t, 3)
    t.service.void(t.luc, 5, reason="erreur")
    assert t.agent.run_once()["waiting"] == 0          # the platform holds 1..7
    assert central.high_water(t.device_id)[0] == 7
    put_back(t, copy)
    assert t.store.health.ok        # nothing in the copy itself tells: only the platform knows

    assert t.agent.run_once()["waiting"] == 0          # the start: entries 4..7 come back
    assert [r[0] for r in t.journal()] == list(range(1, 8))
    assert_same_journal(central, t)
    assert t.store.check_integrity(full=True).ok
    assert t.store.conn.execute("SELECT COUNT(*) FROM journal_forks").fetchone()[0] == 0
    (seq,) = sell(t, 1)                                # the chain goes on, accepted
    assert seq == 8
    assert t.agent.run_once()["waiting"] == 0 and central.high_water(t.device_id)[0] == 8
    assert_same_journal(central, t)
    after = central.balances()[EMMA_WALLET]
    assert after - before == -100 * 6                  # 7 sales, one voided: once each
    (shown,) = [w for w in t.service.wallets_of("S00001") if w.id == EMMA_WALLET]
    assert shown.balance_cents == after


def test_a_copy_put_back_while_offline_sells_on_a_fork_flagged_never_lost(central, terminal,
                                                                          capsys):
    t = terminal
    before = central.balances()[EMMA_WALLET]
    sell(t, 2)
    t.agent.run_once()
    copy = backup(t)                                   # entries 1..2
    t.service.void(t.luc, 1, reason="erreur")          # 3 voids 1
    sell(t, 2)
    t.agent.run_once()                                 # the platform holds 1..5
    dead = Client(f"http://127.0.0.1:{free_port()}", load_credentials(
        t.store.path.parent).token, timeout=TIMEOUT)
    put_back(t, copy, client=dead)                     # cut off: it cannot know
    with pytest.raises(Offline):
        t.agent.run_once()
    t.service.void(t.luc, 1, reason="erreur")          # on a fork: 3' voids 1 again
    forked = sell(t, 2)                                # 4' and 5'
    t.service.void(t.luc, forked[1], reason="erreur")  # 6' voids 5'
    assert forked == [4, 5]
    dead.close()
    t.agent.client = t.client                          # back online

    t.agent.run_once()
    # the platform's 3..5 in place, then the fork's 4', 5', 6' sold again as 6, 7, 8; 3'
    # not: sale 1 was voided by the platform's 3 already (a sale is voided once)
    assert [r[0] for r in t.journal()] == list(range(1, 9))
    assert_same_journal(central, t)
    assert t.store.check_integrity(full=True).ok
    void = journal.get(t.store.conn, 8)
    assert void.kind == "void" and void.ref_seq == 7 and void.data["fork"]["seq"] == 6
    assert [r[0] for r in t.store.conn.execute(
        "SELECT replayed_seq FROM journal_forks ORDER BY seq")] == [None, 6, 7, 8]
    flagged = central.query("SELECT seq, forked_seq FROM chain_forks WHERE device_id = ?"
                            " ORDER BY seq", (t.device_id,))
    assert [tuple(r) for r in flagged] == [(6, 4), (7, 5), (8, 6)]
    after = central.balances()[EMMA_WALLET]
    assert after - before == -100 * 4                  # 6 sales, 2 voided: once each
    assert t.agent.run_once()["pushed"] == 0           # nothing applied twice
    assert central.balances()[EMMA_WALLET] == after
    (seq,) = sell(t, 1)
    assert seq == 9 and t.agent.run_once()["waiting"] == 0
    assert_same_journal(central, t)
    assert central_main(["forks", "--db", str(central.db), "--lang", "en"]) == 0
    listing = capsys.readouterr().out
    assert "out of date" in listing and t.config.terminal.name[:20] in listing, listing
    from sync.server.problems import problems  # the office's list of problems too
    with CentralStore(central.db) as store:
        forks = [(p.seq, p.device_id) for p in problems(store, store.school_id())
                 if p.kind == "fork"]
    assert forks == [(6, t.device_id), (7, t.device_id), (8, t.device_id)]


def cut_at_second_page(t, monkeypatch):
    """The agent fetches entries back in pages of two and the link goes at the second page;
    returns the client's own ``get`` (to put back once the link is back)."""
    from kiosk import recovery
    monkeypatch.setattr(recovery, "MAX_JOURNAL_ENTRIES", 2)
    get, pages = t.client.get, []

    def cut(path, answer, params=None):
        if path == protocol.JOURNAL and params["limit"] == 2:
            pages.append(params["after"])
            if len(pages) == 2:
                raise Offline(detail="cut")
        return get(path, answer, params=params)
    t.client.get = cut                      # the agent's client
    return get


def test_cut_off_while_fetching_back_sells_nothing_until_the_entries_are_back(
        central, terminal, monkeypatch):
    """The first page checked out, then the link went: the platform's mark is kept in the
    store, every sale is refused (this process, the next start), the next contact ends it."""
    t = terminal
    sell(t, 1)
    t.agent.run_once()
    copy = backup(t)
    sell(t, 5)
    t.agent.run_once()                                 # the platform holds 1..6
    put_back(t, copy)
    cut_at_second_page(t, monkeypatch)
    with pytest.raises(Offline):
        t.agent.run_once()
    assert t.store.health.code == "journal_behind"
    with pytest.raises(StoreError) as refused:
        sell(t, 1)
    assert "plateforme" in refused.value.message("fr")
    restart(t)
    assert t.store.health.code == "journal_behind"     # a restart does not forget it
    t.agent.run_once()                                 # the link is back
    assert t.store.health.ok and [r[0] for r in t.journal()] == list(range(1, 7))
    assert sell(t, 1) == [7] and t.agent.run_once()["waiting"] == 0
    assert_same_journal(central, t)


def test_a_running_app_stops_selling_once_the_daemon_finds_the_platform_ahead(central, terminal,
                                                                             monkeypatch):
    """The touch app opened the copy put back before the daemon's first contact: healthy, it
    would sell. The daemon's fetch is cut after its first page (the platform's head recorded);
    within a few seconds the app refuses to sell, and sells again once the entries are back."""
    t = terminal
    sell(t, 1)
    t.agent.run_once()
    copy = backup(t)
    sell(t, 5)
    t.agent.run_once()                                 # the platform holds 1..6
    put_back(t, copy)
    app = open_store(t.store.path)                     # the touch app: nothing to see yet
    try:
        assert app.health.ok
        get = cut_at_second_page(t, monkeypatch)
        with pytest.raises(Offline):
            t.agent.run_once()
        assert app.health.ok                           # read a moment ago: not yet
        app._recheck_at = 0.0                          # a few seconds later
        assert app.health.code == "journal_behind"
        t.service = CounterService(app, t.config)
        t.login()
        with pytest.raises(StoreError):
            sell(t, 1)
        t.client.get = get
        t.agent.run_once()                             # the link is back: the entries too
        app._recheck_at = 0.0
        assert app.health.ok and sell(t, 1) == [7]
    finally:
        app.close()


def test_a_cut_tail_comes_back_from_the_platform(central, terminal):
    t = terminal
    sell(t, 5)
    t.agent.run_once()
    path = t.store.path
    t.store.close()
    cut_tail(path, keep=3)
    app = open_store(path)          # the touch app, started first: blocked
    try:
        assert app.health.code == "journal_cut"
        t.store = open_store(path)      # the sync daemon
        t.service = CounterService(app, t.config)
        t.agent = Agent(t.store, t.client, t.config)
        t.login()
        with pytest.raises(StoreError):
            sell(t, 1)
        t.agent.run_once()
        assert t.store.health.ok and [r[0] for r in t.journal()] == [1, 2, 3, 4, 5]
        app._recheck_at = 0.0           # the app looks again (every few seconds): it sells
        assert sell(t, 1) == [6] and t.agent.run_once()["waiting"] == 0
        assert_same_journal(central, t)
    finally:
        app.close()


def test_pulls_go_on_while_the_platform_refuses_every_push(central, terminal):
    """An entry the platform cannot take (a wallet it does not know): every push is refused,
    and top-ups still reach the terminal."""
    t = terminal
    with t.store.write() as conn:
        journal.append(conn, device_id=t.device_id, kind="sale", ts="2026-11-24T11:00:00Z",
                       day="2026-11-24", operator_id="op", student_id="S00001",
                       postings=[("W-NOWHERE", -100)])
    with CentralStore(central.db) as store:
        ledger.topup(store, central.school_id, EMMA_WALLET, 700, "espèces")
    platform = central.balances()[EMMA_WALLET]
    for _ in range(2):
        with pytest.raises(Refused):
            t.agent.run_once()
    (shown,) = [w for w in t.service.wallets_of("S00001") if w.id == EMMA_WALLET]
    assert shown.balance_cents == platform
    with pytest.raises(Refused):
        t.agent.run_once(full=True)


def test_the_restore_procedure_is_documented():
    text = (Path(__file__).parent.parent / "docs" / "restore.md").read_text(encoding="utf-8")
    assert "comptoir sync --once" in text and "comptoir central forks" in text
