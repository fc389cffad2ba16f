"""Who on a school's staff may do what: the back office's one table of permissions.

Three roles (issue 16): the office's **admin** (everything, staff accounts included), the
**supervisor** (the day's work: students, badges, operators, reservations, cash) and the
**accountant** (reads everything, changes nothing). A route asks for a permission, never for a
role (``api.deps.office("catalogue.write")``), so that who may do what is decided here only.

>>> Staff(id="s1", school_id="sch", role="supervisor", name="Marie").may("students.write")
True
>>> Staff(id="s2", school_id="sch", role="accountant", name="Luc").may("students.write")
False
"""
from __future__ import annotations

from dataclasses import dataclass

from sync.server.errors import CentralError

ROLES = ("admin", "supervisor", "accountant")

_ALL = frozenset(ROLES)
_ADMIN = frozenset({"admin"})
_DAY = frozenset({"admin", "supervisor"})

# permission -> the roles that hold it. Reading is open to every role of the school.
PERMISSIONS: dict[str, frozenset[str]] = {
    "staff.manage": _ADMIN,          # invite, change roles, disable staff accounts
    "catalogue.read": _ALL,
    "catalogue.write": _ADMIN,       # categories, articles, prices, counters' articles
    "students.read": _ALL,
    "students.write": _DAY,          # roster, badges, flags, limits, photos
    "calendar.read": _ALL,
    "calendar.write": _ADMIN,        # school days, closures, cutoff, horizon
    "reservations.write": _DAY,
    "operators.read": _ALL,
    "operators.write": _DAY,         # terminal operators, PIN resets, lockouts
    "terminals.read": _ALL,
    "terminals.write": _ADMIN,       # enrolment codes, revoke, replace
    "money.read": _ALL,
    "money.write": _ADMIN,           # bank import, manual top-up, corrections, refunds
    "reports.read": _ALL,
}


@dataclass(frozen=True)
class Staff:
    """Someone of a school's office, as a request is made on their behalf. ``school_id`` is
    the only school they see: every query of a back-office route is scoped to it."""

    id: str
    school_id: str
    role: str
    name: str

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def require(staff: Staff, permission: str) -> None:
    """Refuse (``forbidden``) what ``staff``'s role does not allow."""
    if not staff.may(permission):
        raise CentralError("forbidden", "your role ({role}) does not allow this ({permission})",
                           role=staff.role, permission=permission)
