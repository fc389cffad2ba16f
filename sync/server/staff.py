"""Staff accounts of a school's back office (issue 16): who they are, their role, their
password, and signing in with throttling and lockout.

A person signs in with their email (unique on the platform) and a password kept as an
argon2id hash (the parameters of ``kiosk.operators``: OWASP's). An account is made by
``invite`` (an admin of the school, or ``comptoir central init`` for the first admin) and gets
its password through a one-time link (``staff_links``). Every function takes the school and
scopes its query to it: an id of another school is ``not_found``, as an unknown one.

Signing in: ``MAX_FAILURES`` wrong passwords in a row lock the account for ``LOCK``; a client
address with ``MAX_ADDRESS_FAILURES`` failures within ``LOCK`` is refused for the rest of it.
Every refusal says the same (``refused``): whether an email has an account, or is
locked, is never told to someone who does not know its password.
"""
from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.i18n import LANGUAGES
from sync.server.database import Connection, Database
from sync.server.errors import CentralError
from sync.server.permissions import ROLES, Staff

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
LOCK = timedelta(minutes=15)
MIN_PASSWORD, MAX_PASSWORD = 10, 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,}$")
_COLUMNS = "id, school_id, email, name, role, disabled, password_hash <> '', lang, locked_until"


@dataclass(frozen=True)
class Account:
    """A staff account as the pages and the JSON API show it (never its password)."""

    id: str
    school_id: str
    email: str
    name: str
    role: str
    disabled: bool
    has_password: bool
    lang: str
    locked_until: str | None

    @property
    def staff(self) -> Staff:
        return Staff(id=self.id, school_id=self.school_id, role=self.role, name=self.name)


def _account(row: tuple) -> Account:
    return Account(row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]),
                   row[7] or "", row[8])


def hash_password(password: str) -> str:
    check_password(password)
    return _HASHER.hash(password)


def check_password(password: str) -> None:
    """A password's rules: long enough to resist guessing, short enough to hash."""
    if len(password) < MIN_PASSWORD:
        raise CentralError("invalid", "the password must have at least {count} characters",
                           count=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise CentralError("invalid", "the password may have at most {count} characters",
                           count=MAX_PASSWORD)


def _printable(text: str) -> bool:
    """No control character (a NUL cannot even be stored on PostgreSQL)."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in text)


def clean_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254 or not _printable(email):
        raise CentralError("invalid", "not an email address")
    return email


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 100 or not _printable(name):
        raise CentralError("invalid", "a name has 1 to 100 characters")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CentralError("invalid", "unknown role {role!r}", role=role[:40])
    return role


# -- reading ---------------------------------------------------------------------------------
def list_staff(db: Database, school_id: str) -> list[Account]:
    """The school's staff, by name."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, f"SELECT {_COLUMNS} FROM staff WHERE school_id = ?"
                                " ORDER BY lower(name), email", (school_id,)).fetchall()
    return [_account(r) for r in rows]


def get_staff(db: Database, school_id: str, staff_id: str,
              conn: Connection | None = None) -> Account:
    """One of the school's staff; another school's (or an unknown id) is ``not_found``."""
    def read(c: Connection) -> tuple | None:
        return db.execute(c, f"SELECT {_COLUMNS} FROM staff WHERE id = ? AND school_id = ?",
                          (staff_id, school_id)).fetchone()
    if not _printable(staff_id):
        row = None
    elif conn is not None:
        row = read(conn)
    else:
        with db.transaction(write=False) as c:
            row = read(c)
    if row is None:
        raise CentralError("not_found", "no staff member {id!r}", id=staff_id[:40])
    return _account(row)


# -- changing ---------------------------------------------------------------------------------
def add_staff(db: Database, school_id: str, email: str, name: str, role: str) -> Account:
    """A new account, without a password yet (``staff_links.new_link`` gives the way to set
    one)."""
    email, name, role = clean_email(email), clean_name(name), check_role(role)
    staff_id = secrets.token_hex(8)
    with db.transaction() as conn:
        if not db.execute(conn, "SELECT 1 FROM schools WHERE id = ?", (school_id,)).fetchone():
            raise CentralError("invalid", "no school {school!r}", school=school_id)
        if db.execute(conn, "SELECT 1 FROM staff WHERE email = ?", (email,)).fetchone():
            raise CentralError("invalid", "this email already has an account")
        db.execute(conn, "INSERT INTO staff (id, school_id, email, name, role, created_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                   (staff_id, school_id, email, name, role, db.stamp()))
        return get_staff(db, school_id, staff_id, conn)


def _active_admins(db: Database, conn: Connection, school_id: str) -> int:
    return db.execute(conn, "SELECT count(*) FROM staff WHERE school_id = ? AND role = 'admin'"
                            " AND disabled = 0", (school_id,)).fetchone()[0]


def update_staff(db: Database, school_id: str, staff_id: str, *, role: str | None = None,
                 disabled: bool | None = None) -> Account:
    """Change a member's role or disable (enable) their account; a disabled account's
    sessions end. The school always keeps an active admin."""
    if role is not None:
        check_role(role)
    with db.transaction() as conn:
        before = get_staff(db, school_id, staff_id, conn)
        if role is not None:
            db.execute(conn, "UPDATE staff SET role = ? WHERE id = ?", (role, staff_id))
        if disabled is not None:
            db.execute(conn, "UPDATE staff SET disabled = ? WHERE id = ?",
                       (int(disabled), staff_id))
            if disabled:
                db.execute(conn, "DELETE FROM staff_sessions WHERE staff_id = ?", (staff_id,))
        if before.role == "admin" and _active_admins(db, conn, school_id) == 0:
            raise CentralError("invalid", "the school must keep at least one active admin")
        return get_staff(db, school_id, staff_id, conn)


def set_language(db: Database, staff: Staff, lang: str) -> None:
    if lang not in LANGUAGES:
        raise CentralError("invalid", "unknown language {lang!r}", lang=lang[:10])
    with db.transaction() as conn:
        db.execute(conn, "UPDATE staff SET lang = ? WHERE id = ? AND school_id = ?",
                   (lang, staff.id, staff.school_id))


def change_password(db: Database, staff: Staff, current: str, new: str) -> None:
    """Change one's own password (the current one is asked again)."""
    new_hash = hash_password(new)
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT password_hash FROM staff WHERE id = ? AND school_id = ?",
                         (staff.id, staff.school_id)).fetchone()
    if row is None or not _verify(row[0], current):
        raise CentralError("invalid", "the current password is wrong")
    with db.transaction() as conn:
        db.execute(conn, "UPDATE staff SET password_hash = ? WHERE id = ?", (new_hash, staff.id))


