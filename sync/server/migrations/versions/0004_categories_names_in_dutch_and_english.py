"""Categories: names in Dutch and English.

A category's ``name`` stays its French name (the one always there, like the articles'
``name_fr``); ``name_nl`` and ``name_en`` are filled when the school uses those languages,
NULL otherwise (a terminal then shows the school's language).

Revision 0004, after 0003. Two nullable columns: older releases can still serve the database.
"""
from sync.server.migrations import execute

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("ALTER TABLE categories ADD COLUMN name_nl TEXT")
    execute("ALTER TABLE categories ADD COLUMN name_en TEXT")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
