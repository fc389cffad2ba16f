"""The reports' pages (``sync.server.office_reports``, the sales journal): the journal with
its presets, filters and CSV link, the Z against the platform, the daily totals, the
kitchen's list, the uncollected sandwiches and the two plots. A period or a day the office
typed wrong is said on the page (422), with the form to correct it."""
from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sync.common.money import format_cents
from sync.server import office_api, office_reports, plots, sales_journal, terminal_board
from sync.server.api.deps import Store, office
from sync.server.api.http import query_day
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.schools import today
from sync.server.web import templating

router = APIRouter()
Reader = Annotated[Staff, office("reports.read")]
First = Annotated[str, Query(alias="from")]
Last = Annotated[str, Query(alias="to")]
PAGE = 100                  # journal rows per page


def _page(request: Request, template: str, context: dict[str, Any],
          error: CentralError | None) -> Response:
    if error is not None and error.code == "not_found":
        raise error
    said = error.say(templating.language(request)) if error else ""
    if "terminals" in context:
        _ = templating.gettext_of(request)
        context["terminal_options"] = [("", _("all"))] + [(t["id"], t["name"])
                                                          for t in context["terminals"]]
    return templating.render(request, f"reports/{template}", {
        "error": said, "periods": sales_journal.PERIODS, **context}, 422 if error else 200)


def _span(store: Database, staff: Staff, period: str, first: str, last: str) -> dict:
    return office_reports.period(store, staff.school_id, period or None,
                                 query_day(first, "from"), query_day(last, "to"))


@router.get("/reports")
def journal(request: Request, store: Store, staff: Reader, period: str = "today",
            first: First = "", last: Last = "", student: str = "", wallet: str = "",
            device: str = "", article: str = "", kind: str = "",
            page: int = Query(1, ge=1, le=10_000)) -> Response:
    asked = {"period": period, "from": first, "to": last, "student": student,
             "wallet": wallet, "device": device, "article": article, "kind": kind}
    found, error = None, None
    try:
        span = _span(store, staff, period, first, last)
        if device:
            office_reports.require_terminal(store, staff.school_id, device)
        found = sales_journal.sales_journal(
            store, staff.school_id, student_id=student or None, wallet_id=wallet or None,
            device_id=device or None, article_text=article or None, period=span["period"],
            first_day=span["first_day"] if span["period"] == "custom" else None,
            last_day=span["last_day"] if span["period"] == "custom" else None, limit=PAGE,
            offset=(page - 1) * PAGE, kind=kind or None)
    except CentralError as e:
        error = e
    query = {k: v for k, v in asked.items() if v}
    return _page(request, "journal.html", {
        "asked": asked, "found": found, "page": page, "pages": -(-found["count"] // PAGE)
        if found else 0, "query": urlencode(query), "csv": office_api.JOURNAL_CSV + "?"
        + urlencode(query | {"lang": templating.language(request)}),
        "kinds": sales_journal.ROW_KINDS,
        "terminals": terminal_board.terminal_list(store, staff.school_id)}, error)


@router.get("/reports/z")
def z_report(request: Request, store: Store, staff: Reader, period: str = "last_7_days",
             first: First = "", last: Last = "", device: str = "") -> Response:
    asked = {"period": period, "from": first, "to": last, "device": device}
    rows, error = None, None
    try:
        span = _span(store, staff, period, first, last)
        rows = office_reports.z_against_platform(store, staff.school_id, span, device or None)
    except CentralError as e:
        error = e
    return _page(request, "z.html", {"asked": asked, "rows": rows, "terminals":
                                     terminal_board.terminal_list(store, staff.school_id)},
                 error)


@router.get("/reports/totals")
def totals(request: Request, store: Store, staff: Reader, period: str = "today",
           first: First = "", last: Last = "") -> Response:
    asked = {"period": period, "from": first, "to": last}
    found, error = None, None
    try:
        found = office_reports.daily_totals(store, staff.school_id,
                                            _span(store, staff, period, first, last))
    except CentralError as e:
        error = e
    return _page(request, "totals.html", {"asked": asked, "found": found}, error)


def _day(store: Database, staff: Staff, day: str) -> date:
    return query_day(day, "day") or today(store, staff.school_id)


def _day_report(request: Request, store: Database, staff: Staff, day: str,
                report: Callable[[Database, str, date], Any], template: str) -> Response:
    """A report of one day (today when none is asked), or its error, on its page."""
    found, error = None, None
    try:
        found = report(store, staff.school_id, _day(store, staff, day))
    except CentralError as e:
        error = e
    return _page(request, template, {"day": day[:20], "found": found}, error)


@router.get("/reports/kitchen")
def kitchen(request: Request, store: Store, staff: Reader, day: str = "") -> Response:
    return _day_report(request, store, staff, day, office_reports.kitchen_list, "kitchen.html")


@router.get("/reports/uncollected")
def uncollected(request: Request, store: Store, staff: Reader, day: str = "") -> Response:
    return _day_report(request, store, staff, day, office_reports.uncollected,
                       "uncollected.html")


@router.get("/reports/charts")
def charts(request: Request, store: Store, staff: Reader, period: str = "last_30_days",
           first: First = "", last: Last = "", day: str = "") -> Response:
    _ = templating.gettext_of(request)
    lang = templating.language(request)
    asked = {"period": period, "from": first, "to": last, "day": day[:20]}
    context: dict[str, Any] = {"asked": asked}
    error = None
    try:
        span = _span(store, staff, period, first, last)
        when = _day(store, staff, day)
        by_day = office_reports.sales_by_day(store, staff.school_id, span)
        by_hour = office_reports.sales_by_hour(store, staff.school_id, when)
        euros = functools.partial(format_cents, locale=lang)
        context |= {
            "by_day": by_day, "by_hour": by_hour, "when": when, "span": span,
            "day_chart": plots.bar_chart(
                "per-day", _("Sales per day"), _(
                    "Net sales of each day from {first} to {last}; the highest: {top}.",
                    first=span["first_day"], last=span["last_day"],
                    top=euros(max([0, *(p["net_cents"] for p in by_day)]))),
                [(p["label"][8:10] + "/" + p["label"][5:7], p["net_cents"]) for p in by_day],
                euros),
            "hour_chart": plots.bar_chart(
                "per-hour", _("Sales per hour on {day}", day=when), _(
                    "Net sales of each hour of {day}; the highest: {top}.", day=when,
                    top=euros(max([0, *(p["net_cents"] for p in by_hour)]))),
                [(p["label"], p["net_cents"]) for p in by_hour], euros)}
    except CentralError as e:
        error = e
    return _page(request, "charts.html", context, error)
