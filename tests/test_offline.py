"""The floor limit (kiosk.offline) at the counter, on a real store: when the terminal counts
as cut off from the platform, what it sells per wallet that the platform has not seen, and
what the staff read when a sale is refused. The store's ``sync_state`` is written here as the
sync agent writes it (its side is tested over loopback in tests/test_offline_bound.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk import offline
from kiosk.demo.school import Badge
from sync.common.clock import iso_utc
from sync.common.errors import Refusal
from sync.common.messages import render

EMMA_WALLET = "W00001"      # 25,00 €


def agent_wrote(store, **values) -> None:
    """What ``sync.agent`` records after its exchanges (None: the key is absent)."""
    with store.write() as conn:
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))
            else:
                store.set_kv(conn, "sync_state", key, value)


def cut_off(store, clock, allowance=500, terminals=3, pushed_seq=None) -> None:
    """A pull a minute ago brought A and N; the agent's last exchange just failed."""
    now = clock.now()
    agent_wrote(store, last_success_at=iso_utc(now - timedelta(minutes=1)),
                last_error_at=iso_utc(now - timedelta(seconds=2)),
                offline_allowance_cents=allowance, offline_terminals=terminals,
                pushed_seq=pushed_seq)


def online(store, clock) -> None:
    agent_wrote(store, last_success_at=iso_utc(clock.now()),
                pushed_seq=store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


def refused(call, *args, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as e:
        call(*args, **kwargs)
    return e.value


def test_cut_off_terminal_sells_only_its_share_per_wallet(service, store, clock, marie):
    cut_off(store, clock)                       # 5,00 € shared by 3 terminals: 1,66 € each
    assert not offline.reach(store.conn, clock.now()).reachable
    service.sell(marie, Badge.EMMA, {"SOUP": 1})                       # 1,00 €
    clock.advance(5)
    error = refused(service.sell, marie, Badge.EMMA, {"APPLE": 2})     # 2,00 € > 1,66 €
    assert error.code == "offline_limit"
    assert error.params == {"wallet": "Portefeuille", "cap_cents": 166, "left_cents": 66}
    assert error.message("fr") == ("Hors ligne\xa0: plafond hors ligne de 1,66\xa0€ atteint pour"
                                   " «\xa0Portefeuille\xa0» (reste 0,66\xa0€).")
    assert error.message("nl") == ("Offline: offlinelimiet van €\xa01,66 bereikt voor"
                                   " 'Portefeuille' (nog €\xa00,66).")
    assert error.message("en") == ("Offline: offline limit of €1.66 reached for 'Portefeuille'"
                                   " (€0.66 left).")
    service.sell(marie, Badge.EMMA, {"APPLE": 1})       # 1,50 € of 1,66 €
    assert service.wallets_of("S00001")[0].balance_cents == 2500 - 150
    # Other wallets have their own share: the limit is per wallet, not per terminal.
    assert service.sell(marie, Badge.LOUIS_RESERVED, {"SOUP": 1}).total_cents == 100


def test_the_share_is_reached_exactly(service, store, clock, marie):
    cut_off(store, clock, allowance=300, terminals=2)              # 1,50 € each
    service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 1})      # exactly 1,50 €: allowed
    clock.advance(5)
    error = refused(service.sell, marie, Badge.EMMA, {"APPLE": 1})
    assert (error.params["cap_cents"], error.params["left_cents"]) == (150, 0)


def test_reachable_terminal_sells_the_whole_balance(service, store, clock, marie):
    online(store, clock)
    assert offline.reach(store.conn, clock.now()) == (True, "online", 0, 0)
    assert service.sell(marie, Badge.EMMA, {"SANDW-HAM": 5}).total_cents == 1500


def test_a_terminal_without_a_platform_is_never_cut_off(service, store, clock, marie):
    """Fed by `comptoir import` only: no contact recorded, nothing to be cut from."""
    assert offline.reach(store.conn, clock.now()).why == "never"
    assert service.sell(marie, Badge.EMMA, {"SANDW-HAM": 5}).total_cents == 1500


