"""The school calendar's JSON API (``sync.server.calendar_api``; the work is in
``school_calendar``). Every route names the office's permission it needs, and works on the
school of the person behind the request only."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from sync.server import calendar_api as api, school_calendar
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, json_answer, query_day
from sync.server.errors import CentralError
from sync.server.permissions import Staff

router = APIRouter(tags=["calendar"], responses=ERRORS)

Reader = Annotated[Staff, office("calendar.read")]
Writer = Annotated[Staff, office("calendar.write")]


def _range(first: str, last: str) -> tuple[date, date]:
    """Two query days, both needed, in order."""
    a, b = query_day(first, "first"), query_day(last, "last")
    if a is None or b is None:
        raise CentralError("invalid", "give the first and the last day (YYYY-MM-DD)")
    return a, b


@router.get(api.SETTINGS, response_model=api.CalendarSettings)
def get_settings(store: Store, staff: Reader) -> Response:
    return json_answer(api.CalendarSettings.model_validate(
        school_calendar.settings(store, staff.school_id)))


@router.put(api.SETTINGS, response_model=api.CalendarSettings)
def put_settings(req: api.CalendarSettingsRequest, store: Store, staff: Writer) -> Response:
    return json_answer(api.CalendarSettings.model_validate(school_calendar.set_settings(
        store, staff.school_id, weekdays=req.weekdays, year_first=req.year_first,
        year_last=req.year_last, horizon_days=req.horizon_days, cutoff=req.cutoff)))


@router.get(api.MONTH, response_model=api.CalendarMonth)
def month(store: Store, staff: Reader, month: str = "") -> Response:
    """A month's days (``month=YYYY-MM``; none: this month)."""
    year = number = None
    if month:
        y, _, m = month.partition("-")
        if not (len(y) == 4 and y.isdigit() and len(m) == 2 and m.isdigit()):
            raise CentralError("invalid", "month: YYYY-MM, years 2000 to 2099")
        year, number = int(y), int(m)
    found = school_calendar.month(store, staff.school_id, year, number)
    return json_answer(api.CalendarMonth.model_validate(found))


@router.get(api.OPEN_DAYS, response_model=api.OpenDays)
def open_days(store: Store, staff: Reader, first: str = "", last: str = "") -> Response:
    a, b = _range(first, last)
    days = school_calendar.open_days(store, staff.school_id, a, b)
    return json_answer(api.OpenDays(first=a, last=b, days=days))


@router.get(api.CLOSURES, response_model=api.ClosureList)
def closures(store: Store, staff: Reader, first: str = "", last: str = "") -> Response:
    found = school_calendar.closures(store, staff.school_id, query_day(first, "first"),
                                     query_day(last, "last"))
    return json_answer(api.ClosureList.model_validate({"closures": found}))


@router.get(api.PREVIEW, response_model=api.ClosurePreview)
def preview(store: Store, staff: Reader, first: str = "", last: str = "") -> Response:
    a, b = _range(first, last)
    return json_answer(api.ClosurePreview.model_validate(
        school_calendar.preview_closure(store, staff.school_id, a, b)))


@router.post(api.CLOSURES, response_model=api.ClosureAnswer)
def add_closure(req: api.ClosureRequest, store: Store, staff: Writer) -> Response:
    return json_answer(api.ClosureAnswer.model_validate(school_calendar.add_closure(
        store, staff.school_id, req.first_day, req.last_day, req.reason, staff.name)))


@router.delete(api.CLOSURE, response_model=api.Closure)
def remove_closure(closure_id: str, store: Store, staff: Writer) -> Response:
    return json_answer(api.Closure.model_validate(
        school_calendar.remove_closure(store, staff.school_id, closure_id)))
