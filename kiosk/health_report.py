"""How the terminal is, as the sync agent reports it to the platform with each round (issue 18
point 6, ``sync.protocol.HealthReport``): version, disk free in the store's folder, printer
and reader state (codes, never a driver's English), entries waiting, print jobs waiting and
failed, the last backup, the last start and why, and the operators locked out (ids only).

Each program of the terminal leaves what it knows in the store's ``meta`` table, so the sync
daemon (another process) can read it: the print worker its printer's state
(``kiosk.print_worker.PUBLISHED``), the touch app its reader's state (``publish_reader``) and
its start (``record_start``), ``open_store`` a close that did not happen (``UNCLEAN_SEEN``).
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import backup_status, journal
from kiosk.store import Store
from kiosk.store.sessions import UNCLEAN_SEEN
from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.version import version

if TYPE_CHECKING:
    from sync.protocol import HealthReport

PRINTER = "printer_status"          # kiosk.print_worker.PUBLISHED (read here, not imported)
READER = "reader_status"            # meta: the reader's state code as the touch app saw it
LAST_START = "last_start"           # meta: {"at", "why", "version"} of the touch app's start

PRINTER_CODES = {"ok", "offline", "silent", "paper_out", "cover_open", "error", "busy", "none"}
READER_CODES = {"ok", "not_started", "stopped", "not_found", "setup", "service", "unplugged",
                "failed", "none"}
START_REASONS = {"clean", "crash", "update"}
WAITING_JOBS = ("pending", "unconfirmed")

disk_usage = shutil.disk_usage      # the one measurement tests replace (a full disk)


def publish_reader(store: Store, code: str) -> None:
    """The reader's state for the sync daemon, written only when it changed."""
    code = code if code in READER_CODES else "failed"
    if store.meta(READER) != code:
        with store.write() as conn:
            store.set_kv(conn, "meta", READER, code)


def record_start(store: Store, now: datetime) -> str:
    """The touch app started: remember when and why (``update`` when the version changed
    since the last start, ``crash`` when an open found a close that did not happen since the
    last start, whichever process opened first, else ``clean``). Returns why."""
    try:
        last = json.loads(store.meta(LAST_START) or "{}")
    except ValueError:
        last = {}
    if last and last.get("version") != version():
        why = "update"
    else:
        why = "crash" if store.meta(UNCLEAN_SEEN) else "clean"
    with store.write() as conn:
        store.set_kv(conn, "meta", LAST_START, json.dumps(
            {"at": iso_utc(now), "why": why, "version": version()}))
        conn.execute("DELETE FROM meta WHERE key = ?", (UNCLEAN_SEEN,))   # told once
    return why


def collect(store: Store, now: datetime, clock_offset: float | None = None) -> HealthReport:
    """The report the agent sends now (``clock_offset``: platform minus terminal, seconds)."""
    # Imported here: the touch app imports this module for record_start and publish_reader,
    # and the report's pydantic models would add some 10 MiB to its memory (bench_ui).
    from sync.protocol import HealthReport, LockedOperator
    with store.read() as conn:
        last_seq = journal.last_link(conn)[0]
        pushed = int(store.sync_state("pushed_seq") or "0")
        jobs = dict(conn.execute("SELECT status, COUNT(*) FROM print_jobs GROUP BY status"))
        locked = conn.execute("SELECT id, locked_until FROM operators WHERE active AND"
                              " locked_until IS NOT NULL ORDER BY id").fetchall()
    printer, printer_since = _printer(store.meta(PRINTER))
    start = _json(store.meta(LAST_START))
    free, percent = _disk(store.path.parent)
    reader = store.meta(READER)
    return HealthReport.model_validate({
        "version": version(), "disk_free_bytes": free, "disk_free_percent": percent,
        "printer": printer, "printer_since": printer_since,
        "reader": reader if reader in READER_CODES else "unknown",
        "entries_waiting": max(0, last_seq - pushed),
        "print_jobs_waiting": sum(jobs.get(s, 0) for s in WAITING_JOBS),
        "print_jobs_failed": jobs.get("failed", 0),
        "last_backup_at": (backup_status.last_backup(store) or {}).get("at"),
        "clock_offset_seconds": None if clock_offset is None else round(clock_offset, 3),
        "started_at": start.get("at"),
        "start_reason": start.get("why") if start.get("why") in START_REASONS else None,
        "locked_operators": [LockedOperator(operator_id=op_id, until=until)
                             for op_id, until in locked if _later(until, now)]})


def _printer(published: str | None) -> tuple[str, str | None]:
    state = _json(published)
    code = state.get("state")
    return (code, state.get("at")) if code in PRINTER_CODES else ("unknown", None)


def _disk(folder: Path) -> tuple[int | None, float | None]:
    try:
        usage = disk_usage(folder)
    except OSError:
        return None, None
    percent = 100.0 * usage.free / usage.total if usage.total else 0.0
    return usage.free, round(min(100.0, max(0.0, percent)), 2)


def _json(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _later(stamp: str, now: datetime) -> bool:
    try:
        return parse_iso_utc(stamp) > now
    except ValueError:
        return False
