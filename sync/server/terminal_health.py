"""What the terminals say of their health (issue 18 point 6), and what the office should worry
about: the latest ``sync.protocol.HealthReport`` of each terminal, kept with the time it came
(table ``device_health``), and ``warnings``, the one rule that flags a terminal.

A terminal is flagged when it is:

- ``silent``: no contact for more than ``SILENT_HOURS`` on a school day (``school_days``:
  a weekend or a holiday is not a worry);
- ``disk_low``: less than ``DISK_LOW_PERCENT`` % or ``DISK_LOW_BYTES`` free;
- ``printer_failing``: its printer not ok in every report for more than ``PRINTER_FAILING``
  (``printer_bad_since``: the platform's time of the first bad report in a row);
- ``no_backup``: its last backup older than ``BACKUP_MISSING`` (only once a terminal reports
  backups: ``None`` is "not reported", not a problem);
- ``clock_off``: its clock off the platform's by more than ``CLOCK_OFF_SECONDS``.

The e-mail to the office (another piece of issue 18) reads the same list
(``terminal_board.flagged``).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sync.common.clock import parse_iso_utc
from sync.protocol import HealthReport
from sync.server import school_days
from sync.server.database import Connection, Database
from sync.server.schools import today

SILENT_HOURS = 4
DISK_LOW_PERCENT = 10.0
DISK_LOW_BYTES = 500_000_000
PRINTER_FAILING = timedelta(minutes=30)
BACKUP_MISSING = timedelta(days=2)
CLOCK_OFF_SECONDS = 120.0
WARNINGS = ("silent", "disk_low", "printer_failing", "no_backup", "clock_off")
PRINTER_BAD = frozenset({"offline", "silent", "paper_out", "cover_open", "error"})
PRINTER_GOOD = frozenset({"ok", "busy", "none"})     # "unknown" changes nothing


def record(db: Database, device_id: str, school_id: str, report: HealthReport) -> str:
    """Keep ``report`` as the terminal's latest; returns the time it was received."""
    now = db.stamp()
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT printer_bad_since FROM device_health"
                               " WHERE device_id = ?", (device_id,)).fetchone()
        bad_since = row[0] if row else None
        if report.printer in PRINTER_BAD:
            bad_since = bad_since or now
        elif report.printer in PRINTER_GOOD:
            bad_since = None
        db.execute(conn, "INSERT INTO device_health (device_id, school_id, received_at, report,"
                         " printer_bad_since) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id)"
                         " DO UPDATE SET received_at = excluded.received_at,"
                         " report = excluded.report,"
                         " printer_bad_since = excluded.printer_bad_since",
                   (device_id, school_id, now, report.model_dump_json(), bad_since))
    return now


def latest(db: Database, conn: Connection, school_id: str) -> dict[str, dict]:
    """The school's terminals' latest reports by device id: the report's fields with
    ``received_at`` and ``printer_bad_since``."""
    rows = db.execute(conn, "SELECT device_id, received_at, report, printer_bad_since"
                            " FROM device_health WHERE school_id = ?", (school_id,)).fetchall()
    found = {}
    for device_id, received, report, bad_since in rows:
        try:
            fields = HealthReport.model_validate_json(report).model_dump()
        except ValueError:          # a report this release cannot read: not reported
            continue
        found[device_id] = fields | {"received_at": received, "printer_bad_since": bad_since}
    return found


def school_day(db: Database, conn: Connection, school_id: str) -> bool:
    """Is today (the school's own date) a day the school is open?"""
    day = today(db, school_id, conn)
    return bool(school_days.open_days(school_days.read(db, school_id, conn, day, day),
                                      day, day))


def warnings(health: dict | None, last_contact: str | None, now: datetime,
             on_school_day: bool) -> list[str]:
    """The one rule: what is wrong with a terminal (``WARNINGS`` codes, in that order), from
    its latest health report (None: never reported), its last contact and whether today is a
    school day."""
    found = []
    if on_school_day and _older(last_contact, now, timedelta(hours=SILENT_HOURS)):
        found.append("silent")
    health = health or {}
    free, percent = health.get("disk_free_bytes"), health.get("disk_free_percent")
    if (free is not None and free < DISK_LOW_BYTES) or (
            percent is not None and percent < DISK_LOW_PERCENT):
        found.append("disk_low")
    if _older(health.get("printer_bad_since"), now, PRINTER_FAILING):
        found.append("printer_failing")
    if _older(health.get("last_backup_at"), now, BACKUP_MISSING):
        found.append("no_backup")
    offset = health.get("clock_offset_seconds")
    if offset is not None and abs(offset) > CLOCK_OFF_SECONDS:
        found.append("clock_off")
    return found


def _older(stamp: str | None, now: datetime, than: timedelta) -> bool:
    if not stamp:
        return False
    try:
        return now - parse_iso_utc(stamp) > than
    except ValueError:
        return False


def locked_operators(db: Database, school_id: str, now: datetime | None = None) -> list[dict]:
    """Who is locked out on which of the school's terminals, by its latest report: operator
    id, terminal id and name, until when (the locks still running, the soonest first). A lock
    older than an unlock the office made since is not shown."""
    now = now or db.now()
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT h.device_id, d.name, h.received_at, h.report"
                                " FROM device_health h JOIN devices d ON d.id = h.device_id"
                                " WHERE h.school_id = ? AND d.revoked_at IS NULL",
                          (school_id,)).fetchall()
        unlocked = dict(db.execute(conn, "SELECT id, unlocked_at FROM operators WHERE"
                                         " school_id = ? AND unlocked_at IS NOT NULL",
                                   (school_id,)).fetchall())
    found = []
    for device_id, name, received, report in rows:
        try:
            locks = json.loads(report).get("locked_operators") or []
        except (ValueError, AttributeError):
            continue
        for lock in locks:
            op_id, until = str(lock.get("operator_id")), str(lock.get("until"))
            if not _ahead(until, now):
                continue
            if unlocked.get(op_id) and str(unlocked[op_id]) >= received:
                continue        # unlocked by the office after this report was sent
            found.append({"operator_id": op_id, "device_id": device_id, "device_name": name,
                          "until": until, "reported_at": received})
    return sorted(found, key=lambda f: (f["until"], f["device_name"]))


def _ahead(stamp: str, now: datetime) -> bool:
    try:
        return parse_iso_utc(stamp) > now
    except ValueError:
        return False
