"""One-time links to choose a password (issue 16): an admin's invitation of a new member, a
new link for one who forgot theirs, the first admin's from ``comptoir central init``.

The link's token is shown once (the page, the command line); the database keeps its hash and
its expiry (``LINK_LIFETIME``). Using it sets the password, ends the account's sessions and
every other link of that account; the account's lockout is lifted.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sync.common.clock import iso_utc, parse_iso_utc
from sync.server import staff as accounts
from sync.server.database import Database, sha256
from sync.server.errors import CentralError

LINK_LIFETIME = timedelta(days=7)
PATH = "/welcome"       # the page that takes the token (``?token=``)


def new_link(db: Database, school_id: str, staff_id: str) -> str:
    """A new one-time token for the account (earlier ones stop working)."""
    token = secrets.token_urlsafe(32)
    now = db.now()
    with db.transaction() as conn:
        accounts.get_staff(db, school_id, staff_id, conn)
        db.execute(conn, "DELETE FROM staff_invitations WHERE staff_id = ?", (staff_id,))
        db.execute(conn, "INSERT INTO staff_invitations (token_hash, staff_id, created_at,"
                         " expires_at) VALUES (?, ?, ?, ?)",
                   (sha256(token), staff_id, iso_utc(now), iso_utc(now + LINK_LIFETIME)))
    return token


def invite(db: Database, school_id: str, email: str, name: str,
           role: str) -> tuple[accounts.Account, str]:
    """A new account and its one-time token."""
    account = accounts.add_staff(db, school_id, email, name, role)
    return account, new_link(db, school_id, account.id)


def link_account(db: Database, token: str) -> accounts.Account:
    """The account a still valid token is for, or ``invalid``."""
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT i.expires_at, s.school_id, s.id FROM staff_invitations i"
                               " JOIN staff s ON s.id = i.staff_id WHERE i.token_hash = ?",
                         (sha256(token[:100]),)).fetchone()
    if row is None or parse_iso_utc(row[0]) <= db.now():
        raise CentralError("invalid", "this link is no longer valid: ask an admin for a new one")
    return accounts.get_staff(db, row[1], row[2])


def use_link(db: Database, token: str, password: str) -> accounts.Account:
    """Set the password of the token's account; the token is spent."""
    account = link_account(db, token)
    password_hash = accounts.hash_password(password)
    with db.transaction() as conn:
        spent = db.execute(conn, "DELETE FROM staff_invitations WHERE token_hash = ?",
                           (sha256(token[:100]),))
        if spent.rowcount != 1:         # used by another request meanwhile
            raise CentralError("invalid", "this link is no longer valid: ask an admin for a new one")
        db.execute(conn, "DELETE FROM staff_invitations WHERE staff_id = ?", (account.id,))
        db.execute(conn, "DELETE FROM staff_sessions WHERE staff_id = ?", (account.id,))
        db.execute(conn, "UPDATE staff SET password_hash = ?, failed_attempts = 0,"
                         " locked_until = NULL WHERE id = ?", (password_hash, account.id))
    return accounts.get_staff(db, account.school_id, account.id)
