"""Operators and their PINs. A PIN is stored only as an Argon2id hash (OWASP parameters) and
never logged. Five wrong PINs lock the operator for 60 s, doubling at each new lock; a
supervisor or admin can unlock. Lock state lives in the store, so it holds across processes."""
from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kiosk.store import Store
from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.errors import AuthError
from sync.common.pins import HASHER as _HASHER, PIN as _PIN

MAX_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 60
ROLES = ("seller", "supervisor", "admin")

# What each role may do (the counter service asks ``require``).
PERMISSIONS = {
    "sell": {"seller", "supervisor", "admin"},
    "pickup": {"seller", "supervisor", "admin"},
    "report_x": {"seller", "supervisor", "admin"},
    "void": {"supervisor", "admin"},
    "close_day": {"supervisor", "admin"},
    "unlock_operator": {"supervisor", "admin"},
    "block_badge": {"supervisor", "admin"},
    "unblock_badge": {"supervisor", "admin"},
    "cash_topup": {"supervisor", "admin"},              # cash taken at the desk (kiosk.cash_topups)
    "serve_without_badge": {"supervisor", "admin"},     # confirms a student found by name
    "manage_operators": {"admin"},
}


@dataclass(frozen=True)
class Session:
    """A logged-in operator. Obtained from ``login``; passed to every counter operation."""
    operator_id: str
    name: str
    role: str

    def require(self, action: str) -> None:
        if self.role not in PERMISSIONS[action]:
            raise AuthError("forbidden", action=action)


def hash_pin(pin: str) -> str:
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise AuthError("bad_pin")
    return _HASHER.hash(pin)


def add_operator(store: Store, name: str, role: str, pin: str,
                 by: Session | None = None) -> str:
    """Create an operator. The very first one needs no session and must be an admin (so that
    someone can manage the rest); after that only an admin may add operators."""
    if role not in ROLES:
        raise AuthError("usage", detail=f"role must be one of {', '.join(ROLES)}")
    pin_hash = hash_pin(pin)             # slow: outside the write lock
    with store.write() as conn:
        has_any = conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone()
        if has_any:
            if by is None:
                raise AuthError("forbidden", action="manage_operators")
            by.require("manage_operators")
        elif role != "admin":
            raise AuthError("first_operator_admin")
        if conn.execute("SELECT 1 FROM operators WHERE name = ?", (name,)).fetchone():
            raise AuthError("operator_exists", name=name)
        op_id = "op-" + uuid.uuid4().hex[:12]
        conn.execute("INSERT INTO operators (id, name, role, pin_hash) VALUES (?, ?, ?, ?)",
                     (op_id, name, role, pin_hash))
    return op_id


def login(store: Store, name: str, pin: str, now: datetime) -> Session:
    with store.read() as conn:
        row = conn.execute("SELECT id, name, role, pin_hash, locked_until,"
                           " failed_attempts OR lock_count FROM operators"
                           " WHERE name = ? AND active", (name,)).fetchone()
    if row is None:
        raise AuthError("unknown_operator", name=name)
    op_id, op_name, role, pin_hash, locked_until, counted = row
    if locked_until and parse_iso_utc(locked_until) > now:
        raise AuthError("operator_locked", seconds=_seconds_left(locked_until, now))
    try:
        _HASHER.verify(pin_hash, str(pin))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return _wrong_pin(store, op_id, now)
    rehash = _HASHER.check_needs_rehash(pin_hash)
    if counted or locked_until or rehash:       # nothing to write: a login works on a full disk
        with store.write() as conn:
            conn.execute("UPDATE operators SET failed_attempts = 0, lock_count = 0,"
                         " locked_until = NULL WHERE id = ?", (op_id,))
            if rehash:
                conn.execute("UPDATE operators SET pin_hash = ? WHERE id = ?",
                             (_HASHER.hash(str(pin)), op_id))
    return Session(op_id, op_name, role)


def _wrong_pin(store: Store, op_id: str, now: datetime) -> NoReturn:
    with store.write() as conn:
        failed, lock_count = conn.execute(
            "SELECT failed_attempts, lock_count FROM operators WHERE id = ?", (op_id,)).fetchone()
        failed += 1
        if failed >= MAX_ATTEMPTS:
            lock_count += 1
            until = now + timedelta(seconds=FIRST_LOCK_SECONDS * 2 ** (lock_count - 1))
            conn.execute("UPDATE operators SET failed_attempts = 0, lock_count = ?, locked_until = ?"
                         " WHERE id = ?", (lock_count, iso_utc(until), op_id))
            locked = AuthError("operator_locked", seconds=_seconds_left(iso_utc(until), now))
        else:
            conn.execute("UPDATE operators SET failed_attempts = ? WHERE id = ?", (failed, op_id))
            locked = None
    raise locked or AuthError("wrong_pin", attempts_left=MAX_ATTEMPTS - failed)


def _seconds_left(locked_until: str, now: datetime) -> int:
    return max(1, int((parse_iso_utc(locked_until) - now).total_seconds() + 0.999))


def unlock(store: Store, name: str, by: Session) -> None:
    by.require("unlock_operator")
    with store.write() as conn:
        cur = conn.execute("UPDATE operators SET failed_attempts = 0, lock_count = 0,"
                           " locked_until = NULL WHERE name = ?", (name,))
        if cur.rowcount == 0:
            raise AuthError("unknown_operator", name=name)


def list_operators(store: Store) -> list[dict]:
    with store.read() as conn:
        rows = conn.execute("SELECT id, name, role, active, locked_until FROM operators"
                            " ORDER BY name").fetchall()
    return [dict(zip(("id", "name", "role", "active", "locked_until"), r)) for r in rows]


def office_unlocks(conn: sqlite3.Connection, stamps: list[tuple[str, str]]) -> None:
    """The office unlocked these operators (``(id, when)``, the platform's time): clear their
    lock, in the caller's transaction. Each stamp counts once (``meta``
    ``office_unlock:<id>``), and a stamp older than the lock running here unlocks nothing:
    a resync that sends an old unlock again never frees an operator locked since."""
    for op_id, stamp in stamps:
        try:
            when = parse_iso_utc(stamp)
        except ValueError:
            continue
        key = f"office_unlock:{op_id}"
        seen = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if seen is not None and parse_iso_utc(seen[0]) >= when:
            continue
        row = conn.execute("SELECT locked_until, lock_count FROM operators WHERE id = ?",
                           (op_id,)).fetchone()
        if row is not None and not (row[0] and _lock_began(row[0], row[1]) > when):
            conn.execute("UPDATE operators SET failed_attempts = 0, lock_count = 0,"
                         " locked_until = NULL WHERE id = ?", (op_id,))
        Store.set_kv(conn, "meta", key, iso_utc(when))


def _lock_began(locked_until: str, lock_count: int) -> datetime:
    """When the running lock began: its end less its length (doubling at each lock)."""
    return parse_iso_utc(locked_until) - timedelta(
        seconds=FIRST_LOCK_SECONDS * 2 ** (max(1, lock_count) - 1))
