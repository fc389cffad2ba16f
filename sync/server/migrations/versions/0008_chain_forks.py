"""Chain forks: entries a terminal sold on a fork of its own chain, sold again.

A terminal put back from an older backup while it could not reach the platform sells entries
whose numbers the platform already holds (other entries, from before the restore). Once it
reaches the platform it fetches those entries back and sells each of its own again at the end
of its chain, the original's seq, hash and uuid in the new body's ``fork``
(``kiosk.recovery``). The platform applies them as any entry, and records each here for the
office (``comptoir central forks``): a sale made while the terminal's journal was out of
date, to be looked at, never lost and never applied twice.

Revision 0008, after 0007. A new table: older releases can still serve the database.
"""
from sync.server.migrations import execute

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE TABLE IF NOT EXISTS chain_forks (device_id TEXT NOT NULL, seq BIGINT NOT NULL,"
            " forked_seq BIGINT NOT NULL, forked_hash TEXT NOT NULL, forked_uuid TEXT NOT NULL,"
            " kind TEXT NOT NULL, student_id TEXT, amount_cents BIGINT NOT NULL,"
            " received_at TEXT NOT NULL, PRIMARY KEY (device_id, seq))")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
