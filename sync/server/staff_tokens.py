"""Personal API tokens of the school's staff (issue 16): a script of the office acts with its
member's role and school, as their pages do (``api.deps.office`` takes one as a bearer
token). Only each token's hash is kept; its id, to list and revoke it, is the hash's first 12
characters. A disabled account's tokens stop working with it."""
from __future__ import annotations

import secrets

from sync.server.database import Database, sha256
from sync.server.errors import CentralError
from sync.server.permissions import Staff

PREFIX = "cst_"         # tells a staff token from an admin's or a terminal's at a glance
MAX_TOKENS = 20


def create(db: Database, staff: Staff, label: str) -> str:
    """A new token of ``staff``'s, returned once."""
    label = " ".join(label.split())
    if not label or len(label) > 60 or any(ord(c) < 32 for c in label):
        raise CentralError("invalid", "a token's label has 1 to 60 characters")
    token = PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as conn:
        count = db.execute(conn, "SELECT count(*) FROM staff_tokens WHERE staff_id = ?",
                           (staff.id,)).fetchone()[0]
        if count >= MAX_TOKENS:
            raise CentralError("invalid", "at most {count} tokens per person", count=MAX_TOKENS)
        db.execute(conn, "INSERT INTO staff_tokens (token_hash, staff_id, label, created_at)"
                         " VALUES (?, ?, ?, ?)", (sha256(token), staff.id, label, db.stamp()))
    return token


def tokens(db: Database, staff: Staff) -> list[dict]:
    """``staff``'s tokens: id, label, when made and last used (newest first)."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT token_hash, label, created_at, last_used FROM"
                                " staff_tokens WHERE staff_id = ? ORDER BY created_at DESC",
                          (staff.id,)).fetchall()
    return [{"id": h[:12], "label": label, "created_at": at, "last_used": used}
            for h, label, at, used in rows]


def revoke(db: Database, staff: Staff, token_id: str) -> None:
    """Revoke one of ``staff``'s tokens (another's id is ``not_found``)."""
    with db.transaction() as conn:
        hashes = [r[0] for r in db.execute(conn, "SELECT token_hash FROM staff_tokens"
                                                 " WHERE staff_id = ?", (staff.id,))
                  if len(token_id) == 12 and r[0].startswith(token_id)]
        if not hashes:
            raise CentralError("not_found", "no token {id!r}", id=token_id[:20])
        db.execute(conn, "DELETE FROM staff_tokens WHERE token_hash = ?", (hashes[0],))


def authenticate(db: Database, token: str) -> Staff | None:
    """The member behind a staff token (``None``: not a staff token at all); a token of a
    disabled account, or revoked, is ``unauthorized``."""
    if not token.startswith(PREFIX):
        return None
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT s.id, s.school_id, s.role, s.name, s.disabled,"
                               " t.last_used FROM staff_tokens t JOIN staff s"
                               " ON s.id = t.staff_id WHERE t.token_hash = ?",
                         (sha256(token),)).fetchone()
    if row is None or row[4]:
        raise CentralError("unauthorized", "unknown token")
    stamp = db.stamp()
    if (row[5] or "")[:16] != stamp[:16]:          # last use, to the minute
        with db.transaction() as conn:
            db.execute(conn, "UPDATE staff_tokens SET last_used = ? WHERE token_hash = ?",
                       (stamp, sha256(token)))
    return Staff(id=row[0], school_id=row[1], role=row[2], name=row[3])
