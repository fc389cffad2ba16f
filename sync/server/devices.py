"""Terminals on the platform: one-time enrolment codes, enrolment (a bearer token per
terminal, of which only the hash is kept), authentication, revocation, and what the platform
knows of each terminal (its high-water mark, the software version it reports, when it was
last heard from).

A terminal says which software it runs in its User-Agent (``comptoir/1.4.0 (terminal)``).
The platform keeps the version from that product token, a short string of safe characters,
and ``unknown`` for anything else: it is shown to people, never trusted for a decision.
Recording it costs a write at most once a minute per terminal (or when the version changes),
so a push or a pull does not gain a write.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sync.common.chain import GENESIS
from sync.common.clock import iso_utc, parse_iso_utc
from sync.server.database import Database, sha256
from sync.server.errors import CentralError

log = logging.getLogger("comptoir.central")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 10
CODE_TTL = timedelta(days=7)
# "comptoir/1.4.0", "comptoir/2.0.0rc1", "comptoir/1.4.0+deb12": the product token the
# terminal's client sends first in its User-Agent; at most 32 characters of a version.
PRODUCT = re.compile(r"comptoir/([0-9][0-9A-Za-z.+!-]{0,31})(?=[\s(;]|$)")
UNKNOWN_VERSION = "unknown"
SEEN_EVERY = timedelta(minutes=1)   # last_seen_at is at most this old for a terminal in use


@dataclass(frozen=True)
class Device:
    """An authenticated terminal."""
    id: str
    school_id: str
    name: str


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def reported_version(user_agent: str | None) -> str:
    """The version a terminal reports in its User-Agent, or ``unknown``.

    >>> reported_version("comptoir/1.4.0 (terminal)")
    '1.4.0'
    >>> reported_version("comptoir-terminal/1"), reported_version("comptoir/<script>")
    ('unknown', 'unknown')
    """
    match = PRODUCT.match((user_agent or "")[:200].strip())
    return match.group(1) if match else UNKNOWN_VERSION


# -- enrolment ------------------------------------------------------------------------------
def create_enrol_code(db: Database, school_id: str, device_name: str,
                      ttl: timedelta = CODE_TTL, replaces: str | None = None) -> str:
    """A one-time code ("ABCD-EFGH-JK") that enrols one terminal in the school. With
    ``replaces`` (a device id of the school), the code enrols that id again, cutting off
    whatever holds its current token: the only way to take over an id in use. The name is
    then the replaced terminal's unless another is given."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = db.now()
    with db.transaction() as conn:
        if replaces is not None:
            row = db.execute(conn, "SELECT name FROM devices WHERE id = ? AND school_id = ?",
                             (replaces, school_id)).fetchone()
            if row is None:
                raise CentralError("invalid", "no terminal {device!r} in this school: nothing"
                                              " to replace", device=replaces)
            device_name = device_name or row[0]
        if not device_name:
            raise CentralError("invalid", "a new terminal needs a name")
        db.execute(conn, "INSERT INTO enrol_codes (code_hash, school_id, device_name,"
                         " created_at, expires_at, replaces) VALUES (?, ?, ?, ?, ?, ?)",
                   (sha256(raw), school_id, device_name, iso_utc(now), iso_utc(now + ttl),
                    replaces))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def enrol(db: Database, code: str, device_id: str) -> dict:
    """Spend a one-time code on a terminal; returns the EnrolResponse fields.

    A device id already enrolled (and not revoked) is taken over only by a code made to
    replace it (``create_enrol_code(replaces=...)``); any other code is refused, and not
    spent. A revoked one, or one a replacing code names, is re-enrolled: new token, the old
    one answered ``revoked`` with "replaced" (``replaced_tokens``), revocation lifted, its
    journal and high-water mark kept (the store is the same)."""
    token, now = secrets.token_urlsafe(32), db.stamp()
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT c.school_id, c.device_name, c.expires_at, c.used_at,"
                               " s.name, c.replaces FROM enrol_codes c"
                               " JOIN schools s ON s.id = c.school_id WHERE c.code_hash = ?",
                         (sha256(normalise_code(code)),)).fetchone()
        if row is None or row[3] is not None or row[2] <= now:
            raise CentralError("bad_code", "enrolment code unknown, already used or expired")
        school_id, name, _, _, school_name, replaces = row
        known = db.execute(conn, "SELECT school_id, revoked_at, name, token_hash FROM devices"
                                 " WHERE id = ?", (device_id,)).fetchone()
        if known and known[0] != school_id:
            raise CentralError("forbidden", "this terminal is enrolled in another school")
        if replaces is not None and replaces != device_id:
            raise CentralError("forbidden", "this code replaces the terminal {device} only",
                               device=replaces)
        if known and known[1] is None and replaces != device_id:
            raise CentralError("forbidden", "a terminal with this id is already enrolled"
                                            " ({name!r}): replacing it takes a code made with"
                                            " 'comptoir central enrol-code --replace {device}'",
                               name=known[2], device=device_id)
        if known:
            db.execute(conn, "INSERT INTO replaced_tokens (token_hash, device_id, replaced_at)"
                             " VALUES (?, ?, ?)", (known[3], device_id, now))
        db.execute(conn, "INSERT INTO devices (id, school_id, name, token_hash, enrolled_at,"
                         " high_water, last_hash) VALUES (?, ?, ?, ?, ?, 0, ?)"
                         " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                         " token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at,"
                         " revoked_at = NULL",
                   (device_id, school_id, name, sha256(token), now, GENESIS))
        db.execute(conn, "UPDATE enrol_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
                   (now, device_id, sha256(normalise_code(code))))
    log.info("enrolled device %s in school %s%s", device_id, school_id,
             " (replacing its previous enrolment)" if known else "")
    return {"device_id": device_id, "device_name": name, "school_id": school_id,
            "school_name": school_name, "token": token}


