"""Version marks: the pull cursor's epoch read from the data, not from the server's start.

Every write that takes change versions (``Database.next_versions``) records a random mark
at the first version it took (``sync.server.epoch``). A cursor carries the mark of its
version; a database restored from an older copy hands those version numbers out again under
new marks, so a cursor from the lost history no longer matches and its terminal pulls from
scratch, while a restart changes nothing.

Revision 0007, after 0006. A new table only: an older release can still serve the database
(it ignores the marks; its own epoch then sends every terminal into one full pull). Marks
older than ``epoch.KEEP`` are dropped at each ``serve`` start.
"""
from sync.server.migrations import execute

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE TABLE version_marks (first_version BIGINT PRIMARY KEY, mark TEXT NOT NULL,"
            " made_at TEXT NOT NULL)")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
