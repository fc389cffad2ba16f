"""The schools a platform serves, and each school's settings (table ``school_settings``:
the reservation cutoff, the time zone).

The time zone is the school's own for everything the platform counts in days or shows as a
local time (the sales journal's days, local times and period presets, the ledger's cutoff and
movement days); a school that has none set uses ``sync.common.clock.DEFAULT_TIMEZONE``.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.common.clock import DEFAULT_TIMEZONE, business_day
from sync.server.database import Connection, Database
from sync.server.errors import CentralError

TIMEZONE = "timezone"       # the setting's name


def add_school(db: Database, name: str, school_id: str | None = None) -> str:
    """Add a school; its id defaults to its name in lower-case ASCII ("athenee-royal")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    school_id = school_id or (re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
                              or secrets.token_hex(4))
    with db.transaction() as conn:
        if db.execute(conn, "SELECT 1 FROM schools WHERE id = ?", (school_id,)).fetchone():
            raise CentralError("invalid", "school {school!r} already exists", school=school_id)
        db.execute(conn, "INSERT INTO schools (id, name, created_at) VALUES (?, ?, ?)",
                   (school_id, name, db.stamp()))
    return school_id


def resolve_school(db: Database, school_id: str | None = None) -> str:
    """The school meant: the one given (it must exist), or the only one there is."""
    with db.transaction(write=False) as conn:
        ids = [r[0] for r in db.execute(conn, "SELECT id FROM schools ORDER BY id")]
    if school_id is not None:
        if school_id not in ids:
            raise CentralError("invalid", "no school {school!r}", school=school_id)
        return school_id
    if len(ids) != 1:
        if not ids:
            raise CentralError("invalid", "no school yet (run 'comptoir central init')")
        raise CentralError("invalid", "several schools: say which with --school-id")
    return ids[0]


def require_school(db: Database, conn: Connection, school_id: str) -> None:
    """Refuse (``invalid``) a school id the database does not have."""
    if not db.execute(conn, "SELECT 1 FROM schools WHERE id = ?", (school_id,)).fetchone():
        raise CentralError("invalid", "no school {school!r}", school=school_id)


# -- settings -------------------------------------------------------------------------------
def setting_values(db: Database, school_id: str, conn: Connection | None = None) -> dict[str, str]:
    """Every setting the school has set, by name (in ``conn``'s transaction, or a new one)."""
    def read(c: Connection) -> dict[str, str]:
        return dict(db.execute(c, "SELECT name, value FROM school_settings"
                                  " WHERE school_id = ?", (school_id,)).fetchall())
    if conn is not None:
        return read(conn)
    with db.transaction(write=False) as c:
        return read(c)


def set_setting_values(db: Database, school_id: str, values: Mapping[str, str | None],
                       conn: Connection | None = None) -> None:
    """Write settings (already checked by the caller) in one transaction (``conn``'s, or a
    new one); a value None removes the setting (back to its default)."""
    def write(c: Connection) -> None:
        require_school(db, c, school_id)
        for name, value in values.items():
            if value is None:
                db.execute(c, "DELETE FROM school_settings WHERE school_id = ? AND name = ?",
                           (school_id, name))
                continue
            db.execute(c, "INSERT INTO school_settings (school_id, name, value)"
                          " VALUES (?, ?, ?) ON CONFLICT (school_id, name)"
                          " DO UPDATE SET value = excluded.value", (school_id, name, value))
    if conn is not None:
        return write(conn)
    with db.transaction() as c:
        write(c)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name`` ("Europe/Brussels"), or an ``invalid`` refusal."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CentralError("invalid", "unknown time zone {zone!r}", zone=name) from None


def timezone_in(values: dict[str, str]) -> ZoneInfo:
    """The time zone a school's settings (``setting_values``) name, else the default.

    >>> timezone_in({}).key, timezone_in({"timezone": "Asia/Tokyo"}).key
    ('Europe/Brussels', 'Asia/Tokyo')
    """
    return ZoneInfo(values.get(TIMEZONE, DEFAULT_TIMEZONE))


def timezone_of(db: Database, school_id: str, conn: Connection | None = None) -> ZoneInfo:
    """The school's time zone: its setting, else ``DEFAULT_TIMEZONE``."""
    return timezone_in(setting_values(db, school_id, conn))


def today(db: Database, school_id: str, conn: Connection | None = None) -> date:
    """The school's business day now, in its own time zone."""
    return business_day(db.now(), timezone_of(db, school_id, conn))