@functools.cache
def _dummy_hash() -> str:
    """Verified against when there is no account: an unknown email costs the same time.
    Made at the first use (hashing costs a server's start 40 ms, more on a busy machine)."""
    return _HASHER.hash("not a password of anyone")


def verify_password(stored: str, password: str) -> bool:
    """The password matches the stored hash (also for parents' accounts)."""
    return _verify(stored, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _dummy_hash(), password) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# -- signing in --------------------------------------------------------------------------------
def sign_in(db: Database, email: str, password: str, address: str) -> Account:
    """The account whose email and password these are, or ``unauthorized`` with one message
    whatever went wrong (unknown email, wrong password, locked, disabled, throttled)."""
    email = email.strip().lower()[:254]
    staff_id = check_sign_in(db, "staff", "email", email, password, address)
    with db.transaction(write=False) as conn:
        row = db.execute(conn, f"SELECT {_COLUMNS} FROM staff WHERE id = ?",
                         (staff_id,)).fetchone()
    return _account(row)


_ACCOUNT_TABLES = {("staff", "email"), ("parents", "username")}     # who signs in, by what


def check_sign_in(db: Database, table: str, login_column: str, login: str, password: str,
                  address: str) -> str:
    """The id of the account of ``table`` (staff, or parents: issue 17) whose login and
    password these are, with the throttling and lockout above; else ``refused()``."""
    assert (table, login_column) in _ACCOUNT_TABLES
    now = db.now()
    if not _printable(login):
        login = ""
    with db.transaction(write=False) as conn:
        row = db.execute(conn, f"SELECT id, locked_until, disabled, password_hash FROM {table}"
                               f" WHERE {login_column} = ?", (login[:254],)).fetchone()
        throttle = db.execute(conn, "SELECT failures, since FROM login_throttle"
                                    " WHERE address = ?", (address,)).fetchone()
    if throttle and throttle[0] >= MAX_ADDRESS_FAILURES and parse_iso_utc(throttle[1]) + LOCK > now:
        _verify("", password)
        raise refused()
    locked = row is not None and row[1] is not None and parse_iso_utc(row[1]) > now
    good = _verify(row[3] if row else "", password)
    if row is None or not good or locked or row[2]:
        _failed(db, address, row[0] if row is not None and not locked else None, table)
        raise refused()
    with db.transaction() as conn:
        db.execute(conn, f"UPDATE {table} SET failed_attempts = 0, locked_until = NULL"
                         " WHERE id = ?", (row[0],))
    return str(row[0])


def refused() -> CentralError:
    """The one answer to a sign-in that fails, whatever the reason."""
    return CentralError("unauthorized", "wrong email or password, or too many attempts:"
                                        " try again in a few minutes")


def _failed(db: Database, address: str, staff_id: str | None, table: str = "staff") -> None:
    """Count a failed sign-in against the address and (when it is one) the account."""
    now = db.now()
    with db.transaction() as conn:
        seen = db.execute(conn, "SELECT failures, since FROM login_throttle WHERE address = ?",
                          (address,)).fetchone()
        if seen is None or parse_iso_utc(seen[1]) + LOCK <= now:
            db.execute(conn, "DELETE FROM login_throttle WHERE address = ?", (address,))
            db.execute(conn, "INSERT INTO login_throttle (address, failures, since)"
                             " VALUES (?, 1, ?)", (address, iso_utc(now)))
        else:
            db.execute(conn, "UPDATE login_throttle SET failures = failures + 1"
                             " WHERE address = ?", (address,))
        if staff_id is None:
            return
        db.execute(conn, f"UPDATE {table} SET failed_attempts = failed_attempts + 1"
                         " WHERE id = ?", (staff_id,))
        failures = db.execute(conn, f"SELECT failed_attempts FROM {table} WHERE id = ?",
                              (staff_id,)).fetchone()[0]
        if failures >= MAX_FAILURES:
            db.execute(conn, f"UPDATE {table} SET failed_attempts = 0, locked_until = ?"
                             " WHERE id = ?", (iso_utc(now + LOCK), staff_id))
