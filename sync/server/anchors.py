"""The platform's anchors: what its last verification found, kept OUT of the database.

A hand edit of the database can change any row, and the chain cannot tell: a cut tail is a
shorter chain that still links, and an editor who cuts it can also move the device's
``high_water``/``last_hash`` back. So each verification that finds a terminal's chain whole
writes its head (seq and hash) here, and for each wallet its opening balance and a digest of
its platform movements (top-ups, transfers, reservations, refunds) made until then. The next
verification checks the database against it: a chain shorter than its anchor, another hash
at the anchored seq (a rewritten chain), a changed opening balance, an old movement changed,
added or removed are reported. An anchor only moves forward (a device's seq never goes down).

The file is JSON beside the SQLite database (``central.db.anchors.json``) or, for a PostgreSQL
database, in the service user's state folder (``~/.local/state/comptoir``); the environment
variable ``COMPTOIR_CENTRAL_ANCHORS`` names another path. It is owner-only (0600) and written
atomically (a new file renamed over the old one).

What it protects against, honestly: an edit of the database alone (an SQL console, a
database administrator who is not the service's user, a copy edited and put back, a database
restored from an older backup). Someone who can write both the database and this file as the
service's user can make them agree; then the terminals are the last witnesses: each one's
next contact compares the two ends' chain heads (``GET /api/v1/device``) and a platform head
behind the terminal's acknowledged one is seen there. Entries and movements made after the
last verification are covered by the database's own checks only (head vs ``high_water``,
hashes, balances), not by an anchor.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sync.server.errors import CentralError
from sync.server.private_files import PRIVATE, make_private

ANCHORS_ENV = "COMPTOIR_CENTRAL_ANCHORS"
FORMAT = 1


def default_path(db_path: Path | None, label: str) -> Path:
    """Where the anchors of a database live (see the module's doc)."""
    if os.environ.get(ANCHORS_ENV):
        return Path(os.environ[ANCHORS_ENV])
    if db_path is not None:
        return db_path.with_name(db_path.name + ".anchors.json")
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:16]
    return state / "comptoir" / f"central-{digest}.anchors.json"


def empty() -> dict:
    """``seen``: the schools verified with this file (a school verified before but not seen
    here means the file was lost, replaced or is another machine's: ``verify`` says so)."""
    return {"format": FORMAT, "devices": {}, "schools": {}, "seen": {}}


def read(path: Path) -> dict:
    """The anchors, or none yet (no file: a first verification)."""
    make_private(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return empty()
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CentralError("invalid", "{path}: not a Comptoir anchors file (restore it from a"
                           " backup, or move it away and accept the database as it is with"
                           " comptoir central verify --accept)", path=str(path))
    data.setdefault("seen", {})
    return data


def write(path: Path, anchors: dict) -> None:
    """Replace the file atomically, owner-only from its first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(anchors, f, sort_keys=True, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, PRIVATE)
    os.replace(tmp, path)


def movements_digest(rows: list[tuple]) -> str:
    """A digest of a wallet's platform movements (rows in a fixed order, every column)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps([str(v) for v in row], separators=(",", ":")).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One verification at a time updates the file (a lock file beside it, this machine)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, PRIVATE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
