"""Signed-in browsers of the school's staff (issue 16): a session is a random id the browser
keeps in an HttpOnly cookie (``sync.server.web.auth``); the database keeps its hash only,
with an absolute expiry (``LIFETIME``) and the last sighting, for the idle timeout (``IDLE``).

A session is a staff member's (``kind`` ``staff``) or a parent's (``parent``, issue 17): one
table, one cookie, one CSRF rule for both; ``resolve`` finds only the staff's (what the back
office accepts), ``resolve_parent`` only the parents' (what the parents' pages accept).

Each session has its CSRF token, derived from its id (``csrf_token``): a form of the pages
carries it in a hidden field, a script in the ``X-CSRF-Token`` header. Nothing more is kept.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sync.common.clock import iso_utc, parse_iso_utc
from sync.server.database import Database, sha256
from sync.server.permissions import Staff

LIFETIME = timedelta(hours=12)      # a working day, then sign in again
IDLE = timedelta(hours=2)           # a browser left open on a desk
_SEEN_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


@dataclass(frozen=True)
class Parent:
    """A parent as a request is made on their behalf: ``school_id`` and their children are
    all they see (``sync.server.parents``)."""

    id: str
    school_id: str
    username: str


@dataclass(frozen=True)
class ParentSignedIn:
    """A parent's session, like ``SignedIn`` for staff."""

    parent: Parent
    lang: str
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a session, and their language of choice (empty: none chosen)."""

    staff: Staff
    lang: str
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: derived from its secret id, so that only its browser knows it."""
    return hashlib.sha256(b"comptoir-csrf:" + session_token.encode()).hexdigest()[:40]


def csrf_matches(session_token: str, sent: str) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_token), sent)


def open_session(db: Database, staff_id: str, kind: str = "staff") -> str:
    """A new session for the account ``staff_id`` (a parent's when ``kind`` is
    ``parent``); its id, returned once (for the cookie)."""
    token = secrets.token_urlsafe(32)
    now = db.now()
    with db.transaction() as conn:
        db.execute(conn, "DELETE FROM staff_sessions WHERE expires_at < ? OR last_seen < ?",
                   (iso_utc(now), iso_utc(now - IDLE)))      # the old ones, now and then
        db.execute(conn, "INSERT INTO staff_sessions (id_hash, staff_id, created_at, last_seen,"
                         " expires_at, kind) VALUES (?, ?, ?, ?, ?, ?)",
                   (sha256(token), staff_id, iso_utc(now), iso_utc(now), iso_utc(now + LIFETIME),
                    kind))
    return token


_ACCOUNTS = {       # the account behind a session of each kind, and what a page needs of it
    "staff": "SELECT s.last_seen, s.expires_at, t.disabled, t.lang, t.id, t.school_id, t.role,"
             " t.name FROM staff_sessions s JOIN staff t ON t.id = s.staff_id"
             " WHERE s.id_hash = ? AND s.kind = 'staff'",
    "parent": "SELECT s.last_seen, s.expires_at, p.disabled, p.lang, p.id, p.school_id,"
              " p.username FROM staff_sessions s JOIN parents p ON p.id = s.staff_id"
              " WHERE s.id_hash = ? AND s.kind = 'parent'",
}


def _alive(db: Database, token: str, kind: str) -> tuple | None:
    """The session's row (see ``_ACCOUNTS``) if it is alive, of ``kind``, its account enabled."""
    if not token or len(token) > 100:
        return None
    now = db.now()
    with db.transaction(write=False) as conn:
        row = db.execute(conn, _ACCOUNTS[kind], (sha256(token),)).fetchone()
    if row is None or row[2]:
        return None
    last_seen, expires = parse_iso_utc(row[0]), parse_iso_utc(row[1])
    if expires <= now or last_seen + IDLE <= now:
        close(db, token)
        return None
    if now - last_seen >= _SEEN_EVERY:
        with db.transaction() as conn:
            db.execute(conn, "UPDATE staff_sessions SET last_seen = ? WHERE id_hash = ?",
                       (iso_utc(now), sha256(token)))
    return row


def resolve(db: Database, token: str) -> SignedIn | None:
    """The staff session whose id is ``token``, if it is still alive and its account enabled."""
    row = _alive(db, token, "staff")
    if row is None:
        return None
    return SignedIn(Staff(id=row[4], school_id=row[5], role=row[6], name=row[7]), row[3] or "",
                    token)


def resolve_parent(db: Database, token: str) -> ParentSignedIn | None:
    """The parent's session whose id is ``token``, if it is still alive."""
    row = _alive(db, token, "parent")
    if row is None:
        return None
    return ParentSignedIn(Parent(id=row[4], school_id=row[5], username=row[6]), row[3] or "",
                          token)


def close(db: Database, token: str) -> None:
    """Sign out this browser."""
    with db.transaction() as conn:
        db.execute(conn, "DELETE FROM staff_sessions WHERE id_hash = ?", (sha256(token),))


def close_all(db: Database, staff: Staff, keep: str | None = None) -> int:
    """Sign ``staff`` out everywhere (but the session ``keep``, if given); how many ended."""
    with db.transaction() as conn:
        cursor = db.execute(conn, "DELETE FROM staff_sessions WHERE staff_id = ?"
                                  " AND id_hash <> ? AND kind = 'staff' AND staff_id IN"
                                  " (SELECT id FROM staff WHERE school_id = ?)",
                            (staff.id, sha256(keep) if keep else "", staff.school_id))
        return max(cursor.rowcount, 0)
