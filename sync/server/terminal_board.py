"""The office's view of its terminals (issue 16, point 6): the list with what the platform
knows of each, one terminal's page (its conflicts, the problems naming it, the last
verification, its recent Z reports), enrolment codes with a QR a technician scans, revoking
and replacing. Every function is scoped to one school: a terminal of another school is
``not_found``, exactly as an unknown one.

What the platform knows of a terminal is what it sent: its entries (the last one's time, its
last Z), its User-Agent (version), when it was last heard from, and its latest health report
(``terminal_health``: entries waiting, printer, reader, disk, clock...; ``None`` until it
sends one, "not reported" on the pages), with the warnings ``terminal_health.warnings`` finds.
"""
from __future__ import annotations

import html
import json
from datetime import datetime, timedelta

import segno

from sync.common.clock import parse_iso_utc
from sync.server import devices, nightly, problems, terminal_health
from sync.server.database import Connection, Database, sha256
from sync.server.errors import CentralError
from sync.server.schools import setting_values

RECENT_Z = 10               # Z reports shown on a terminal's page
CONFLICT_BODY_CHARS = 400   # a conflicting body shown, cut (evidence is in the database)


def _silence(db: Database, conn: Connection, school_id: str) -> timedelta:
    return timedelta(hours=nightly.silence_hours(setting_values(db, school_id, conn)))


def _status(row_revoked: str | None, seen: str, now: datetime, silence: timedelta) -> str:
    """``revoked``, ``silent`` (not heard from for longer than the school allows: the same
    rule as ``problems.silent_terminals``) or ``active``."""
    if row_revoked is not None:
        return "revoked"
    try:
        return "silent" if now - parse_iso_utc(seen) > silence else "active"
    except ValueError:
        return "active"


_LIST_SQL = (
    "SELECT d.id, d.name, d.enrolled_at, d.revoked_at, d.version, d.last_seen_at, d.high_water,"
    " (SELECT COUNT(*) FROM conflicts c WHERE c.device_id = d.id),"
    " (SELECT j.ts FROM journal j WHERE j.device_id = d.id AND j.seq = d.high_water),"
    " (SELECT j.day FROM journal j WHERE j.device_id = d.id AND j.kind = 'close'"
    " ORDER BY j.day DESC LIMIT 1)"
    " FROM devices d WHERE d.school_id = ?")


def terminal_list(db: Database, school_id: str, now: datetime | None = None) -> list[dict]:
    """The school's terminals, by name: the ``TerminalInfo`` fields."""
    now = now or db.now()
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, _LIST_SQL + " ORDER BY d.name, d.id", (school_id,)).fetchall()
        board = _Board(db, conn, school_id, now)
    return [board.info(r) for r in rows]


def flagged(db: Database, school_id: str, now: datetime | None = None) -> list[dict]:
    """Every warning of the school's terminals in service (``terminal_health.warnings``):
    device id, name and warning code; what the office's e-mail will say."""
    return [{"device_id": t["id"], "device_name": t["name"], "warning": w}
            for t in terminal_list(db, school_id, now) if t["status"] != "revoked"
            for w in t["warnings"]]


