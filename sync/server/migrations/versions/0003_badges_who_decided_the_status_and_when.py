"""Badges: who decided the status, and when.

A badge is blocked (lost, stolen) or unblocked by a decision made at a terminal (a journal
entry the terminal pushes) or by the office; ``sync.server.badges`` applies them in the order
they were made. ``status_at`` is when the decision that set the current status was made (the
order decisions are compared in), ``status_by`` who made it: ``device:<id>:<seq>`` or
``office``. Both NULL for a status only the roster or a loaded file ever set.

Revision 0003, after 0002. Two nullable columns: older releases can still serve the database.
"""
from sync.server.migrations import execute

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("ALTER TABLE badges ADD COLUMN status_at TEXT")
    execute("ALTER TABLE badges ADD COLUMN status_by TEXT")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
