"""The agent's part of students' photos (``sync.photos``): after a pull, fetch the photos
the platform names in the students' ``photo_ref`` that this terminal does not have yet, into
its data folder, where the touch app shows them from (``Terminal.photo_path``).

A photo is written only when its bytes match its name (the SHA-256 in it), through a
temporary file and a rename: a photo shown is whole and the office's. A fetch that fails is
tried again after the next pull; it never fails the sync round. At most ``PER_ROUND`` photos
per round, so that a first pull of a whole school does not hold the round for minutes.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import sqlite3
from pathlib import Path

from sync.client import Client, SyncError
from sync.photos import PHOTO, PhotoFile, is_platform_ref, name_of, ref_of

log = logging.getLogger("comptoir.sync")
PER_ROUND = 200


def missing(folder: Path, refs: list[str]) -> list[str]:
    return [ref for ref in refs if is_platform_ref(ref) and not (folder / ref).is_file()]


def fetch_missing(conn: sqlite3.Connection, folder: Path, client: Client,
                  limit: int = PER_ROUND) -> int:
    """Fetch the platform's photos this terminal lacks (``conn``: the terminal store's
    connection); returns how many were written."""
    refs = [r[0] for r in conn.execute("SELECT DISTINCT photo_ref FROM students"
                                       " WHERE photo_ref LIKE 'photos/%'")]
    written = 0
    for ref in missing(folder, refs)[:limit]:
        try:
            answer = client.get(PHOTO.format(name=name_of(ref)), PhotoFile)
            jpeg = base64.b64decode(answer.jpeg_base64, validate=True)
        except SyncError as e:
            log.info("photo not fetched (%s): tried again after the next pull", e.code)
            if e.code == "offline":
                break
            continue
        except binascii.Error:
            jpeg = b""
        if answer.ref != ref or ref_of(jpeg) != ref:
            log.warning("a photo's bytes do not match its name: not kept")
            continue
        path = folder / ref
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(exist_ok=True)
            tmp.write_bytes(jpeg)
            os.replace(tmp, path)
        except OSError as e:        # a full disk: the sale matters more than a photo
            log.warning("photo not written (%s): tried again after the next pull",
                        type(e).__name__)
            break
        written += 1
    return written
