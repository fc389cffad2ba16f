"""Pull: the school's rows changed since a terminal's cursor, oldest change first, paged.

A cursor reads "v2:<epoch>:<version>" (``CURSOR``, ``make_cursor``); pages of a full resync
carry ":full" so every one of them says so, but the cursor after its last page is a plain one
(the next pull is incremental). The epoch is the mark of the cursor's version
(``sync.server.epoch``): it changes only when the data went back, since a database restored
from a backup reuses version numbers a terminal has already seen; a restart changes nothing.
"""
from __future__ import annotations

import re

from sync.server import epoch as cursor_epoch
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
    given_epoch, since, full = (match.group(1), int(match.group(2)), bool(match.group(3))
                                 ) if match else (None, 0, True)
    with db.transaction(write=False) as conn:     # one snapshot: balances and high water agree
        if since > db.last_version(conn):
            raise CentralError("cursor_expired", "cursor from the future: pull again"
                                                 " without one")
        if given_epoch is not None and given_epoch != cursor_epoch.of(db, conn, since):
            raise CentralError("cursor_expired", "the platform was restored from a backup:"
                                                 " pull again without one")
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
        last = found[min(limit, len(found)) - 1][0] if found else since
        epoch = cursor_epoch.of(db, conn, last)     # in the same snapshot as the rows
    page: dict[str, list[dict]] = {entity.name: [] for entity in ENTITIES}
    for _, entity, row in found[:limit]:
        record = entity.to_record(row)
        if entity.name == "wallets":
            record["included_seq"] = hw
        page[entity.name].append(record)
    more = len(found) > limit
    return {**page, "cursor": make_cursor(epoch, last, full and more),
            "has_more": more, "full": full}
