"""The back office's students (``sync.server.students_api`` says the paths and models):
search, a student's page, flags and limits, badges, photo, roster upload. Each route
declares its permission through ``office()`` and works in the asker's school only."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.server import bank_statement, roster, student_photos, students, students_api as api
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, json_answer
from sync.server.errors import CentralError
from sync.server.ledger_api import RosterImport
from sync.server.permissions import Staff

router = APIRouter(tags=["students"], responses=ERRORS)
Reader = Annotated[Staff, office("students.read")]
Writer = Annotated[Staff, office("students.write")]


async def read_body(request: Request, limit: int, too_large: CentralError) -> bytes:
    """The request's body, refused as soon as it passes ``limit`` bytes (never all read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.get(api.STUDENTS, response_model=api.StudentList)
def search(staff: Reader, store: Store, q: str = Query("", max_length=api.MAX_QUERY),
           limit: int = Query(50, ge=1, le=api.MAX_LIMIT),
           offset: int = Query(0, ge=0, le=10**7)) -> Response:
    found = students.search(store, staff.school_id, q, limit, offset)
    return json_answer(api.StudentList.model_validate(found))


@router.post(api.ROSTER, response_model=RosterImport)
async def roster_upload(request: Request, staff: Writer, store: Store) -> Response:
    """The roster file as the body: all or nothing, every bad line named (``roster``)."""
    text = bank_statement.read_text(await request.body())   # bounded by api.middleware
    found = await run_in_threadpool(roster.import_roster, store, staff.school_id, text)
    return json_answer(RosterImport.model_validate(found))


@router.get(api.STUDENT, response_model=api.StudentDetail)
def detail(student_id: str, staff: Reader, store: Store) -> Response:
    return json_answer(api.StudentDetail.model_validate(
        students.detail(store, staff.school_id, student_id)))


@router.put(api.SETTINGS, response_model=api.StudentRecord)
def settings(student_id: str, req: api.StudentSettings, staff: Writer, store: Store) -> Response:
    return json_answer(api.StudentRecord.model_validate(students.update(
        store, staff.school_id, student_id, flags=list(req.flags),
        daily_limit_cents=req.daily_limit_cents,
        blocked_categories=list(req.blocked_categories))))


@router.post(api.BADGES, response_model=api.BadgeState, status_code=201)
def add_badge(student_id: str, req: api.BadgeRequest, staff: Writer, store: Store) -> Response:
    answer = json_answer(api.BadgeState.model_validate(
        students.add_badge(store, staff.school_id, student_id, req.uid)))
    answer.status_code = 201
    return answer


@router.post(api.BADGE_BLOCK, response_model=api.BadgeState)
def block_badge(student_id: str, req: api.BadgeRequest, staff: Writer, store: Store) -> Response:
    return json_answer(api.BadgeState.model_validate(
        students.set_badge_status(store, staff.school_id, student_id, req.uid, block=True)))


@router.post(api.BADGE_UNBLOCK, response_model=api.BadgeState)
def unblock_badge(student_id: str, req: api.BadgeRequest, staff: Writer,
                  store: Store) -> Response:
    return json_answer(api.BadgeState.model_validate(
        students.set_badge_status(store, staff.school_id, student_id, req.uid, block=False)))


@router.put(api.PHOTO, response_model=api.PhotoAnswer)
async def put_photo(student_id: str, request: Request, staff: Writer, store: Store) -> Response:
    """The image itself as the body (JPEG or PNG)."""
    data = await read_body(request, student_photos.MAX_UPLOAD_BYTES, student_photos.too_large())
    found = await run_in_threadpool(student_photos.set_photo, store, staff.school_id,
                                    student_id, data)
    return json_answer(api.PhotoAnswer.model_validate(found))


@router.get(api.PHOTO, responses={200: {"content": {"image/jpeg": {}}}})
def get_photo(student_id: str, staff: Reader, store: Store) -> Response:
    return Response(student_photos.student_photo(store, staff.school_id, student_id),
                    media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})


@router.delete(api.PHOTO, response_model=api.PhotoAnswer)
def delete_photo(student_id: str, staff: Writer, store: Store) -> Response:
    student_photos.remove_photo(store, staff.school_id, student_id)
    return json_answer(api.PhotoAnswer(ref=None, bytes=0))
