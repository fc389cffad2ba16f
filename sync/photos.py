"""Students' photos between the platform and the terminals (shared by both ends): the shape
of a photo's reference, the path a terminal fetches it from and the answer it gets.

The office uploads a photo (``sync.server.student_photos``); the platform keeps it as a small
JPEG and names it by its content, ``photos/<32 hex digits of its SHA-256>.jpg``, in the
student's ``photo_ref``. A new photo is a new ref: the terminals' next pull carries it, and
the agent fetches the file into the terminal's data folder (``sync.photo_fetch``), where the
touch app looks for it (``kiosk.ui.terminal.Terminal.photo_path``). The terminal checks the
bytes against the name, so a photo shown is the one the office uploaded.

>>> ref_of(b"abc")
'photos/ba7816bf8f01cfea414140de5dae2223.jpg'
>>> is_platform_ref(ref_of(b"abc")), is_platform_ref("photos/S00001.jpg"), is_platform_ref("../x")
(True, False, False)
"""
from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, ConfigDict, Field

from sync.protocol import API

PHOTO = f"{API}/photos/{{name}}"    # GET (a terminal's token) -> PhotoFile
_REF = re.compile(r"^photos/([0-9a-f]{32})\.jpg$")
MAX_PHOTO_BYTES = 200_000           # a stored photo, at most (the platform keeps under it)


def ref_of(jpeg: bytes) -> str:
    return f"photos/{hashlib.sha256(jpeg).hexdigest()[:32]}.jpg"


def is_platform_ref(ref: str | None) -> bool:
    """A ref the platform made (other refs, a demo folder's, are files put there by hand)."""
    return bool(ref and _REF.match(ref))


def name_of(ref: str) -> str:
    """The last part of a ref: what the fetch path names."""
    return ref.rsplit("/", 1)[-1]


class PhotoFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ref: str = Field(pattern=_REF.pattern)
    jpeg_base64: str = Field(min_length=1, max_length=MAX_PHOTO_BYTES * 4 // 3 + 4)
