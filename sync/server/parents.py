"""Parents' accounts (issue 17, point 1): the school's roster gives each student's parents'
e-mail addresses (``roster``: the ``parent_emails`` column); each address is one parent
account of that school, linked to those children. The office sends the parents their
username and a one-time login token (``send_tokens``), "un code à usage unique (validité :
14 jours)" as the seeds say; the parent sets their password with it (``use_token``), then
signs in with the username and that password (``sign_in``: the staff's throttling and
lockout, ``sync.server.staff``). "Mot de passe oublié" (``forgot``) sends a new token to the
address the school has, and answers the same whether or not there is one.

Tokens are kept hashed, work once, and a new one replaces the older ones. A parent sees only
their own children: ``child`` answers ``not_found`` for any other student, of their school or
not, exactly as for an unknown id.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.i18n import LANGUAGES, translator
from sync.server import mail, staff as accounts
from sync.server.database import Connection, Database, sha256
from sync.server.errors import CentralError
from sync.server.staff_sessions import Parent

TOKEN_LIFETIME = timedelta(days=14)
TOKEN_PATH = "/parents/token"       # the page where a token sets the password
_COLUMNS = "id, school_id, email, username, password_hash <> '', lang, mail_error, token_sent_at"


@dataclass(frozen=True)
class ParentAccount:
    """A parent's account as the office sees it (never the password)."""

    id: str
    school_id: str
    email: str
    username: str
    has_password: bool
    lang: str
    mail_error: str
    token_sent_at: str | None

    @property
    def parent(self) -> Parent:
        return Parent(id=self.id, school_id=self.school_id, username=self.username)


def _account(row: tuple) -> ParentAccount:
    return ParentAccount(row[0], row[1], row[2], row[3], bool(row[4]), row[5] or "",
                         row[6] or "", row[7])


# -- the roster's parents ---------------------------------------------------------------------
def _username(db: Database, conn: Connection, email: str) -> str:
    """A new username: the address's first part, and digits to make it the platform's only."""
    base = re.sub(r"[^a-z0-9.]+", "", email.split("@")[0].lower())[:20] or "parent"
    while True:
        name = f"{base}.{secrets.randbelow(10_000):04d}"
        if not db.execute(conn, "SELECT 1 FROM parents WHERE username = ?", (name,)).fetchone():
            return name


def link_from_roster(db: Database, conn: Connection, school_id: str,
                     children: dict[str, list[str]]) -> int:
    """In the roster's transaction: each listed student's parents are exactly the addresses
    given (``{student_id: [email, ...]}``, already checked); a new address is a new account.
    Returns how many accounts were made."""
    made = 0
    for student_id, emails in children.items():
        db.execute(conn, "DELETE FROM parent_children WHERE school_id = ? AND student_id = ?",
                   (school_id, student_id))
        for email in dict.fromkeys(emails):
            row = db.execute(conn, "SELECT id FROM parents WHERE school_id = ? AND email = ?",
                             (school_id, email)).fetchone()
            if row is None:
                parent_id = "par_" + secrets.token_hex(8)
                db.execute(conn, "INSERT INTO parents (id, school_id, email, username,"
                                 " created_at) VALUES (?, ?, ?, ?, ?)",
                           (parent_id, school_id, email, _username(db, conn, email), db.stamp()))
                made += 1
            else:
                parent_id = row[0]
            db.execute(conn, "INSERT INTO parent_children (parent_id, school_id, student_id)"
                             " VALUES (?, ?, ?)", (parent_id, school_id, student_id))
    return made


def list_parents(db: Database, school_id: str) -> list[ParentAccount]:
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, f"SELECT {_COLUMNS} FROM parents WHERE school_id = ?"
                                " ORDER BY email", (school_id,)).fetchall()
    return [_account(r) for r in rows]


def get_parent(db: Database, school_id: str, parent_id: str) -> ParentAccount:
    with db.transaction(write=False) as conn:
        row = db.execute(conn, f"SELECT {_COLUMNS} FROM parents WHERE id = ? AND school_id = ?",
                         (parent_id[:64], school_id)).fetchone()
    if row is None:
        raise CentralError("not_found", "no parent {id!r}", id=parent_id[:40])
    return _account(row)


