"""The platform's files are its own: readable and writable by the service's user only.

``central.db`` holds operators' PIN hashes, terminals' token hashes and every sale; its WAL
and SHM files hold recent pages of it; the verification anchors (``anchors``) say what the
database held. Each is made owner-only (0600) when it is created (``create_private``: never
a moment with wider rights, whatever the umask) and at every open (``make_private``): a file
made by an older release (0644) is fixed then, and the log says so.

SQLite makes the WAL and SHM files with the mode of the database file, so a private database
gets private companions; they are checked at every open all the same.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("comptoir.central")

PRIVATE = 0o600
COMPANIONS = ("-wal", "-shm", "-journal")     # what SQLite writes beside a database file


def create_private(path: Path) -> None:
    """Make ``path`` (empty) owner-only if it does not exist yet; fix it if it does."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE)
    os.close(fd)
    make_private(path)


def make_private(path: Path) -> bool:
    """Take the group's and others' rights off ``path`` if it exists (logged); says whether
    it changed anything."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return False
    if not mode & 0o077:
        return False
    os.chmod(path, mode & 0o700)
    log.warning("%s was readable by other users (mode %04o): made owner-only (%04o)",
                path, mode, mode & 0o700)
    return True


def make_database_private(path: Path) -> None:
    """A SQLite database file and its companions (WAL, SHM, rollback journal)."""
    make_private(path)
    for suffix in COMPANIONS:
        make_private(path.with_name(path.name + suffix))
