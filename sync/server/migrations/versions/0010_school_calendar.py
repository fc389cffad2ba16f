"""The school's calendar: its closures, and why a reservation was cancelled.

A closure is a named period (or a single day) when the canteen takes no reservation:
"Vacances de Noël", "Journée pédagogique" (``sync.server.school_calendar``). The school days
of the week, the school year's bounds and the reservation horizon are plain school settings
(``school_settings``), so they need no table.

Closing a day that has reservations cancels and refunds them; ``reservations.cancel_reason``
keeps the closure's reason on each of them, for the parents to read (and stays when the day
is reopened: reopening does not reserve again).

Revision 0010, after 0009 (web-base's staff accounts; the integrator renumbers). A new table
and a nullable column: an older release can still serve the database (it ignores both).
"""
from sync.server.migrations import execute

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE TABLE school_closures (school_id TEXT NOT NULL REFERENCES schools(id),"
            " id TEXT NOT NULL, first_day TEXT NOT NULL, last_day TEXT NOT NULL,"
            " reason TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
            " PRIMARY KEY (school_id, id))")
    execute("CREATE INDEX school_closures_days ON school_closures (school_id, first_day)")
    execute("ALTER TABLE reservations ADD COLUMN cancel_reason TEXT")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