class _Board:
    """What every row of the school's board needs, read once."""

    def __init__(self, db: Database, conn: Connection, school_id: str, now: datetime):
        self.now, self.silence = now, _silence(db, conn, school_id)
        self.health = terminal_health.latest(db, conn, school_id)
        self.school_day = terminal_health.school_day(db, conn, school_id)

    def info(self, r: tuple) -> dict:
        (device_id, name, enrolled, revoked, version, seen, high_water, conflicts, last_ts,
         last_z) = r
        health = self.health.get(device_id)
        if health is not None:
            received = parse_iso_utc(health["received_at"])
            health = health | {"age_minutes": max(0, int((self.now - received)
                                                        .total_seconds() // 60))}
        warnings = [] if revoked else terminal_health.warnings(health, seen or enrolled,
                                                               self.now, self.school_day)
        return {"id": device_id, "name": name, "enrolled_at": enrolled, "revoked_at": revoked,
                "version": version, "last_seen_at": seen, "high_water": high_water,
                "last_entry_at": last_ts, "last_z_day": last_z, "conflicts": int(conflicts),
                "status": _status(revoked, seen or enrolled, self.now, self.silence),
                # None until the terminal reports its health: "not reported".
                "entries_waiting": health and health.get("entries_waiting"),
                "printer": health and health.get("printer"),
                "reader": health and health.get("reader"),
                "health": health, "warnings": warnings}


def _one(db: Database, conn: Connection, school_id: str, device_id: str) -> tuple:
    row = db.execute(conn, _LIST_SQL + " AND d.id = ?", (school_id, device_id)).fetchone()
    if row is None:
        raise CentralError("not_found", "no terminal {device!r} in this school",
                           device=device_id[:64])
    return tuple(row)


def terminal_detail(db: Database, school_id: str, device_id: str,
                    now: datetime | None = None, lang: str = "en") -> dict:
    """One terminal of the school: its ``TerminalInfo``, the entries it sent that conflicted,
    the problems naming it (said in ``lang``), the school's last verification and what it
    found on this terminal, and its last Z reports (newest first)."""
    now = now or db.now()
    with db.transaction(write=False) as conn:
        info = _Board(db, conn, school_id, now).info(_one(db, conn, school_id, device_id))
        last_check = db.execute(conn, "SELECT started_at, finished_at, problems, findings FROM"
                                      " verifications WHERE school_id = ? AND finished_at IS"
                                      " NOT NULL ORDER BY id DESC LIMIT 1",
                                (school_id,)).fetchone()
        zs = db.execute(conn, "SELECT seq, ts, day, body FROM journal WHERE device_id = ?"
                              " AND kind = 'close' ORDER BY day DESC, seq DESC LIMIT ?",
                        (device_id, RECENT_Z)).fetchall()
    found = [p.as_dict(lambda ph: ph.say(lang)) for p in problems.problems(db, school_id, now)
             if p.device_id == device_id]
    conflicts = [c | {"body": c["body"][:CONFLICT_BODY_CHARS]}
                 for c in devices.conflicts(db, device_id)]
    verification = None
    if last_check is not None:
        mine = [f for f in json.loads(last_check[3] or "[]") if f.get("device_id") == device_id]
        verification = {"started_at": last_check[0], "finished_at": last_check[1],
                        "school_ok": not last_check[2], "findings_here": len(mine)}
    return info | {"conflict_entries": conflicts, "problems": found,
                   "verification": verification,
                   "z_reports": [_z_summary(seq, ts, day, body) for seq, ts, day, body in zs]}


def _z_summary(seq: int, ts: str, day: str, body: str) -> dict:
    report = json.loads(body).get("report")
    report = report if isinstance(report, dict) else {}
    return {"seq": seq, "ts": ts, "day": day, "entries": _int(report.get("entries")),
            "gross_cents": _int(report.get("gross_cents")),
            "net_cents": _int(report.get("net_cents"))}


def _int(value: object) -> int:
    return value if type(value) is int else 0


# -- enrolment codes, revoking, replacing ---------------------------------------------------
def new_enrol_code(db: Database, school_id: str, name: str, server_url: str,
                   replaces: str | None = None) -> dict:
    """A one-time enrolment code for a new terminal called ``name`` (or to replace the
    school's terminal ``replaces``, under its name unless another is given): the
    ``EnrolCode`` fields, with the QR a technician scans (an SVG).

    The QR holds ``SERVER_URL CODE``: the two arguments of ``comptoir enrol`` on the
    terminal, which a scanner in keyboard mode types after ``comptoir enrol ``."""
    name = " ".join((name or "").split())
    if len(name) > 60:
        raise CentralError("invalid", "a terminal's name has at most {n} characters", n=60)
    if replaces is not None:
        with db.transaction(write=False) as conn:
            _one(db, conn, school_id, replaces)       # not_found: another school's, unknown
    code = devices.create_enrol_code(db, school_id, name, replaces=replaces)
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT device_name, expires_at FROM enrol_codes"
                               " WHERE code_hash = ?",
                         (sha256(devices.normalise_code(code)),)).fetchone()
    scanned = f"{server_url.rstrip('/')} {code}"
    return {"code": code, "device_name": row[0], "expires_at": row[1], "replaces": replaces,
            "server_url": server_url.rstrip("/"), "qr_text": scanned, "qr_svg": qr_svg(scanned)}


def qr_svg(text: str, label: str = "QR code") -> str:
    """``text`` as a QR code: an inline SVG (no XML declaration) of fixed size, an image
    named ``label`` for screen readers (the page writes the code itself beside it)."""
    svg = segno.make(text, error="m").svg_inline(scale=5, border=4, svgclass="qr", light="#fff",
                                                 lineclass=None)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1)


def revoke(db: Database, school_id: str, device_id: str, now: datetime | None = None) -> dict:
    """Cut off the school's terminal ``device_id`` (``devices.revoke``); its ``TerminalInfo``
    after. Revoking a revoked terminal is refused (``invalid``): the date of the first stays."""
    with db.transaction(write=False) as conn:
        if _one(db, conn, school_id, device_id)[3] is not None:
            raise CentralError("invalid", "this terminal is already revoked")
    devices.revoke(db, device_id)
    now = now or db.now()
    with db.transaction(write=False) as conn:
        return _Board(db, conn, school_id, now).info(_one(db, conn, school_id, device_id))

