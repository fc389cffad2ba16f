"""Terminals' health and the office's unlocking of operators (issue 18 point 6, issue 16
points 5 and 6).

``device_health``: the latest health report of each terminal (``sync.protocol.HealthReport``
as JSON), when it was received, and since when its printer has been failing
(``terminal_health``). ``operators.unlocked_at``: the office's last unlock of an operator,
which terminals pull and apply once (``kiosk.importer``).

Revision 0014, after 0013. A new table and a nullable column: an
older release can still serve the database (it ignores both).
"""
from sync.server.migrations import execute

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE TABLE device_health (device_id TEXT PRIMARY KEY REFERENCES devices(id),"
            " school_id TEXT NOT NULL REFERENCES schools(id), received_at TEXT NOT NULL,"
            " report TEXT NOT NULL, printer_bad_since TEXT)")
    execute("CREATE INDEX device_health_school ON device_health (school_id)")
    execute("ALTER TABLE operators ADD COLUMN unlocked_at TEXT")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
