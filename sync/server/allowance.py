"""The school's offline allowance (``docs/offline.md``): how far all its terminals together
may let a wallet go below the balance the platform knows while they cannot reach it. Kept in
``school_settings`` (``offline_allowance_cents``; 5,00 € when unset); each terminal receives
it with every pull, with the number of the school's active terminals that share it.
"""
from __future__ import annotations

from sync.models import MAX_CENTS
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.schools import set_setting_values, setting_values

SETTING = "offline_allowance_cents"
DEFAULT_CENTS = 500


def allowance_cents(db: Database, school_id: str) -> int:
    """The school's allowance, in cents (``DEFAULT_CENTS`` when unset)."""
    value = setting_values(db, school_id).get(SETTING)
    try:
        return DEFAULT_CENTS if value is None else max(0, int(value))
    except ValueError:      # set_allowance writes only digits: someone wrote the table by hand
        raise CentralError("invalid", "school {school!r}: unreadable offline allowance",
                           school=school_id) from None


def set_allowance(db: Database, school_id: str, cents: int) -> int:
    if not 0 <= cents <= MAX_CENTS:
        raise CentralError("invalid", "offline allowance {amount}: must be 0 or more",
                           amount=cents)
    set_setting_values(db, school_id, {SETTING: str(cents)})
    return cents


def active_terminals(db: Database, school_id: str) -> int:
    """The school's enrolled terminals that are not revoked: who shares the allowance."""
    with db.transaction(write=False) as conn:
        return int(db.execute(conn, "SELECT COUNT(*) FROM devices WHERE school_id = ?"
                                    " AND revoked_at IS NULL", (school_id,)).fetchone()[0])


def terms(db: Database, school_id: str) -> dict:
    """The ``protocol.OfflineTerms`` fields a pulling terminal receives."""
    return {"allowance_cents": allowance_cents(db, school_id),
            "terminals": max(1, active_terminals(db, school_id))}
