"""A student's photo, uploaded by the office: checked to be a JPEG or PNG image, turned
upright, cut down to ``SIDE`` pixels at most and re-encoded as a JPEG under
``sync.photos.MAX_PHOTO_BYTES``, kept in the database (``student_photos``: every platform
process serves it) and named in the student's ``photo_ref``, with a new change version, so the
terminals' next pull carries it and their agent fetches it (``sync.photos``).

A file that is no image, an image of another kind, an upload over ``MAX_UPLOAD_BYTES`` or a
picture of more than ``MAX_PIXELS`` (a "decompression bomb") is refused, and nothing changes.
"""
from __future__ import annotations

import base64
import binascii
import io
import warnings

from sync.photos import MAX_PHOTO_BYTES, is_platform_ref, ref_of
from sync.server.database import Database
from sync.server.errors import CentralError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024      # a phone's photo is 2 to 6 MB
MAX_PIXELS = 50_000_000
SIDE = 480                              # the terminals show a photo a few centimetres wide
FORMATS = ("JPEG", "PNG")


def too_large() -> CentralError:
    return CentralError("invalid", "the photo is larger than {max} MB: choose a smaller one",
                        max=MAX_UPLOAD_BYTES // (1024 * 1024))


def prepare(data: bytes) -> bytes:
    """The photo as the platform keeps it (a JPEG of ``SIDE`` pixels at most), or an
    ``invalid`` refusal saying why not."""
    from PIL import Image, ImageOps, UnidentifiedImageError
    if not data:
        raise CentralError("invalid", "the photo is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large()
    not_image = CentralError("invalid", "the photo is not a JPEG or PNG image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise not_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise CentralError("invalid", "the photo has too many pixels")
                probe.verify()      # the whole file read: a cut or damaged one is refused
            with Image.open(io.BytesIO(data)) as opened:
                opened.draft("RGB", (SIDE, SIDE))       # JPEG: decode at a smaller scale
                image: Image.Image = ImageOps.exif_transpose(opened)
                image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
                if image.mode in ("RGBA", "LA", "P"):   # transparency on white
                    image = image.convert("RGBA")
                    flat = Image.new("RGB", image.size, "white")
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
                image = image.convert("RGB")
                for quality in (85, 70, 55, 40):
                    out = io.BytesIO()
                    image.save(out, "JPEG", quality=quality, optimize=True)
                    if out.tell() <= MAX_PHOTO_BYTES:
                        return out.getvalue()
    except CentralError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, SyntaxError, ValueError):
        raise not_image from None
    raise CentralError("invalid", "the photo cannot be made small enough")


def set_photo(db: Database, school_id: str, student_id: str, data: bytes) -> dict:
    """Check, shrink and keep a student's photo, in one transaction; returns its ``ref``
    and size."""
    jpeg = prepare(data)
    ref = ref_of(jpeg)
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT photo_ref FROM students WHERE school_id = ? AND id = ?",
                         (school_id, student_id)).fetchone()
        if row is None:
            raise CentralError("not_found", "no student {student!r} in this school",
                               student=student_id[:64])
        db.execute(conn, "INSERT INTO student_photos (school_id, student_id, ref, content_b64,"
                         " bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                         " ON CONFLICT (school_id, student_id) DO UPDATE SET ref = excluded.ref,"
                         " content_b64 = excluded.content_b64, bytes = excluded.bytes,"
                         " created_at = excluded.created_at",
                   (school_id, student_id, ref, base64.b64encode(jpeg).decode("ascii"),
                    len(jpeg), db.stamp()))
        if row[0] != ref:
            db.execute(conn, "UPDATE students SET photo_ref = ?, version = ?"
                             " WHERE school_id = ? AND id = ?",
                       (ref, db.next_versions(conn, 1), school_id, student_id))
    return {"ref": ref, "bytes": len(jpeg)}


def remove_photo(db: Database, school_id: str, student_id: str) -> None:
    """The student has no photo any more (the terminals stop showing it after their pull)."""
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT photo_ref FROM students WHERE school_id = ? AND id = ?",
                         (school_id, student_id)).fetchone()
        if row is None:
            raise CentralError("not_found", "no student {student!r} in this school",
                               student=student_id[:64])
        db.execute(conn, "DELETE FROM student_photos WHERE school_id = ? AND student_id = ?",
                   (school_id, student_id))
        if row[0] is not None:
            db.execute(conn, "UPDATE students SET photo_ref = NULL, version = ?"
                             " WHERE school_id = ? AND id = ?",
                       (db.next_versions(conn, 1), school_id, student_id))


def photo_b64(db: Database, school_id: str, ref: str) -> str:
    """The JPEG named ``ref`` (base64), of a student of the school; else ``not_found``."""
    if not is_platform_ref(ref):
        raise CentralError("not_found", "no such photo")
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT content_b64 FROM student_photos"
                               " WHERE school_id = ? AND ref = ? LIMIT 1",
                         (school_id, ref)).fetchone()
    if row is None:
        raise CentralError("not_found", "no such photo")
    return row[0]


def student_photo(db: Database, school_id: str, student_id: str) -> bytes:
    """The student's photo (JPEG bytes), for the office's page; else ``not_found``."""
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT content_b64 FROM student_photos"
                               " WHERE school_id = ? AND student_id = ?",
                         (school_id, student_id)).fetchone()
    if row is None:
        raise CentralError("not_found", "this student has no photo")
    try:
        return base64.b64decode(row[0], validate=True)
    except binascii.Error:
        raise CentralError("not_found", "this student has no photo") from None
