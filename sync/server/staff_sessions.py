"""Signed-in browsers of the school's staff (issue 16): a session is a random id the browser
keeps in an HttpOnly cookie (``sync.server.web.auth``); the database keeps its hash only,
with an absolute expiry (``LIFETIME``) and the last sighting, for the idle timeout (``IDLE``).

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


def open_session(db: Database, staff_id: str) -> str:
    """A new session for ``staff_id``; its id, returned once (for the cookie)."""
    token = secrets.token_urlsafe(32)
    now = db.now()
    with db.transaction() as conn:
        db.execute(conn, "DELETE FROM staff_sessions WHERE expires_at < ? OR last_seen < ?",
                   (iso_utc(now), iso_utc(now - IDLE)))      # the old ones, now and then
        db.execute(conn, "INSERT INTO staff_sessions (id_hash, staff_id, created_at, last_seen,"
                         " expires_at) VALUES (?, ?, ?, ?, ?)",
                   (sha256(token), staff_id, iso_utc(now), iso_utc(now), iso_utc(now + LIFETIME)))
    return token


def resolve(db: Database, token: str) -> SignedIn | None:
    """The session whose id is ``token``, if it is still alive and its account enabled."""
    if not token or len(token) > 100:
        return None
    now = db.now()
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT s.last_seen, s.expires_at, t.id, t.school_id, t.role,"
                               " t.name, t.lang, t.disabled FROM staff_sessions s"
                               " JOIN staff t ON t.id = s.staff_id WHERE s.id_hash = ?",
                         (sha256(token),)).fetchone()
    if row is None or row[7]:
        return None
    last_seen, expires = parse_iso_utc(row[0]), parse_iso_utc(row[1])
    if expires <= now or last_seen + IDLE <= now:
        close(db, token)
        return None
    if now - last_seen >= _SEEN_EVERY:
        with db.transaction() as conn:
            db.execute(conn, "UPDATE staff_sessions SET last_seen = ? WHERE id_hash = ?",
                       (iso_utc(now), sha256(token)))
    return SignedIn(Staff(id=row[2], school_id=row[3], role=row[4], name=row[5]), row[6] or "",
                    token)


def close(db: Database, token: str) -> None:
    """Sign out this browser."""
    with db.transaction() as conn:
        db.execute(conn, "DELETE FROM staff_sessions WHERE id_hash = ?", (sha256(token),))


def close_all(db: Database, staff: Staff, keep: str | None = None) -> int:
    """Sign ``staff`` out everywhere (but the session ``keep``, if given); how many ended."""
    with db.transaction() as conn:
        cursor = db.execute(conn, "DELETE FROM staff_sessions WHERE staff_id = ?"
                                  " AND id_hash <> ? AND staff_id IN"
                                  " (SELECT id FROM staff WHERE school_id = ?)",
                            (staff.id, sha256(keep) if keep else "", staff.school_id))
        return max(cursor.rowcount, 0)
