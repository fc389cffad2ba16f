"""The nightly verification, a job inside ``comptoir central serve``: once a night per school,
from a configurable hour of the school's own time zone (``verify_at``, default 02:00), it runs
``verify.verify``. The run is recorded (a ``verifications`` row with the school's night, unique)
before it starts, so that it runs once a night whatever the restarts, and once across several
server processes on one database: the one whose insert wins runs it.

A server started after the hour (or asleep at it) runs that night's verification at its
next look (``Nightly`` looks every minute). Settings of the school:

    verify_at       HH:MM, local time, from which the night's verification may run
    silence_hours   a terminal not heard from for longer is shown as a problem (``problems``)
"""
from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, time
from pathlib import Path

from sync.server import verify
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.schools import set_setting_values, setting_values, timezone_in

log = logging.getLogger("comptoir.central")

VERIFY_AT, DEFAULT_VERIFY_AT = "verify_at", "02:00"
SILENCE_HOURS, DEFAULT_SILENCE_HOURS = "silence_hours", 48
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
LOOK_EVERY = 60.0       # seconds between two looks of the job


def verify_at(values: dict[str, str]) -> time:
    match = HHMM.match(values.get(VERIFY_AT, DEFAULT_VERIFY_AT)) or HHMM.match(DEFAULT_VERIFY_AT)
    assert match is not None
    return time(int(match.group(1)), int(match.group(2)))


def silence_hours(values: dict[str, str]) -> int:
    value = values.get(SILENCE_HOURS, "")
    return int(value) if value.isdigit() else DEFAULT_SILENCE_HOURS


def settings(db: Database, school_id: str) -> dict:
    values = setting_values(db, school_id)
    return {"verify_at": f"{verify_at(values):%H:%M}", "silence_hours": silence_hours(values),
            "timezone": timezone_in(values).key}


def set_settings(db: Database, school_id: str, *, at: str | None = None,
                 silence: int | None = None) -> dict:
    values = {}
    if at is not None:
        if not HHMM.match(at.strip()):
            raise CentralError("invalid", "{value!r}: not a time of day HH:MM (e.g. 02:00)",
                               value=at)
        values[VERIFY_AT] = at.strip()
    if silence is not None:
        if not 1 <= silence <= 24 * 60:
            raise CentralError("invalid", "silence: 1 to 1440 hours")
        values[SILENCE_HOURS] = str(silence)
    if values:
        set_setting_values(db, school_id, values)
    return settings(db, school_id)


def run_due(db: Database, anchors_path: Path | None = None,
            now: datetime | None = None) -> list[verify.Result]:
    """Run the verifications due now: each school past its hour whose night has none yet."""
    now = now or db.now()
    done = []
    with db.transaction(write=False) as conn:
        schools = [r[0] for r in db.execute(conn, "SELECT id FROM schools ORDER BY id")]
    for school_id in schools:
        values = setting_values(db, school_id)
        local = now.astimezone(timezone_in(values))
        if local.time() < verify_at(values):
            continue
        claimed = _claim(db, school_id, local.date().isoformat())
        if claimed is not None:
            done.append(verify.verify(db, school_id, trigger="nightly",
                                      anchors_path=anchors_path, verification_id=claimed))
    return done


def _claim(db: Database, school_id: str, night: str) -> int | None:
    with db.transaction() as conn:
        row = db.execute(conn, "INSERT INTO verifications (school_id, night, trigger, started_at)"
                               " VALUES (?, ?, 'nightly', ?) ON CONFLICT (school_id, night)"
                               " DO NOTHING RETURNING id", (school_id, night, db.stamp())
                         ).fetchone()
    return row[0] if row else None


class Nightly:
    """The job: a daemon thread that looks every ``every`` seconds (``stop()`` ends it)."""

    def __init__(self, db: Database, anchors_path: Path | None = None,
                 every: float = LOOK_EVERY):
        self.db, self.anchors_path, self.every = db, anchors_path, every
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="comptoir-nightly", daemon=True)

    def start(self) -> Nightly:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                run_due(self.db, self.anchors_path)
            except Exception:       # noqa: BLE001 -- the server goes on; the log says why
                log.exception("nightly verification failed")
            self._stop.wait(self.every)
