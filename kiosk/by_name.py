"""Serving a student who forgot the badge: a supervisor finds the student by name
(``kiosk.name_search``) and confirms with their PIN; the sale (or pickup) then goes through
the counter service exactly as a badge's would (balance, limits, allergens, blocked
articles, double tap by student), with a ``Lookup`` where the badge's UID would be.

The journal entry says how the student was identified: its body has ``"via": "lookup"`` and
the confirming supervisor's operator id (``"supervisor"``). A badge sale's body is unchanged.

>>> from kiosk.demo.store import demo_service
>>> from kiosk.name_search import search
>>> from sync.common.errors import AuthError
>>> service, session = demo_service()                    # Marie, a seller, at the counter
>>> emma = search(service.store, "emma dubois").found[0]
>>> now = service.clock.now()
>>> lookup = authorise(service.store, emma.student_id, "Luc", "5678", now)   # Luc: a supervisor
>>> sale = service.sell(session, lookup, {"SOUP": 1})
>>> sale.student.display_name, sale.entry.data["via"], sale.entry.data["operator"] == session.operator_id
('Emma Dubois', 'lookup', True)
>>> try:                                                 # Marie's own PIN will not do
...     authorise(service.store, emma.student_id, "Marie", "1234", now)
... except AuthError as e:
...     print(e.code)
forbidden
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import NamedTuple

from kiosk import holders, operators
from kiosk.store import Store
from sync.common.errors import Refusal
from sync.common.uids import normalise_uid


class Lookup(NamedTuple):
    """A student found by name, confirmed by a supervisor's PIN: it stands where a badge's
    UID would in ``CounterService.sell``, ``photocopies`` and ``pickup``. Made only by
    ``authorise``; held for one sale (and its confirmations), then dropped."""
    student_id: str
    supervisor_id: str          # operator id, recorded in the entry
    supervisor: str             # the supervisor's name (for the screen, not the journal)


# A badge's UID, or a student found by name.
Who = str | Lookup


def authorise(store: Store, student_id: str, supervisor: str, pin: str, now: datetime) -> Lookup:
    """The supervisor's PIN for serving ``student_id`` without a badge. A wrong PIN counts
    toward the supervisor's lock-out as at login; a seller's PIN is refused (``forbidden``).
    An unknown student is refused here, before any article is chosen."""
    session = operators.login(store, supervisor, pin, now)
    session.require("serve_without_badge")
    with store.read() as conn:
        if conn.execute("SELECT 1 FROM students WHERE id = ?", (student_id,)).fetchone() is None:
            raise Refusal("unknown_student")
    return Lookup(student_id, session.operator_id, session.name)


def normalise(who: Who) -> Who:
    """A badge's UID normalised; a ``Lookup`` as it is."""
    return who if isinstance(who, Lookup) else normalise_uid(who)


# The holder's columns (``kiosk.holders``) read from the student rather than from a badge:
# a forgotten (or lost, blocked) badge does not matter, the supervisor vouches for who it is.
_FROM_BADGE = "b.status,"
assert holders.HOLDER_COLUMNS.startswith(_FROM_BADGE)
STATE_AND_STUDENT_SQL = (
    f"SELECT 'active', {holders.HOLDER_COLUMNS.removeprefix(_FROM_BADGE)},"
    f" {holders.STATE_COLUMNS}"
    " FROM students s LEFT JOIN wallets w ON w.student_id = s.id WHERE s.id = :student")


def state_and_holder(conn: sqlite3.Connection, who: Who,
                     today: str) -> tuple[holders.State, holders.Holder]:
    """``holders.state_and_holder`` for a badge, or for a student found by name."""
    if not isinstance(who, Lookup):
        return holders.state_and_holder(conn, who, today)
    rows = conn.execute(STATE_AND_STUDENT_SQL, {"student": who.student_id, "day": today}).fetchall()
    state = holders.state_of(rows[0][20:25]) if rows else holders.read_state(conn)
    holders.refuse_if_closed(state, today)
    if not rows:
        raise Refusal("unknown_student")
    return state, holders.holder_of(rows)


def details(who: Who) -> dict[str, str]:
    """What the journal entry's body says about how the student was identified: nothing
    for a badge (its body stays as it always was), ``via`` and ``supervisor`` for a lookup."""
    if isinstance(who, Lookup):
        return {"via": "lookup", "supervisor": who.supervisor_id}
    return {}
