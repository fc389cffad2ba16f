"""Backups of the terminal's store (issue 18, point 4): online, atomic, verified, pruned.

``make_backup`` copies the live store with SQLite's backup API (one step: a consistent
snapshot that never blocks a sale in WAL mode; never a file copy of a live database) into a
temporary file of the backup folder, owner-only, fsyncs it, renames it into place, then opens
the copy and checks it (``PRAGMA integrity_check``, the whole journal chain, its head the
live store's entry at that number). The second folder (a USB key) gets a copy of the checked
file, checked again there; it is skipped, with a status saying why, when it is absent, not
writable, or on the store's own disk (a key not mounted: its empty mount point). Backups
older than ``keep_days`` are pruned, never the newest. The last backup is recorded in the
store (``kiosk.backup_status``).

A full disk, or any failure, is a status: the live store is only read.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from urllib.parse import quote

from kiosk import backup_status, journal
from kiosk.config import BackupSection, TerminalConfig
from kiosk.store import Store, space
from sync.common.clock import Clock, SystemClock

log = logging.getLogger("comptoir.backup")

DEFAULT_FOLDER = "backups"            # in the data folder
NAME = re.compile(r"^comptoir-(\d{4}-\d{2}-\d{2}_\d{6})-seq(\d+)\.db$")
_STAMP = "%Y-%m-%d_%H%M%S"
_TEMP_PREFIX = ".comptoir-backup-"
BUSY_SECONDS = 10.0


@dataclass
class Copy:
    """One folder's outcome. ``status``: written | absent | not_writable | same_disk |
    disk_full | failed (``detail`` says why)."""
    folder: Path
    status: str
    file: Path | None = None
    detail: str = ""
    pruned: list[Path] = field(default_factory=list)


@dataclass
class Result:
    at: datetime
    seq: int                 # the journal's last entry in the copy
    copies: list[Copy]

    @property
    def file(self) -> Path | None:
        """The first copy written (the local folder's, unless it failed)."""
        return next((c.file for c in self.copies if c.status == "written"), None)


def folders(config: BackupSection, data: Path) -> list[Path]:
    """The backup folder (relative to the data folder unless absolute), and the second one."""
    first = data / (config.folder or DEFAULT_FOLDER)
    return [first] + ([data / config.second_folder] if config.second_folder else [])


def make_backup(store_path: Path, config: TerminalConfig, now: datetime) -> Result:
    """Back the store up into every configured folder; record the outcome in the store."""
    data = store_path.parent
    local = now.astimezone(config.tz)
    try:
        live = connect_live(store_path)
    except sqlite3.Error as e:      # (a full disk: no shared-memory file for a new reader)
        return Result(now, 0, [_failure(f, e) for f in folders(config.backup, data)])
    try:
        copies: list[Copy] = []
        checked: Path | None = None      # a verified copy: the next folder gets it
        seq = 0
        for i, folder in enumerate(folders(config.backup, data)):
            copy = _one(live, store_path, folder, local, checked, second=i > 0)
            if copy.status == "written" and copy.file is not None:
                checked = copy.file
                seq = _seq_of(copy.file)
                copy.pruned = prune(folder, config.backup.keep_days, local)
            copies.append(copy)
        result = Result(now, seq, copies)
        _record(live, result, data)
        return result
    finally:
        live.close()


def _one(live: sqlite3.Connection, store_path: Path, folder: Path, local: datetime,
         checked: Path | None, second: bool) -> Copy:
    if second:
        skip = _unusable(folder, store_path.parent)
        if skip:
            return Copy(folder, skip)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as e:
        return _failure(folder, e)
    tmp = folder / f"{_TEMP_PREFIX}{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # owner-only at once
        os.close(fd)
        if checked is None:
            seq = _snapshot(live, tmp)
        else:
            shutil.copyfile(checked, tmp)   # a checked backup file, not a live database
            seq = _seq_of(checked)
        fsync(tmp)
        final = folder / f"comptoir-{local.strftime(_STAMP)}-seq{seq}.db"
        os.replace(tmp, final)
        fsync(folder)
        problem = verify(final, live)
        if problem:
            final.unlink(missing_ok=True)
            return Copy(folder, "failed", detail=f"the copy does not check out: {problem}")
        return Copy(folder, "written", final)
    except (OSError, sqlite3.Error) as e:
        return _failure(folder, e)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _unusable(folder: Path, data: Path) -> str | None:
    """Why the second folder (a USB key) is skipped, or None."""
    if not folder.is_dir():
        return "absent"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "not_writable"
    try:
        if os.stat(folder).st_dev == os.stat(data).st_dev:
            return "same_disk"          # a key not mounted: its mount point on our own disk
    except OSError:
        return "absent"
    return None


def _failure(folder: Path, error: BaseException) -> Copy:
    if space.is_disk_full(error, folder) or "disk is full" in str(error):
        return Copy(folder, "disk_full", detail=str(error))
    log.warning("backup into %s failed: %s", folder, error)
    return Copy(folder, "failed", detail=str(error) or type(error).__name__)


def connect_live(path: Path) -> sqlite3.Connection:
    """The live store, opened for reading (never created: ``mode=rw`` fails on no file)."""
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=rw", uri=True,
                           isolation_level=None, timeout=BUSY_SECONDS, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
    return conn


def _snapshot(live: sqlite3.Connection, tmp: Path) -> int:
    """SQLite's online backup in one step (one read transaction: a consistent snapshot;
    writers go on meanwhile in WAL mode); the copy made a self-contained file."""
    dst = sqlite3.connect(tmp, isolation_level=None)
    try:
        live.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")     # one file, no -wal beside it
        # the sessions of the processes running now: a copy put back was closed cleanly
        dst.execute("DELETE FROM meta WHERE key LIKE 'session:%'")
        return journal.last_link(dst)[0]
    finally:
        dst.close()


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_copy(path: Path) -> sqlite3.Connection:
    """A backup file, read-only."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True,
                           isolation_level=None, check_same_thread=False)


def check_copy(path: Path, whole_chain: bool = True,
               progress: Callable[[int], object] | None = None) -> tuple[str | None, int, str]:
    """(problem or None, last seq, last hash) of a backup file: SQLite's full check, a store
    of ours, the journal chain from its first entry (``whole_chain``; 10 s for 50,000 entries
    here) or from the point the store had verified when it was copied."""
    try:
        conn = open_copy(path)
    except sqlite3.Error as e:
        return str(e), 0, journal.GENESIS
    try:
        pages = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if pages != ["ok"]:
            return "; ".join(pages[:3]), 0, journal.GENESIS
        if conn.execute("SELECT 1 FROM meta WHERE key = 'device_id'").fetchone() is None:
            return "not a terminal's store (no device id)", 0, journal.GENESIS
        after, prev = 0, journal.GENESIS
        if not whole_chain:
            after, prev = _verified_point(conn)
        report = journal.verify(conn, after, prev, progress=progress)
        if not report.ok:
            return f"journal entry {report.bad_seq}: {report.reason}", 0, journal.GENESIS
        return None, report.last_seq, report.last_hash
    except sqlite3.Error as e:
        return str(e), 0, journal.GENESIS
    finally:
        conn.close()


def _verified_point(conn: sqlite3.Connection) -> tuple[int, str]:
    """The store's verified point as the copy holds it, if the copy's entry there is it."""
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN"
                             " ('verified_seq', 'verified_hash')").fetchall())
    seq, digest = int(meta.get("verified_seq") or 0), meta.get("verified_hash")
    row = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return (seq, digest) if seq and row and digest and row[0] == digest else (0, journal.GENESIS)


def verify(path: Path, live: sqlite3.Connection) -> str | None:
    """What is wrong with the copy just written (None: nothing): SQLite's full check, the
    chain from the store's verified point on, and its head the live store's entry at that
    number. (A restore checks the whole chain.)"""
    problem, seq, digest = check_copy(path, whole_chain=False)
    if problem:
        return problem
    if seq:
        row = live.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
        if row is None or row[0] != digest:
            return f"its entry {seq} is not the store's"
    return None


def _seq_of(path: Path) -> int:
    match = NAME.match(path.name)
    return int(match[2]) if match else 0


def backups_in(folder: Path) -> list[Path]:
    """The backup files of a folder, oldest first (by their time, then their entry)."""
    try:
        found = [p for p in folder.iterdir() if NAME.match(p.name)]
    except OSError:
        return []
    return sorted(found, key=lambda p: (NAME.match(p.name)[1], _seq_of(p)))  # type: ignore[index]


def taken_at(path: Path, tz: tzinfo) -> datetime:
    match = NAME.match(path.name)
    assert match is not None
    return datetime.strptime(match[1], _STAMP).replace(tzinfo=tz)


def prune(folder: Path, keep_days: int, local: datetime) -> list[Path]:
    """Delete the backups older than ``keep_days`` (never the newest), and temporary files
    a killed backup left; returns what was deleted."""
    files = backups_in(folder)
    limit = local - timedelta(days=keep_days)
    gone = [p for p in files[:-1] if taken_at(p, local.tzinfo or limit.tzinfo) < limit]  # type: ignore[arg-type]
    for path in gone:
        with contextlib.suppress(OSError):
            path.unlink()
    for stale in folder.glob(f"{_TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < local.timestamp() - 3600:
                stale.unlink()
    return gone


def newest(config: BackupSection, data: Path) -> Path | None:
    """The newest backup file in the configured folders (by its time, then its entry)."""
    found = [p for folder in folders(config, data) for p in backups_in(folder)]
    return max(found, key=lambda p: (NAME.match(p.name)[1], _seq_of(p)),  # type: ignore[index]
               default=None)


def _record(live: sqlite3.Connection, result: Result, data: Path) -> None:
    """The outcome in the store (the terminal's health report sends it); a store that cannot
    take it (a full disk) loses only the record."""
    try:
        live.execute("BEGIN IMMEDIATE")
        try:
            backup_status.record(live, result.at, result.file, result.seq,
                                 {str(c.folder): c.status for c in result.copies})
        except BaseException:
            live.execute("ROLLBACK")
            raise
        live.execute("COMMIT")
    except sqlite3.Error as e:
        log.warning("the backup's outcome could not be recorded in the store: %s", e)


# -- when it runs ---------------------------------------------------------------------------
NIGHTLY_DONE = "backup_done_on"       # meta: the local day of the last nightly backup


def nightly_due(store: Store, config: TerminalConfig, now: datetime) -> bool:
    """The night's backup (at ``sync.nightly_at``, once a day), whether the platform can be
    reached or not."""
    local = now.astimezone(config.tz)
    if local.strftime("%H:%M") < config.sync.nightly_at:
        return False
    return store.meta(NIGHTLY_DONE) != local.date().isoformat()


def nightly_if_due(store: Store, config: TerminalConfig, now: datetime) -> Result | None:
    """For the sync daemon's loop: the nightly backup if it is due; never raises."""
    try:
        return nightly(store.path, config, now) if nightly_due(store, config, now) else None
    except Exception as e:      # the daemon outlives a failed backup
        log.warning("nightly backup failed: %s", e)
        return None


def nightly(store_path: Path, config: TerminalConfig, now: datetime) -> Result | None:
    """The nightly backup, marked done for the day whatever came of it (the outcome is
    recorded; a failure is not retried every second)."""
    try:
        result = make_backup(store_path, config, now)
    except (OSError, sqlite3.Error) as e:
        log.warning("nightly backup failed: %s", e)
        result = None
    with contextlib.suppress(sqlite3.Error):
        conn = connect_live(store_path)
        try:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key)"
                         " DO UPDATE SET value = excluded.value",
                         (NIGHTLY_DONE, now.astimezone(config.tz).date().isoformat()))
        finally:
            conn.close()
    return result


def in_background(store_path: Path, config: TerminalConfig, clock: Clock | None = None,
                  ) -> threading.Thread:
    """A backup on a thread of its own (after a Z: the screen does not wait). Not a daemon
    thread: a command-line Z waits for it before the process exits."""
    clock = clock or SystemClock()

    def run() -> None:
        try:
            result = make_backup(store_path, config, clock.now())
            log.info("backup after the Z: %s", ", ".join(
                f"{c.folder}: {c.status}" for c in result.copies))
        except Exception as e:      # a backup never takes the counter down
            log.warning("backup after the Z failed: %s", e)

    thread = threading.Thread(target=run, name="backup", daemon=False)
    thread.start()
    return thread
