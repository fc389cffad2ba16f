"""The terminals fetch students' photos here (``sync.photos``): a terminal's token, a photo
of its own school only."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sync.photos import PHOTO, PhotoFile
from sync.server import student_photos
from sync.server.api.deps import CurrentDevice, Store
from sync.server.api.http import ERRORS, json_answer

router = APIRouter(tags=["terminal"], responses=ERRORS)


@router.get(PHOTO, response_model=PhotoFile)
def photo(name: str, device: CurrentDevice, store: Store) -> Response:
    ref = f"photos/{name}"
    return json_answer(PhotoFile(ref=ref, jpeg_base64=student_photos.photo_b64(
        store, device.school_id, ref)))
