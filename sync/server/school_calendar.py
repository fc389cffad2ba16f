"""The school's calendar, as the office sets it: school days of the week, the school year's
bounds, the reservation cutoff and horizon (``settings``, ``set_settings``), closures with the
reason people read (``closures``, ``add_closure``, ``remove_closure``) and the month as the
office's page shows it (``month``). What is open is decided in ``school_days``.

**Closing a day refunds.** ``add_closure`` cancels every reservation still "reserved" on the
days it closes and refunds each one (``ledger.refund_reservation``: a movement of kind
"refund", the kind a cancellation already uses, labelled with the closure's reason) in the
same transaction as the closure itself: the closure and its refunds are made together or not
at all. Each cancelled reservation keeps the reason (``cancel_reason``) for the parents, and
takes a new change version, so the terminals' next pull drops it from their pickup list.
``preview_closure`` tells beforehand what a closure would refund. Reopening a day
(``remove_closure``) reserves nothing again.

A change of school days or year bounds that would close a day holding reservations is
refused: such a day is closed with a closure, whose reason the parents read.
"""
from __future__ import annotations

import calendar as gregorian
import logging
import secrets
from datetime import date, timedelta

from sync.server import ledger, school_days
from sync.server.database import Connection, Database
from sync.server.errors import CentralError
from sync.server.school_days import DEFAULT_HORIZON, HORIZON, WEEKDAYS, YEAR_FIRST, YEAR_LAST
from sync.server.schools import require_school, set_setting_values, today

log = logging.getLogger("comptoir.central")

MAX_REASON = 120            # characters of a closure's reason
MAX_HORIZON = 365           # days
MAX_AHEAD = 2 * 366         # a closure or a school year ends within two years from today
MAX_YEAR = 400              # days from a school year's first day to its last
MAX_RANGE = 400             # days an open-days question may span


# -- settings -------------------------------------------------------------------------------
def settings(db: Database, school_id: str) -> dict:
    """The school's calendar settings (the CalendarSettings fields): its weekdays (ISO, Monday
    = 1), year bounds (None: not set), horizon in days, cutoff ("08:30") and time zone."""
    with db.transaction(write=False) as conn:
        require_school(db, conn, school_id)
        return _settings(db, school_id, conn)


def _settings(db: Database, school_id: str, conn: Connection) -> dict:
    cal = school_days.read(db, school_id, conn, date.max, date.max)
    s = ledger.settings(db, school_id, conn)
    return {"weekdays": sorted(cal.weekdays), "year_first": cal.year_first,
            "year_last": cal.year_last, "horizon_days": cal.horizon_days,
            "cutoff": f"{s.cutoff:%H:%M}", "timezone": s.timezone.key}


def set_settings(db: Database, school_id: str, *, weekdays: list[int], year_first: date | None,
                 year_last: date | None, horizon_days: int = DEFAULT_HORIZON,
                 cutoff: str = ledger.DEFAULT_CUTOFF) -> dict:
    """Set every calendar setting at once (what the page's form sends), checked first and
    written in one transaction. Returns the new settings."""
    if not weekdays or any(type(d) is not int or not 1 <= d <= 7 for d in weekdays):
        raise CentralError("invalid", "school days: at least one weekday, numbered 1 (Monday)"
                                      " to 7 (Sunday)")
    if type(horizon_days) is not int or not 1 <= horizon_days <= MAX_HORIZON:
        raise CentralError("invalid", "reservation horizon: 1 to {most} days", most=MAX_HORIZON)
    if (year_first is None) != (year_last is None):
        raise CentralError("invalid", "school year: give both its first and its last day, or"
                                      " neither")
    values: dict[str, str | None] = {
        WEEKDAYS: ",".join(map(str, sorted(set(weekdays)))), HORIZON: str(horizon_days),
        YEAR_FIRST: year_first.isoformat() if year_first else None,
        YEAR_LAST: year_last.isoformat() if year_last else None,
        **ledger.settings_changes(cutoff=cutoff)}
    with db.transaction() as conn:
        require_school(db, conn, school_id)
        now = today(db, school_id, conn)
        if year_first is not None and year_last is not None:
            if year_last < year_first:
                raise CentralError("invalid", "school year: its last day is before its first")
            if (year_last - year_first).days > MAX_YEAR or abs((year_first - now).days) > MAX_AHEAD:
                raise CentralError("invalid", "school year: {first} to {last} is not a school"
                                   " year of now", first=f"{year_first:%d/%m/%Y}",
                                   last=f"{year_last:%d/%m/%Y}")
        set_setting_values(db, school_id, values, conn)
        cal = school_days.read(db, school_id, conn, now, None)
        for day, count in _reserved_days(db, conn, school_id, now, None):
            if cal.closed_why(day) is not None:     # the whole transaction is rolled back
                raise CentralError("invalid", "{day} has {count} reservation(s) and this change"
                                   " would close it: close that day with a reason instead,"
                                   " which refunds them", day=f"{day:%d/%m/%Y}", count=count)
        done = _settings(db, school_id, conn)
    log.info("school %s: calendar settings changed", school_id)
    return done


