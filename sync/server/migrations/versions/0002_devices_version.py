"""Devices: version and last_seen_at.

Each terminal's version, as it reports it, and when the platform last heard from it.

Revision 0002, after 0001. Two nullable columns: release 0.1.0 can still serve the database.
"""
from sync.server.migrations import execute

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("ALTER TABLE devices ADD COLUMN version TEXT")
    execute("ALTER TABLE devices ADD COLUMN last_seen_at TEXT")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
