"""A backup put in place of a lost or damaged store (issue 18, point 4); the entries the
platform holds and the backup lacks come back afterwards, at the terminal's first contact
(``kiosk.recovery``, run by the sync agent; ``comptoir restore`` runs it at once).

``put_back`` checks the backup (``kiosk.backup.check_copy``: SQLite's full check, a store of
ours, the whole journal chain), refuses while a process of the terminal has the store open
(its session row, ``kiosk.store.sessions``), and refuses to replace a store that exists and
checks out unless forced; the store replaced is kept aside, with its write-ahead log, never
deleted. The backup is copied next to the store (owner-only), fsynced, and renamed into
place; the old store's ``-wal``/``-shm`` never meet it.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk import backup
from kiosk.store import open_store, sessions
from sync.common.errors import Refusal, StoreError

_SIDE_FILES = ("-wal", "-shm")


class RestoreRefused(Refusal):
    """Nothing was changed. ``reason``: no_backup | backup_missing | backup_corrupt |
    store_in_use | store_healthy (the message's code is ``restore_<reason>``)."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(f"restore_{reason}", **params)
        self.reason = reason


@dataclass
class PutBack:
    backup: Path
    seq: int                  # the last journal entry of the backup
    device_id: str
    aside: Path | None        # the store replaced, kept here (None: there was none)
    replaced_problem: str | None   # what was wrong with it (None: forced, not checked)


def put_back(backup_file: Path, store_path: Path, now: datetime, force: bool = False,
             progress: Callable[[int], object] | None = None) -> PutBack:
    """Put ``backup_file`` in place of the store at ``store_path`` (see the module);
    ``progress(seq)`` as the backup's journal is checked."""
    if not backup_file.is_file():
        raise RestoreRefused("backup_missing", path=str(backup_file))
    problem, seq, _digest = backup.check_copy(backup_file, progress=progress)
    if problem:
        raise RestoreRefused("backup_corrupt", path=str(backup_file), detail=problem)
    with contextlib.closing(backup.open_copy(backup_file)) as conn:
        device_id = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    replaced_problem = None
    if store_path.exists():
        in_use = _live_sessions(store_path)
        if in_use:
            raise RestoreRefused("store_in_use", pids=in_use)
        if not force:       # (forced: replaced whatever its state, not checked for nothing)
            replaced_problem = _problem_of(store_path)
            if replaced_problem is None:
                raise RestoreRefused("store_healthy", path=str(store_path))
    aside = _set_aside(store_path, now)
    folder = store_path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = folder / f".{store_path.name}.restore-{os.getpid()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        shutil.copyfile(backup_file, tmp)
        backup.fsync(tmp)
        for side in _SIDE_FILES:        # never a log of another file beside it
            store_path.with_name(store_path.name + side).unlink(missing_ok=True)
        os.replace(tmp, store_path)
        backup.fsync(folder)
    finally:
        tmp.unlink(missing_ok=True)
    return PutBack(backup_file, seq, device_id, aside, replaced_problem)


def _live_sessions(store_path: Path) -> list[int]:
    """The processes (pids) that have the store open now (the touch app, the daemon)."""
    try:
        with contextlib.closing(backup.connect_live(store_path)) as conn:
            rows = conn.execute("SELECT key, value FROM meta WHERE key LIKE 'session:%'"
                                ).fetchall()
            dead = set(sessions.dead(conn))
    except sqlite3.Error:
        return []           # a store too damaged to read: nobody can be using it either
    pids = []
    for key, value in rows:
        if key not in dead:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                pids.append(int(json.loads(value)["pid"]))
    return pids


def _problem_of(store_path: Path) -> str | None:
    """What is wrong with the existing store (None: it checks out, fully)."""
    try:
        store = open_store(store_path, check=False)
    except StoreError as e:
        return e.code
    except sqlite3.Error as e:
        return str(e)
    try:
        health = store.check_integrity(full=True)
        return None if health.ok else health.code
    finally:
        store.close()


def _set_aside(store_path: Path, now: datetime) -> Path | None:
    """The store replaced, renamed with its log (SQLite finds ``<name>-wal`` by name)."""
    if not store_path.exists():
        return None
    aside = store_path.with_name(f"{store_path.name}.replaced-{now.strftime('%Y%m%d-%H%M%S')}")
    for side in _SIDE_FILES:
        source = store_path.with_name(store_path.name + side)
        if source.exists():
            os.replace(source, aside.with_name(aside.name + side))
    os.replace(store_path, aside)
    return aside