# -- login tokens -----------------------------------------------------------------------------
def new_token(db: Database, school_id: str, parent_id: str) -> str:
    """A new one-time token for the parent (earlier ones stop working)."""
    get_parent(db, school_id, parent_id)
    token = secrets.token_urlsafe(15)       # 20 characters a parent can copy
    now = db.now()
    with db.transaction() as conn:
        db.execute(conn, "DELETE FROM parent_tokens WHERE parent_id = ?", (parent_id,))
        db.execute(conn, "INSERT INTO parent_tokens (token_hash, parent_id, created_at,"
                         " expires_at) VALUES (?, ?, ?, ?)",
                   (sha256(token), parent_id, iso_utc(now), iso_utc(now + TOKEN_LIFETIME)))
    return token


def _message(account: ParentAccount, token: str, site: str) -> tuple[str, str]:
    """The token's e-mail, in the parent's language (French until they choose)."""
    tr = translator(account.lang or "fr")
    subject = tr.gettext("Your access to the school's parents' pages")
    body = tr.gettext(
        "Hello,\n\nYour username: {username}\nYour login token: {token}\n\n"
        "The token works once, for 14 days. Open {link} , type your username and the token,"
        " then choose your password.\n\nIf the token no longer works, ask for a new one with"
        " \"Forgot your password?\" on {login} .\n").format(
        username=account.username, token=token, link=f"{site}{TOKEN_PATH}",
        login=f"{site}/parents/login")
    return subject, body


def send_token(db: Database, school_id: str, parent_id: str, site: str) -> None:
    """Make a token and e-mail it with the username; ``mail.MailError`` if it could not be
    sent (noted on the account: the office sends again)."""
    account = get_parent(db, school_id, parent_id)
    token = new_token(db, school_id, parent_id)
    try:
        mail.send(account.email, *_message(account, token, site))
    except mail.MailError as e:
        _note(db, parent_id, error=str(e.phrase))
        raise
    _note(db, parent_id, error="")


def _note(db: Database, parent_id: str, error: str) -> None:
    with db.transaction() as conn:
        if error:
            db.execute(conn, "UPDATE parents SET mail_error = ? WHERE id = ?",
                       (error[:300], parent_id))
        else:
            db.execute(conn, "UPDATE parents SET mail_error = '', token_sent_at = ?"
                             " WHERE id = ?", (db.stamp(), parent_id))


def send_tokens(db: Database, school_id: str, parent_ids: list[str] | None, site: str,
                lang: str = "fr") -> dict:
    """The office's "send login tokens": to the parents named (every parent of the school
    without a password when ``None``). Returns ``sent`` and ``failed`` (address and why, in
    ``lang``); a failure stops nothing else, and the office may send again."""
    if parent_ids is None:
        chosen = [p.id for p in list_parents(db, school_id) if not p.has_password]
    else:
        chosen = [get_parent(db, school_id, pid).id for pid in dict.fromkeys(parent_ids)]
    sent, failed = 0, []
    for pid in chosen:
        try:
            send_token(db, school_id, pid, site)
            sent += 1
        except mail.MailError as e:
            failed.append({"parent_id": pid, "email": get_parent(db, school_id, pid).email,
                           "error": e.phrase.say(lang)})
    return {"sent": sent, "failed": failed}


def token_account(db: Database, token: str) -> ParentAccount:
    """The account a still valid token is for, or ``invalid``."""
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT t.expires_at, p.school_id, p.id FROM parent_tokens t"
                               " JOIN parents p ON p.id = t.parent_id WHERE t.token_hash = ?",
                         (sha256(token.strip()[:100]),)).fetchone()
    if row is None or parse_iso_utc(row[0]) <= db.now():
        raise expired()
    return get_parent(db, row[1], row[2])


def expired() -> CentralError:
    return CentralError("invalid", "this login token is no longer valid: ask for a new one"
                                   " with \"Forgot your password?\"")


