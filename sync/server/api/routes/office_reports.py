"""The office's reports (``sync.server.office_reports``, the sales journal of
``sync.server.sales_journal``, its CSV file ``sync.server.journal_csv``). Scoped to the
school of the person asking; empty parameters are no filter."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sync.server import journal_csv, office_api, office_reports, reports, sales_journal
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, json_answer, query_day
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.integrity_api import Lang
from sync.server.permissions import Staff
from sync.server.schools import today

router = APIRouter(tags=["reports"], responses=ERRORS)
Reader = Annotated[Staff, office("reports.read")]
First = Annotated[str, Query(alias="from")]
Last = Annotated[str, Query(alias="to")]
MAX_CSV_ROWS = 200_000      # a year of a large school; more is refused, never cut silently


def _span(store: Database, staff: Staff, period: str, first: str, last: str) -> dict:
    return {"school_id": staff.school_id} | office_reports.period(
        store, staff.school_id, period or None, query_day(first, "from"), query_day(last, "to"))


def _journal(store: Database, staff: Staff, period: str, first: str, last: str, student: str,
             wallet: str, device: str, article: str, kind: str, limit: int | None,
             offset: int) -> dict:
    span = _span(store, staff, period, first, last)
    if device:
        office_reports.require_terminal(store, staff.school_id, device)
    return sales_journal.sales_journal(
        store, staff.school_id, student_id=student or None, wallet_id=wallet or None,
        device_id=device or None, article_text=article or None, period=span["period"],
        first_day=span["first_day"] if span["period"] == "custom" else None,
        last_day=span["last_day"] if span["period"] == "custom" else None, limit=limit,
        offset=offset, kind=kind or None)


@router.get(office_api.JOURNAL, response_model=reports.SalesJournal)
def journal(store: Store, staff: Reader, period: str = "", first: First = "", last: Last = "",
            student: str = "", wallet: str = "", device: str = "", article: str = "",
            kind: str = "", limit: int = Query(100, ge=1, le=reports.MAX_SALES_ROWS),
            offset: int = Query(0, ge=0)) -> Response:
    return json_answer(reports.SalesJournal.model_validate(_journal(
        store, staff, period, first, last, student, wallet, device, article, kind, limit,
        offset)))


@router.get(office_api.JOURNAL_CSV, response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def journal_file(store: Store, staff: Reader, period: str = "", first: First = "",
                 last: Last = "", student: str = "", wallet: str = "", device: str = "",
                 article: str = "", kind: str = "", lang: Lang = "fr") -> Response:
    """The journal's rows for the same filters, all of them, as a CSV file for Excel."""
    found = _journal(store, staff, period, first, last, student, wallet, device, article,
                     kind, MAX_CSV_ROWS + 1, 0)
    if found["count"] > MAX_CSV_ROWS:
        raise CentralError("invalid", "{count} rows: more than a file holds ({most});"
                                      " choose a shorter period or a filter",
                           count=found["count"], most=MAX_CSV_ROWS)
    name = f"journal-{found['first_day']}-{found['last_day']}.csv"
    return Response(journal_csv.journal_csv(found["rows"], lang).encode("utf-8"),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(office_api.Z, response_model=office_api.ZReport)
def z_report(store: Store, staff: Reader, period: str = "", first: First = "",
             last: Last = "", device: str = "") -> Response:
    span = _span(store, staff, period, first, last)
    rows = office_reports.z_against_platform(store, staff.school_id, span, device or None)
    return json_answer(office_api.ZReport.model_validate(span | {"rows": rows}))


@router.get(office_api.DAILY_TOTALS, response_model=office_api.DailyTotals)
def daily_totals(store: Store, staff: Reader, period: str = "", first: First = "",
                 last: Last = "") -> Response:
    span = _span(store, staff, period, first, last)
    return json_answer(office_api.DailyTotals.model_validate(
        office_reports.daily_totals(store, staff.school_id, span) | span))


@router.get(office_api.SALES_BY_DAY, response_model=office_api.Series)
def sales_by_day(store: Store, staff: Reader, period: str = "", first: First = "",
                 last: Last = "") -> Response:
    span = _span(store, staff, period, first, last)
    points = office_reports.sales_by_day(store, staff.school_id, span)
    return json_answer(office_api.Series(school_id=staff.school_id, first_day=span["first_day"],
                                         last_day=span["last_day"],
                                         points=[office_api.Point(**p) for p in points]))


def _day(store: Database, staff: Staff, day: str) -> date:
    return query_day(day, "day") or today(store, staff.school_id)


@router.get(office_api.SALES_BY_HOUR, response_model=office_api.Series)
def sales_by_hour(store: Store, staff: Reader, day: str = "") -> Response:
    when = _day(store, staff, day)
    points = office_reports.sales_by_hour(store, staff.school_id, when)
    return json_answer(office_api.Series(school_id=staff.school_id, first_day=when,
                                         last_day=when,
                                         points=[office_api.Point(**p) for p in points]))


@router.get(office_api.KITCHEN, response_model=office_api.KitchenList)
def kitchen(store: Store, staff: Reader, day: str = "") -> Response:
    return json_answer(office_api.KitchenList.model_validate(
        office_reports.kitchen_list(store, staff.school_id, _day(store, staff, day))))


@router.get(office_api.UNCOLLECTED, response_model=office_api.Uncollected)
def uncollected(store: Store, staff: Reader, day: str = "") -> Response:
    return json_answer(office_api.Uncollected.model_validate(
        office_reports.uncollected(store, staff.school_id, _day(store, staff, day))))
