"""Staff accounts of the school's back office (issue 16): who may sign in to the pages, their
sessions and the invitations an admin sends.

``staff``: one row per person of a school's office; the email is their login (unique on the
platform, kept lower-case), the role one of ``sync.server.permissions.ROLES``, the password an
argon2id hash (empty until an invitation or a set-password link is used); failed attempts and
``locked_until`` make the lockout. ``staff_sessions``: a signed-in browser (the cookie's
random id, kept hashed), with its absolute expiry and its last sighting for the idle timeout.
``staff_invitations``: a one-time link (its token kept hashed) to choose a password.
``login_throttle``: failed sign-ins per client address (a guesser trying many emails).
``staff_tokens``: a member's personal API tokens for scripts (kept hashed; the id is the
hash's first 12 characters), acting with that member's role.

Revision 0009, after 0008. New tables only: older releases can still serve the database.
"""
from sync.server.migrations import execute

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE TABLE IF NOT EXISTS staff (id TEXT PRIMARY KEY, school_id TEXT NOT NULL,"
            " email TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,"
            " password_hash TEXT NOT NULL DEFAULT '', lang TEXT NOT NULL DEFAULT '',"
            " disabled INTEGER NOT NULL DEFAULT 0, failed_attempts INTEGER NOT NULL DEFAULT 0,"
            " locked_until TEXT, created_at TEXT NOT NULL, UNIQUE (email))")
    execute("CREATE TABLE IF NOT EXISTS staff_sessions (id_hash TEXT PRIMARY KEY,"
            " staff_id TEXT NOT NULL, created_at TEXT NOT NULL, last_seen TEXT NOT NULL,"
            " expires_at TEXT NOT NULL)")
    execute("CREATE INDEX IF NOT EXISTS staff_sessions_by_staff ON staff_sessions (staff_id)")
    execute("CREATE TABLE IF NOT EXISTS staff_invitations (token_hash TEXT PRIMARY KEY,"
            " staff_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)")
    execute("CREATE TABLE IF NOT EXISTS login_throttle (address TEXT PRIMARY KEY,"
            " failures INTEGER NOT NULL, since TEXT NOT NULL)")
    execute("CREATE TABLE IF NOT EXISTS staff_tokens (token_hash TEXT PRIMARY KEY,"
            " staff_id TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL,"
            " last_used TEXT)")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