def _reserved_days(db: Database, conn: Connection, school_id: str, first: date,
                   last: date | None) -> list[tuple[date, int]]:
    """The days from ``first`` (to ``last``) with reservations still to hand over."""
    rows = db.execute(conn, "SELECT day, COUNT(*) FROM reservations WHERE school_id = ?"
                            " AND status = 'reserved' AND day >= ? AND day <= ? GROUP BY day"
                            " ORDER BY day",
                      (school_id, first.isoformat(), (last or date.max).isoformat())).fetchall()
    return [(date.fromisoformat(d), int(n)) for d, n in rows]


# -- closures -------------------------------------------------------------------------------
def _closure(row: tuple) -> dict:
    return {"id": row[0], "first_day": date.fromisoformat(row[1]),
            "last_day": date.fromisoformat(row[2]), "reason": row[3]}


def closures(db: Database, school_id: str, first: date | None = None,
             last: date | None = None) -> list[dict]:
    """The school's closures (those touching ``first``…``last``), by first day."""
    with db.transaction(write=False) as conn:
        require_school(db, conn, school_id)
        found = school_days.read(db, school_id, conn, first, last).closures
    return [{"id": c.id, "first_day": c.first_day, "last_day": c.last_day, "reason": c.reason}
            for c in found]


def _check_closure(db: Database, conn: Connection, school_id: str, first: date, last: date,
                   reason: str | None) -> str:
    """The closure's reason, trimmed; or a refusal (``invalid``) of what cannot be closed."""
    reason = clean_reason(reason)
    if last < first:
        raise CentralError("invalid", "a closure cannot end ({last}) before it starts ({first})",
                           first=f"{first:%d/%m/%Y}", last=f"{last:%d/%m/%Y}")
    now = today(db, school_id, conn)
    if first < now:
        raise CentralError("invalid", "{first} is past: only today and later days can be"
                                      " closed", first=f"{first:%d/%m/%Y}")
    if (last - now).days > MAX_AHEAD:
        raise CentralError("invalid", "{last} is too far ahead: a closure ends within two years",
                           last=f"{last:%d/%m/%Y}")
    return reason