# -- authentication -------------------------------------------------------------------------
def authenticate(db: Database, token: str, user_agent: str | None = None) -> Device:
    """The terminal whose token this is (``unauthorized``, ``revoked`` otherwise). With a
    ``user_agent`` (every request over HTTP has one, perhaps empty), the version it reports
    and the time are recorded (``note_seen``)."""
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT id, school_id, name, revoked_at, version, last_seen_at"
                               " FROM devices WHERE token_hash = ?", (sha256(token),)).fetchone()
    if row is None:
        with db.transaction(write=False) as conn:
            replaced = db.execute(conn, "SELECT device_id, replaced_at FROM replaced_tokens"
                                        " WHERE token_hash = ?", (sha256(token),)).fetchone()
        if replaced is not None:        # not a bare 401: the terminal cut off is told why
            raise CentralError("revoked", "this terminal was replaced: its id was enrolled again"
                                          " on {when}. If it is the one in use, an admin makes a"
                                          " code with 'comptoir central enrol-code --replace"
                                          " {device}' and it is enrolled again",
                               when=replaced[1], device=replaced[0])
        raise CentralError("unauthorized", "unknown token")
    if row[3] is not None:
        raise CentralError("revoked", "this terminal was revoked: enrol it again")
    device = Device(row[0], row[1], row[2])
    if user_agent is not None:
        note_seen(db, device.id, reported_version(user_agent), known=(row[4], row[5]))
    return device


def note_seen(db: Database, device_id: str, version: str,
              known: tuple[str | None, str | None] = (None, None)) -> bool:
    """Record that the terminal was heard from now, running ``version``; ``known`` is what
    the row holds (version, last_seen_at). Writes only when the version changed or the last
    sighting is older than ``SEEN_EVERY``; says whether it wrote."""
    now = db.now()
    old_version, last_seen = known
    if old_version == version and last_seen is not None:
        try:
            if now - parse_iso_utc(last_seen) < SEEN_EVERY:
                return False
        except ValueError:
            pass
    with db.transaction() as conn:
        db.execute(conn, "UPDATE devices SET version = ?, last_seen_at = ? WHERE id = ?",
                   (version, iso_utc(now), device_id))
    return True


def revoke(db: Database, device_id: str) -> None:
    """Cut a terminal off: its token is refused (``revoked``) until it enrols again."""
    with db.transaction() as conn:
        if db.execute(conn, "UPDATE devices SET revoked_at = ? WHERE id = ?",
                      (db.stamp(), device_id)).rowcount == 0:
            raise CentralError("invalid", "no device {device!r}", device=device_id)
    log.info("revoked device %s", device_id)


# -- what the platform knows of terminals ------------------------------------------------
def device_state(db: Database, device: Device) -> dict:
    """The DeviceState fields: what the platform holds of this terminal's chain."""
    with db.transaction(write=False) as conn:
        hw, last = db.execute(conn, "SELECT high_water, last_hash FROM devices WHERE id = ?",
                              (device.id,)).fetchone()
    return {"device_id": device.id, "device_name": device.name, "high_water": hw,
            "last_hash": last, "server_time": db.stamp()}


def conflicts(db: Database, device_id: str) -> list[dict]:
    """The entries this terminal sent that differed from ones already received (kept as
    evidence, never applied), by seq."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT seq, hash, body, received_at FROM conflicts"
                                " WHERE device_id = ? ORDER BY seq, received_at",
                          (device_id,)).fetchall()
    return [dict(zip(("seq", "hash", "body", "received_at"), r)) for r in rows]


def device_list(db: Database, school_id: str) -> list[dict]:
    """The school's terminals, by name: the ``reports.DeviceInfo`` fields."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT d.id, d.name, d.enrolled_at, d.revoked_at, d.version,"
                                " d.last_seen_at, d.high_water,"
                                " (SELECT COUNT(*) FROM conflicts c WHERE c.device_id = d.id)"
                                " FROM devices d WHERE d.school_id = ? ORDER BY d.name, d.id",
                          (school_id,)).fetchall()
    return [{"id": r[0], "name": r[1], "enrolled_at": r[2], "revoked_at": r[3],
             "version": r[4], "last_seen_at": r[5], "high_water": r[6],
             "conflicts": int(r[7])} for r in rows]