def test_silence_counts_as_cut_off(service, store, clock, marie):
    """No successful exchange for FRESH (the agent died), or an entry left unpushed for
    PUSH_LATE (the agent is stuck): the platform does not hear this terminal."""
    online(store, clock)
    clock.advance(offline.FRESH.total_seconds() - 1)
    assert offline.reach(store.conn, clock.now()).reachable
    clock.advance(2)
    assert offline.reach(store.conn, clock.now()).why == "silent"
    agent_wrote(store, offline_allowance_cents=500, offline_terminals=1)
    refused(service.sell, marie, Badge.EMMA, {"SANDW-HAM": 2})      # 6,00 € > 5,00 €

    online(store, clock)
    service.sell(marie, Badge.EMMA, {"SOUP": 1})        # the agent pushes it within a second...
    clock.advance(offline.PUSH_LATE.total_seconds() - 1)
    assert offline.reach(store.conn, clock.now()).reachable
    clock.advance(2)                                    # ...but it is still waiting
    assert offline.reach(store.conn, clock.now()).why == "push_late"
    online(store, clock)                                # pushed: reachable again
    assert offline.reach(store.conn, clock.now()).reachable


def test_a_success_after_the_failure_ends_the_cut(service, store, clock, marie):
    cut_off(store, clock)
    refused(service.sell, marie, Badge.EMMA, {"SANDW-HAM": 1})
    online(store, clock)
    assert service.sell(marie, Badge.EMMA, {"SANDW-HAM": 1}).total_cents == 300


def test_never_told_the_allowance_sells_nothing_beyond_the_platform(service, store, clock, marie):
    """A platform older than this rule sends no A and N: the only safe share is 0."""
    cut_off(store, clock, allowance=None, terminals=None)
    error = refused(service.sell, marie, Badge.EMMA, {"APPLE": 1})
    assert (error.params["cap_cents"], error.params["left_cents"]) == (0, 0)


def test_what_the_platform_has_seen_does_not_count(service, store, clock, marie):
    """Sales pushed before the cut are in the platform's balance (the online terminals pull
    it): they do not use the share, even though the balance this terminal holds (its last
    pull) does not include them yet."""
    online(store, clock)
    service.sell(marie, Badge.EMMA, {"SANDW-HAM": 2})               # 6,00 €, then pushed
    pushed = store.conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0]
    cut_off(store, clock, pushed_seq=pushed)
    clock.advance(5)
    sale = service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 1})  # 1,50 € of 1,66 €
    assert sale.wallets[0].balance_cents == 2500 - 750


def test_voids_while_cut_off(service, store, clock, marie, luc):
    """Voiding a sale made while cut off gives its room back; voiding an older one the
    platform has seen does not make room (the other terminals never saw that credit)."""
    online(store, clock)
    old = service.sell(marie, Badge.EMMA, {"SANDW-HAM": 1})
    pushed = store.conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0]
    cut_off(store, clock, pushed_seq=pushed)
    clock.advance(5)
    new = service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 1})   # 1,50 €
    clock.advance(5)
    refused(service.sell, marie, Badge.EMMA, {"SOUP": 1})
    service.void(luc, old.entry.seq)
    error = refused(service.sell, marie, Badge.EMMA, {"SOUP": 1})
    assert error.params["left_cents"] == 16
    service.void(luc, new.entry.seq)
    assert service.sell(marie, Badge.EMMA, {"SOUP": 1}).total_cents == 100


def test_the_daily_offline_cap_stays_on_top(store, clock, marie):
    from kiosk.config import PolicySection, TerminalConfig
    from kiosk.counter import CounterService
    service = CounterService(store, TerminalConfig(policy=PolicySection(
        stale_after_minutes=30, offline_daily_cap_cents=120)), clock)
    cut_off(store, clock, allowance=10_000, terminals=1)       # a generous share...
    clock.advance(minutes=31)                                   # ...but the data is stale
    error = refused(service.sell, marie, Badge.EMMA, {"SOUP": 1, "APPLE": 1})
    assert error.code == "offline_cap"


def test_the_message_in_every_language():
    params = {"wallet": "Repas", "cap_cents": 166, "left_cents": 0}
    assert render("offline_limit", params, "fr") == (
        "Hors ligne\xa0: plafond hors ligne de 1,66\xa0€ atteint pour «\xa0Repas\xa0» (reste 0,00\xa0€).")
    assert "offline_limit" not in render("offline_limit", params, "nl")
