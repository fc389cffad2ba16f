"""The back office's students, as a JSON API (``sync.server.students``,
``student_photos``, ``roster``): paths, requests and answers. Every route is the office's
(``api.deps.office``: ``students.read`` to look, ``students.write`` to change) and scoped to
the school of the person asking; a student of another school is ``not_found``.

    GET  /api/v1/admin/students?q=&limit=&offset=          -> StudentList
    POST /api/v1/admin/students/roster                     the roster (CSV or JSON) -> RosterImport
    GET  /api/v1/admin/students/{id}                       -> StudentDetail
    PUT  /api/v1/admin/students/{id}/settings              StudentSettings -> StudentRecord
    POST /api/v1/admin/students/{id}/badges                BadgeRequest -> BadgeState (a new badge)
    POST /api/v1/admin/students/{id}/badges/block          BadgeRequest -> BadgeState
    POST /api/v1/admin/students/{id}/badges/unblock        BadgeRequest -> BadgeState
    PUT  /api/v1/admin/students/{id}/photo                 the image (JPEG, PNG) -> PhotoAnswer
    GET  /api/v1/admin/students/{id}/photo                 -> the photo (image/jpeg)
    DELETE /api/v1/admin/students/{id}/photo               -> PhotoAnswer (ref null)

A body is 10 MB at most (``api.middleware``; 100,000 students are about 4 MB of CSV, and a
body may come gzipped). A badge's UID travels in the body, never in the path (paths end up in access logs).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sync.models import MAX_CENTS
from sync.protocol import API
from sync.server.ledger_api import Movement
from sync.server.students import MAX_BLOCKED, MAX_FLAGS, MAX_LIMIT, MAX_QUERY

STUDENTS = f"{API}/admin/students"
ROSTER = f"{STUDENTS}/roster"
STUDENT = f"{STUDENTS}/{{student_id}}"
SETTINGS = f"{STUDENT}/settings"
BADGES = f"{STUDENT}/badges"
BADGE_BLOCK = f"{BADGES}/block"
BADGE_UNBLOCK = f"{BADGES}/unblock"
PHOTO = f"{STUDENT}/photo"
PATHS = (STUDENTS, ROSTER, STUDENT, SETTINGS, BADGES, BADGE_BLOCK, BADGE_UNBLOCK, PHOTO)
__all__ = ["MAX_LIMIT", "MAX_QUERY"]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudentRow(_Msg):
    id: str
    first_name: str
    last_name: str
    class_name: str
    has_photo: bool
    flags: list[str]


class StudentList(_Msg):
    students: list[StudentRow]
    more: bool                  # another page follows (``offset`` + ``limit``)


class StudentRecord(_Msg):
    id: str
    first_name: str
    last_name: str
    class_name: str
    photo_ref: str | None
    has_photo: bool             # the platform holds the photo photo_ref names
    daily_limit_cents: int | None
    blocked_categories: list[str]
    blocked_articles: list[str]
    flags: list[str]


class BadgeState(_Msg):
    uid: str
    status: str                 # active, blocked
    status_at: str | None       # when the last block or unblock was decided
    status_by: str | None       # "office", or "device:<id>:<seq>"


class WalletView(_Msg):
    id: str
    kind: str
    name: str
    structured_communication: str
    is_default: bool
    balance_cents: int
    movements_total: int
    movements: list[Movement]   # the last ones, newest first


class CategoryRef(_Msg):
    code: str
    name: str


class StudentDetail(_Msg):
    student: StudentRecord
    badges: list[BadgeState]
    wallets: list[WalletView]
    categories: list[CategoryRef]   # the school's, for blocked_categories


class StudentSettings(_Msg):
    """The whole of what the office sets: flags, the parents' daily limit (null: none) and
    blocked categories."""
    flags: list[str] = Field(max_length=MAX_FLAGS)
    daily_limit_cents: int | None = Field(ge=0, le=MAX_CENTS)
    blocked_categories: list[str] = Field(max_length=MAX_BLOCKED)


class BadgeRequest(_Msg):
    uid: str = Field(min_length=1, max_length=40)


class PhotoAnswer(_Msg):
    ref: str | None             # what the terminals pull in the student's photo_ref
    bytes: int = Field(ge=0)    # the photo as kept