def clean_reason(reason: str | None) -> str:
    """A closure's reason as it is kept (spaces folded); refused (``invalid``) when empty or
    longer than ``MAX_REASON``."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CentralError("invalid", "a closure needs a reason the parents will read"
                                      " (e.g. Journée pédagogique)")
    if len(reason) > MAX_REASON:
        raise CentralError("invalid", "a closure's reason: {most} characters at most",
                           most=MAX_REASON)
    return reason


def preview_closure(db: Database, school_id: str, first: date, last: date) -> dict:
    """What closing ``first``…``last`` would cancel and refund, before it is done (the
    ClosurePreview fields): the reservations still to hand over, their count and amount."""
    with db.transaction(write=False) as conn:
        require_school(db, conn, school_id)
        _check_closure(db, conn, school_id, first, last, "-")
        return _preview(db, conn, school_id, first, last)


def _preview(db: Database, conn: Connection, school_id: str, first: date, last: date) -> dict:
    rows = db.execute(conn, "SELECT r.id, r.day, r.student_id, r.article_code, r.quantity,"
                            " COALESCE((SELECT -SUM(m.amount_cents) FROM wallet_movements m"
                            " WHERE m.school_id = r.school_id AND m.reservation_id = r.id), 0)"
                            " FROM reservations r WHERE r.school_id = ? AND r.status = 'reserved'"
                            " AND r.day >= ? AND r.day <= ? ORDER BY r.day, r.id",
                      (school_id, first.isoformat(), last.isoformat())).fetchall()
    found = [{"id": i, "day": date.fromisoformat(d), "student_id": s, "article_code": a,
              "quantity": q, "amount_cents": int(c)} for i, d, s, a, q, c in rows]
    return {"first_day": first, "last_day": last, "reservations": found,
            "count": len(found), "amount_cents": sum(r["amount_cents"] for r in found)}


def add_closure(db: Database, school_id: str, first: date, last: date, reason: str,
                by: str = "") -> dict:
    """Close the school from ``first`` to ``last`` (both included) for ``reason``, and cancel
    and refund, in the same transaction, every reservation still to hand over on those days.
    Returns the ClosureAnswer fields: the closure and what was refunded."""
    with db.transaction() as conn:
        require_school(db, conn, school_id)
        reason = _check_closure(db, conn, school_id, first, last, reason)
        closure_id = "C" + secrets.token_hex(6)
        db.execute(conn, "INSERT INTO school_closures (school_id, id, first_day, last_day,"
                         " reason, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (school_id, closure_id, first.isoformat(), last.isoformat(), reason,
                    db.stamp(), by[:80]))
        refunded = _preview(db, conn, school_id, first, last)
        for r in refunded["reservations"]:
            r["wallet_id"], r["amount_cents"], _ = ledger.refund_reservation(
                db, conn, school_id, r["id"], reason)
    log.info("school %s closed %s to %s: %d reservation(s) refunded", school_id, first, last,
             refunded["count"])
    return {"closure": {"id": closure_id, "first_day": first, "last_day": last,
                        "reason": reason},
            "refunded": refunded["reservations"], "refunded_count": refunded["count"],
            "refunded_cents": sum(r["amount_cents"] for r in refunded["reservations"])}


def remove_closure(db: Database, school_id: str, closure_id: str) -> dict:
    """Reopen what a closure closed. What it cancelled stays cancelled (and refunded): a
    reopened day takes new reservations, nothing is reserved again by itself."""
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT id, first_day, last_day, reason FROM school_closures"
                               " WHERE school_id = ? AND id = ?",
                         (school_id, closure_id)).fetchone()
        if row is None:
            raise CentralError("not_found", "no closure {closure!r} in this school",
                               closure=closure_id[:40])
        db.execute(conn, "DELETE FROM school_closures WHERE school_id = ? AND id = ?",
                   (school_id, closure_id))
    log.info("school %s: closure %s removed", school_id, closure_id)
    return _closure(row)


# -- the month, as the office's page shows it -------------------------------------------------
def open_days(db: Database, school_id: str, first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last`` (at most ``MAX_RANGE`` days) the school is open."""
    if not 0 <= (last - first).days <= MAX_RANGE:
        raise CentralError("invalid", "first to last: 0 to {most} days, in order",
                           most=MAX_RANGE)
    with db.transaction(write=False) as conn:
        require_school(db, conn, school_id)
        return school_days.open_days(school_days.read(db, school_id, conn, first, last),
                                     first, last)


def month(db: Database, school_id: str, year: int | None = None,
          month_number: int | None = None) -> dict:
    """Every day of a month (the CalendarMonth fields; none given: this month): open or closed
    and why, today, reservable, and the reservations still to hand over."""
    with db.transaction(write=False) as conn:
        require_school(db, conn, school_id)
        now = today(db, school_id, conn)
        year, month_number = year or now.year, month_number or now.month
        if not 2000 <= year <= 2099 or not 1 <= month_number <= 12:
            raise CentralError("invalid", "month: YYYY-MM, years 2000 to 2099")
        first = date(year, month_number, 1)
        last = first + timedelta(days=gregorian.monthrange(year, month_number)[1] - 1)
        cal = school_days.read(db, school_id, conn, first, last)
        reserved = dict(_reserved_days(db, conn, school_id, first, last))
        horizon = now + timedelta(days=cal.horizon_days)
        days = []
        for n in range(last.day):
            day = first + timedelta(days=n)
            why = cal.closed_why(day)
            days.append({"day": day, "open": why is None, "why_closed": why,
                         "closure_id": next((c.id for c in cal.closures
                                             if c.first_day <= day <= c.last_day), None),
                         "today": day == now,
                         "reservable": why is None and now <= day <= horizon,
                         "reservations": reserved.get(day, 0)})
    return {"month": f"{year:04d}-{month_number:02d}", "today": now, "days": days,
            "closures": [_closure((c.id, c.first_day.isoformat(), c.last_day.isoformat(),
                                   c.reason)) for c in cal.closures]}
