"""Selling while the platform is out of reach: the floor limit (DESIGN.md, "Spending
policy"; the rule, why it is the only one that holds and its proof: ``docs/offline.md``).

While this terminal cannot reach the platform, what it lets a wallet spend that the platform
has not seen (its own entries after both the wallet's ``included_seq`` and what the platform
acknowledged, ``pushed_seq``) stays within its **share** of the school's offline allowance,
``A // N``: A the school's ``offline_allowance_cents``, N its active terminals, both received
with every pull. The N terminals together then never take a wallet more than A below what
the platform knew, whether all of them lose the platform or only some do while the others
sell on.

"Cannot reach the platform" is read from what the sync agent (``sync.agent``, which imports
this module, never the other way) records in the store's ``sync_state``:

- ``last_success_at``: the end of its last successful exchange (push, pull, heartbeat);
- ``last_error_at``: its last failed one. Later than the last success: unreachable, from
  the first failed contact (the agent pushes within a second of every sale);
- no success for ``FRESH`` (the agent's heartbeat keeps an idle terminal well within it),
  or one of this terminal's entries still waiting to be pushed after ``PUSH_LATE``: the
  agent is dead or stuck, the platform does not hear this terminal, so it is unreachable too.

A terminal that never exchanged anything with a platform (fed by ``comptoir import``) has no
platform to be cut from: the rule does not apply there. The per-student daily offline cap
(``[policy] offline_daily_cap_cents``, once the data is stale) stays on top of this one.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from kiosk.holders import Wallet
from sync.common.clock import parse_iso_utc
from sync.common.errors import Refusal

# sync_state keys: written by the agent, read here.
LAST_SUCCESS = "last_success_at"
LAST_ERROR = "last_error_at"
ALLOWANCE = "offline_allowance_cents"      # A, from the last pull
TERMINALS = "offline_terminals"            # N, from the last pull

FRESH = timedelta(seconds=90)       # no successful contact for longer: unreachable
PUSH_LATE = timedelta(seconds=30)   # an entry not pushed after this long: unreachable
HEARTBEAT = timedelta(seconds=30)   # an idle agent contacts the platform this often
# A terminal that never received A and N (a platform older than this rule) sells nothing
# beyond the confirmed balance while unreachable: the only share that is safe for any N.
UNKNOWN_SHARE_CENTS = 0

_REACH_SQL = (
    f"SELECT (SELECT value FROM sync_state WHERE key = '{LAST_SUCCESS}'),"
    f" (SELECT value FROM sync_state WHERE key = '{LAST_ERROR}'),"
    f" (SELECT value FROM sync_state WHERE key = '{ALLOWANCE}'),"
    f" (SELECT value FROM sync_state WHERE key = '{TERMINALS}'),"
    " COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'pushed_seq'), 0)")
_WAITING_TS_SQL = "SELECT ts FROM journal WHERE seq = ? + 1"

# This terminal's net spending from a wallet that the platform has not seen: its entries
# after ``mark``, the later of the wallet's ``included_seq`` (what the balance it holds
# includes) and ``pushed_seq`` (what the platform has received: an online terminal that
# pulled since has it in its balance), less the voids of entries before the mark (their
# credit is real, but counting it would let a void of an old sale make room for new
# offline sales the other terminals cannot see).
_OWN_SQL = (
    "SELECT -COALESCE(SUM(p.amount_cents), 0) FROM postings p JOIN journal j ON j.seq = p.seq"
    " WHERE p.wallet_id = :wallet AND p.seq > :mark AND (j.ref_seq IS NULL OR j.ref_seq > :mark)")


class Reach(NamedTuple):
    reachable: bool
    why: str                # online | never (no platform) | failed | silent | push_late
    share_cents: int        # what this terminal may sell per wallet while unreachable
    pushed_seq: int         # the platform holds this terminal's entries up to here


def share_of(allowance: str | int | None, terminals: str | int | None) -> int:
    """This terminal's share of the allowance, rounded down so that N shares never exceed A.

    >>> share_of(500, 3), share_of("500", "1"), share_of(None, 3), share_of(500, 0)
    (166, 500, 0, 0)
    """
    try:
        a, n = int(allowance), int(terminals)     # type: ignore[arg-type]
    except (TypeError, ValueError):
        return UNKNOWN_SHARE_CENTS
    return a // n if a >= 0 and n >= 1 else UNKNOWN_SHARE_CENTS


def reach(conn: sqlite3.Connection, now: datetime) -> Reach:
    """Can this terminal reach the platform, as far as the store knows (one statement)."""
    ok, failed, allowance, terminals, pushed = conn.execute(_REACH_SQL).fetchone()
    share = share_of(allowance, terminals)
    if ok is None and failed is None:
        return Reach(True, "never", share, pushed)
    if ok is None or (failed is not None and parse_iso_utc(failed) >= parse_iso_utc(ok)):
        return Reach(False, "failed", share, pushed)
    if abs(now - parse_iso_utc(ok)) > FRESH:
        return Reach(False, "silent", share, pushed)
    waiting = conn.execute(_WAITING_TS_SQL, (pushed,)).fetchone()
    if waiting is not None and now - parse_iso_utc(waiting[0]) > PUSH_LATE:
        return Reach(False, "push_late", share, pushed)
    return Reach(True, "online", share, pushed)


def check(conn: sqlite3.Connection, wallets: tuple[Wallet, ...], debits: Mapping[str, int],
          now: datetime) -> None:
    """Refuse (``offline_limit``) a sale that, while the platform is out of reach, would take
    this terminal's spending from a wallet beyond what the platform included past its share.
    Costs one small statement per sale; the per-wallet sum only when unreachable."""
    if not any(amount > 0 for amount in debits.values()):
        return
    state = reach(conn, now)
    if state.reachable:
        return
    for wallet in wallets:
        debit = debits.get(wallet.id, 0)
        if debit <= 0:
            continue
        mark = max(wallet.included_seq, state.pushed_seq)
        own = conn.execute(_OWN_SQL, {"wallet": wallet.id, "mark": mark}).fetchone()[0]
        if own + debit > state.share_cents:
            raise Refusal("offline_limit", wallet=wallet.name, cap_cents=state.share_cents,
                          left_cents=max(0, state.share_cents - own))
