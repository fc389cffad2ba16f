"""Parents' accounts (issue 17): a parent of a school, their children, their one-time login
tokens, and their signed-in browsers.

``parents``: one account per e-mail address and school (the address the school's roster
gives), with a platform-wide ``username`` (what the parent types to sign in), an argon2id
password hash (empty until a login token is used), the language chosen, the lockout counters
of ``sync.server.staff`` and the last e-mail failure (so the office can send again).
``parent_children``: which students a parent may see. ``parent_tokens``: a one-time login
token (kept hashed), valid 14 days. ``staff_sessions.kind``: a session is a staff member's
(``staff``) or a parent's (``parent``): one mechanism for both, ``staff_id`` holding the
account's id.

Revision 0013, after 0012. New tables and a column with a default: older releases can still
serve the database.
"""
from sync.server.migrations import execute

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE TABLE IF NOT EXISTS parents (id TEXT PRIMARY KEY, school_id TEXT NOT NULL,"
            " email TEXT NOT NULL, username TEXT NOT NULL, password_hash TEXT NOT NULL"
            " DEFAULT '', lang TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0,"
            " failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TEXT,"
            " mail_error TEXT NOT NULL DEFAULT '', token_sent_at TEXT,"
            " created_at TEXT NOT NULL, UNIQUE (username), UNIQUE (school_id, email))")
    execute("CREATE TABLE IF NOT EXISTS parent_children (parent_id TEXT NOT NULL,"
            " school_id TEXT NOT NULL, student_id TEXT NOT NULL,"
            " PRIMARY KEY (parent_id, student_id))")
    execute("CREATE TABLE IF NOT EXISTS parent_tokens (token_hash TEXT PRIMARY KEY,"
            " parent_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)")
    execute("ALTER TABLE staff_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'staff'")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
