"""The school's days: which days the canteen takes reservations for.

A day is **open** when it is one of the school's weekdays (setting ``school_weekdays``, ISO
numbers, Monday = 1; by default Monday, Tuesday, Thursday and Friday: Belgian schools have no
lunch service on Wednesday afternoon), inside the school year when the school has set its
bounds (``school_year_first``, ``school_year_last``; none set: no bound), and inside no
closure (table ``school_closures``: "Vacances de Noël", "Journée pédagogique"). A
reservation is taken only for an open day no further ahead than the school's horizon
(``reservation_horizon_days``, 30 by default); the cutoff of the day itself is the ledger's.

This module reads and decides; ``school_calendar`` changes the calendar (and refunds what a
closure cancels). The ledger asks :func:`check_reservable` before it takes a reservation.

>>> c = Calendar(frozenset({1, 2, 4, 5}), None, None, 30, ())
>>> [c.closed_why(date(2026, 12, d)) is None for d in (7, 9, 12)]     # Mon, Wed, Sat
[True, False, False]
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sync.server.database import Connection, Database
from sync.server.errors import CentralError, Phrase
from sync.server.schools import setting_values, today

WEEKDAYS = "school_weekdays"            # the settings' names
YEAR_FIRST = "school_year_first"
YEAR_LAST = "school_year_last"
HORIZON = "reservation_horizon_days"
DEFAULT_WEEKDAYS = frozenset({1, 2, 4, 5})
DEFAULT_HORIZON = 30
_WEEKDAYS = re.compile(r"^[1-7](,[1-7])*$")


@dataclass(frozen=True)
class Closure:
    id: str
    first_day: date
    last_day: date
    reason: str


@dataclass(frozen=True)
class Calendar:
    """A school's calendar, with the closures of the days it was read for."""

    weekdays: frozenset[int]        # ISO: Monday = 1 … Sunday = 7
    year_first: date | None
    year_last: date | None
    horizon_days: int
    closures: tuple[Closure, ...]

    def closed_why(self, day: date) -> Phrase | None:
        """None when ``day`` is open; else why not, for people (a closure's own reason)."""
        for closure in self.closures:
            if closure.first_day <= day <= closure.last_day:
                return Phrase("closed: {reason}", reason=closure.reason)
        if day.isoweekday() not in self.weekdays:
            return Phrase("not a school day")
        if (self.year_first and day < self.year_first) or (self.year_last
                                                           and day > self.year_last):
            return Phrase("outside the school year")
        return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read(db: Database, school_id: str, conn: Connection, first: date | None = None,
         last: date | None = None) -> Calendar:
    """The school's calendar, with its closures that touch ``first``…``last`` (all when not
    given), in ``conn``'s transaction. A setting someone wrote by hand and that cannot be read
    counts as not set (its default)."""
    values = setting_values(db, school_id, conn)
    weekdays = values.get(WEEKDAYS, "")
    horizon = values.get(HORIZON, "")
    where, params = ["school_id = ?"], [school_id]
    if last is not None:
        where.append("first_day <= ?")
        params.append(last.isoformat())
    if first is not None:
        where.append("last_day >= ?")
        params.append(first.isoformat())
    rows = db.execute(conn, "SELECT id, first_day, last_day, reason FROM school_closures WHERE "
                            + " AND ".join(where) + " ORDER BY first_day, last_day, id",
                      params).fetchall()
    return Calendar(
        frozenset(map(int, weekdays.split(","))) if _WEEKDAYS.match(weekdays)
        else DEFAULT_WEEKDAYS,
        _day(values.get(YEAR_FIRST)), _day(values.get(YEAR_LAST)),
        int(horizon) if horizon.isdigit() else DEFAULT_HORIZON,
        tuple(Closure(i, date.fromisoformat(a), date.fromisoformat(b), r)
              for i, a, b, r in rows))


def check_reservable(db: Database, conn: Connection, school_id: str, day: date) -> None:
    """Refuse (``closed``) a reservation for a day the canteen is not open, or further ahead
    than the school's horizon. Past days and the day's cutoff are the ledger's."""
    calendar = read(db, school_id, conn, day, day)
    shown = f"{day:%d/%m/%Y}"
    why = calendar.closed_why(day)
    if why is not None:
        raise CentralError("closed", "No reservation for {day}: {why}", day=shown, why=why)
    now = today(db, school_id, conn)
    if day > now + timedelta(days=calendar.horizon_days):
        raise CentralError("closed", "No reservation for {day} yet: reservations open {days}"
                           " days ahead at most", day=shown, days=calendar.horizon_days)


def open_days(calendar: Calendar, first: date, last: date) -> list[date]:
    """The open days from ``first`` to ``last`` (both included), by the calendar read for
    them.

    >>> c = Calendar(frozenset({1, 2, 4, 5}), None, date(2026, 12, 18), 30,
    ...              (Closure("c", date(2026, 12, 15), date(2026, 12, 15), "Journée pédagogique"),))
    >>> [d.day for d in open_days(c, date(2026, 12, 14), date(2026, 12, 21))]
    [14, 17, 18]
    """
    days, day = [], first
    while day <= last:
        if calendar.closed_why(day) is None:
            days.append(day)
        day += timedelta(days=1)
    return days