def use_token(db: Database, username: str, token: str, password: str) -> ParentAccount:
    """Set the password of the token's account (the username must be its own); the token is
    spent, the account's other sessions end."""
    account = token_account(db, token)
    if account.username != username.strip().lower():
        raise expired()
    password_hash = accounts.hash_password(password)
    with db.transaction() as conn:
        spent = db.execute(conn, "DELETE FROM parent_tokens WHERE token_hash = ?",
                           (sha256(token.strip()[:100]),))
        if spent.rowcount != 1:         # used by another request meanwhile
            raise expired()
        db.execute(conn, "DELETE FROM staff_sessions WHERE staff_id = ? AND kind = 'parent'",
                   (account.id,))
        db.execute(conn, "UPDATE parents SET password_hash = ?, failed_attempts = 0,"
                         " locked_until = NULL WHERE id = ?", (password_hash, account.id))
    return get_parent(db, account.school_id, account.id)


def forgot(db: Database, login: str, site: str) -> None:
    """"Mot de passe oublié": a new token to the address the school has for this username
    or address (every school's account with it). Says nothing, whatever happened."""
    login = login.strip().lower()[:254]
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT id, school_id FROM parents WHERE (username = ?"
                                " OR email = ?) AND disabled = 0", (login, login)).fetchall()
    for parent_id, school_id in rows:
        try:
            send_token(db, school_id, parent_id, site)
        except mail.MailError:
            pass        # noted on the account for the office; the answer stays the same


# -- signing in, the account -------------------------------------------------------------------
def sign_in(db: Database, username: str, password: str, address: str) -> ParentAccount:
    try:
        parent_id = accounts.check_sign_in(db, "parents", "username", username.strip().lower(),
                                           password, address)
    except CentralError:
        raise CentralError("unauthorized", "wrong username or password, or too many attempts:"
                                           " try again in a few minutes") from None
    with db.transaction(write=False) as conn:
        school_id = db.execute(conn, "SELECT school_id FROM parents WHERE id = ?",
                               (parent_id,)).fetchone()[0]
    return get_parent(db, school_id, parent_id)


def change_password(db: Database, parent: Parent, current: str, new: str, keep: str) -> None:
    """Change one's password (the current one asked again); the other sessions end."""
    new_hash = accounts.hash_password(new)
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT password_hash FROM parents WHERE id = ?",
                         (parent.id,)).fetchone()
    if row is None or not accounts.verify_password(row[0], current):
        raise CentralError("invalid", "the current password is wrong")
    with db.transaction() as conn:
        db.execute(conn, "UPDATE parents SET password_hash = ? WHERE id = ?",
                   (new_hash, parent.id))
        db.execute(conn, "DELETE FROM staff_sessions WHERE staff_id = ? AND kind = 'parent'"
                         " AND id_hash <> ?", (parent.id, sha256(keep)))


def set_language(db: Database, parent: Parent, lang: str) -> None:
    if lang not in LANGUAGES:
        raise CentralError("invalid", "unknown language {lang!r}", lang=lang[:10])
    with db.transaction() as conn:
        db.execute(conn, "UPDATE parents SET lang = ? WHERE id = ?", (lang, parent.id))


# -- their children ---------------------------------------------------------------------------
def children(db: Database, parent: Parent) -> list[dict]:
    """The parent's children, by first name."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT s.id, s.first_name, s.last_name, s.class_name"
                                " FROM parent_children c JOIN students s ON s.school_id ="
                                " c.school_id AND s.id = c.student_id WHERE c.parent_id = ?"
                                " AND c.school_id = ? ORDER BY s.first_name, s.id",
                          (parent.id, parent.school_id)).fetchall()
    return [{"id": r[0], "first_name": r[1], "last_name": r[2], "class_name": r[3]}
            for r in rows]


def child(db: Database, parent: Parent, student_id: str) -> dict:
    """One of the parent's children; any other student is ``not_found``, as an unknown id."""
    found = next((c for c in children(db, parent) if c["id"] == student_id), None)
    if found is None:
        raise CentralError("not_found", "no child {id!r} on your account", id=student_id[:40])
    return found
