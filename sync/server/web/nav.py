"""The back office's menu: one entry per area, shown to those whose role holds its permission
(``Staff.may``). An area adds its line here (the label marked with ``N_`` for extraction; the
templates translate it)."""
from __future__ import annotations

from dataclasses import dataclass

from sync.server.permissions import Staff


def N_(text: str) -> str:
    """Marks a text for extraction; it is translated where it is shown."""
    return text


@dataclass(frozen=True)
class Entry:
    path: str
    label: str
    permission: str


ENTRIES: list[Entry] = [
    Entry("/staff", N_("Staff"), "staff.manage"),
    Entry("/catalogue", N_("Catalogue"), "catalogue.read"),
    Entry("/operators", N_("Operators"), "operators.read"),
    Entry("/students", N_("Students"), "students.read"),
    Entry("/parent-accounts", N_("Parents' accounts"), "students.read"),
    Entry("/calendar", N_("Calendar"), "calendar.read"),
    Entry("/money", N_("Money"), "money.read"),
    Entry("/terminals", N_("Terminals"), "terminals.read"),
    Entry("/reports", N_("Reports"), "reports.read"),
]


def visible(staff: Staff | None) -> list[Entry]:
    """The entries ``staff`` may open (none when nobody is signed in)."""
    return [e for e in ENTRIES if staff is not None and staff.may(e.permission)]


# The roles as people read them (``sync.server.permissions.ROLES``).
ROLE_NAMES = {"admin": N_("office admin"), "supervisor": N_("supervisor"),
              "accountant": N_("accountant (read only)")}
