"""Enrolment: replacing a terminal is the admin's explicit choice.

A code made with ``comptoir central enrol-code --replace DEVICE`` names the terminal it may
take over (``enrol_codes.replaces``); a code without it is refused by a device id already
enrolled and not revoked. The token a re-enrolment replaced is kept (its hash only) in
``replaced_tokens``, so that the terminal cut off is told it was replaced instead of getting
a bare ``401 unauthorized``.

Revision 0005, after 0004. A nullable column and a new table: an older release can still
serve the database (it ignores both).
"""
from sync.server.migrations import execute

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("ALTER TABLE enrol_codes ADD COLUMN replaces TEXT")
    execute("CREATE TABLE replaced_tokens (token_hash TEXT PRIMARY KEY,"
            " device_id TEXT NOT NULL REFERENCES devices(id), replaced_at TEXT NOT NULL)")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
