"""Admin tokens: what the school's office (reports, ledger, roster, the device list, the
API description) authenticates with. Only each token's hash is kept; its id, to list and
revoke it, is the hash's first 12 characters: no secret. A terminal's token is never an
admin's."""
from __future__ import annotations

import logging
import re
import secrets

from sync.server.database import Database, sha256
from sync.server.errors import CentralError

log = logging.getLogger("comptoir.central")


def create_admin_token(db: Database) -> str:
    """A new admin token, returned once."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as conn:
        db.execute(conn, "INSERT INTO admin_tokens (token_hash, created_at) VALUES (?, ?)",
                   (sha256(token), db.stamp()))
    log.info("admin token %s created", sha256(token)[:12])
    return token


def admin_tokens(db: Database) -> list[dict]:
    """Every admin token: its id and when it was made (oldest first)."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT token_hash, created_at FROM admin_tokens"
                                " ORDER BY created_at").fetchall()
    return [{"id": h[:12], "created_at": at} for h, at in rows]


def revoke_admin_token(db: Database, token_id: str) -> None:
    """Revoke the admin token whose id is ``token_id``: it is refused from then on."""
    token_id = token_id.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{12}", token_id):
        raise CentralError("invalid", "an admin token's id is 12 hexadecimal characters"
                                      " (see 'admin-token --list')")
    with db.transaction() as conn:
        hashes = [r[0] for r in db.execute(conn, "SELECT token_hash FROM admin_tokens")
                  if r[0].startswith(token_id)]
        if not hashes:
            raise CentralError("not_found", "no admin token {id}", id=token_id)
        db.execute(conn, "DELETE FROM admin_tokens WHERE token_hash = ?", (hashes[0],))
    log.info("admin token %s revoked", token_id)


def authenticate_admin(db: Database, token: str) -> None:
    """An admin's token passes; a terminal's is ``forbidden`` (terminals read no reports);
    anything else is ``unauthorized``."""
    with db.transaction(write=False) as conn:
        if db.execute(conn, "SELECT 1 FROM admin_tokens WHERE token_hash = ?",
                      (sha256(token),)).fetchone():
            return
        terminal = db.execute(conn, "SELECT 1 FROM devices WHERE token_hash = ?",
                              (sha256(token),)).fetchone()
    if terminal:
        raise CentralError("forbidden", "a terminal's token cannot read reports")
    raise CentralError("unauthorized", "unknown token")
