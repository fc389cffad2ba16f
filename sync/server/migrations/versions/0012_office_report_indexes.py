"""Indexes for the office's reports (issue 16: terminals and reports pages).

``journal_device_day``: a terminal's entries of a period with their kind and amount, read
from the index alone (the totals per terminal and day, per day, the Z reports of a period),
and a terminal's last Z (``terminal_board``, ``office_reports``).
``reservations_day``: a day's reservations of a school, by article (the kitchen's list and
the uncollected sandwiches).

Revision 0012, after 0011. Indexes only: older releases can still serve the database.
"""
from sync.server.migrations import execute

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE INDEX IF NOT EXISTS journal_device_day"
            " ON journal (device_id, day, kind, amount_cents)")
    execute("CREATE INDEX IF NOT EXISTS reservations_day"
            " ON reservations (school_id, day, article_code)")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
