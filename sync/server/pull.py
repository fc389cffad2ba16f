"""Pull: the school's rows changed since a terminal's cursor, oldest change first, paged.

A cursor reads "v2:<epoch>:<version>" (``CURSOR``, ``make_cursor``); pages of a full resync
carry ":full" so every one of them says so, but the cursor after its last page is a plain one
(the next pull is incremental). The epoch changes each time the server starts
(``Database.new_epoch``): a database restored from a backup reuses version numbers a terminal
has already seen, and only a new epoch tells it so.
"""
from __future__ import annotations

import re

from sync.server.database import Database
from sync.server.devices import Device
from sync.server.entities import ENTITIES
from sync.server.errors import CentralError

CURSOR = re.compile(r"^v2:([0-9a-f]{8}):(\d{1,18})(:full)?$")


def make_cursor(epoch: str, version: int, full: bool = False) -> str:
    """A pull cursor (what ``CURSOR`` reads): changes after ``version`` of this ``epoch``."""
    return f"v2:{epoch}:{version}" + (":full" if full else "")


def pull(db: Database, device: Device, cursor: str, limit: int) -> dict:
    """The school's rows changed since ``cursor`` ("" = everything), oldest change first,
    ``limit`` records in all kinds together; returns the PullPage fields."""
    match = CURSOR.match(cursor)
    if cursor and not match:
        raise CentralError("cursor_expired", "unreadable cursor: pull again without one")
    cursor_epoch, since, full = (match.group(1), int(match.group(2)), bool(match.group(3))
                                 ) if match else (None, 0, True)
    with db.transaction(write=False) as conn:     # one snapshot: balances and high water agree
        epoch = db.epoch(conn)
        if cursor_epoch is not None and cursor_epoch != epoch:
            raise CentralError("cursor_expired", "the platform restarted (or was restored"
                                                 " from a backup): pull again without one")
        if since > db.last_version(conn):
            raise CentralError("cursor_expired", "cursor from the future: pull again"
                                                 " without one")
        hw = db.execute(conn, "SELECT high_water FROM devices WHERE id = ?",
                        (device.id,)).fetchone()[0]
        found = []
        for entity in ENTITIES:
            for row in db.execute(conn, f"SELECT version, {', '.join(entity.columns)}"
                                        f" FROM {entity.name} WHERE school_id = ? AND version > ?"
                                        " ORDER BY version LIMIT ?",
                                  (device.school_id, since, limit + 1)):
                found.append((row[0], entity, row[1:]))
    found.sort(key=lambda item: item[0])
    page: dict[str, list[dict]] = {entity.name: [] for entity in ENTITIES}
    for _, entity, row in found[:limit]:
        record = entity.to_record(row)
        if entity.name == "wallets":
            record["included_seq"] = hw
        page[entity.name].append(record)
    last = found[min(limit, len(found)) - 1][0] if found else since
    more = len(found) > limit
    return {**page, "cursor": make_cursor(epoch, last, full and more),
            "has_more": more, "full": full}
