"""The school calendar's pages (``school_calendar``; JSON API: ``api.routes.calendar``): the
month with its open days and closures, the closures' form (what closing days that hold
reservations will refund is shown before it is confirmed), reopening, and the settings
(school days of the week, school year, cutoff, horizon)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from babel.dates import format_date, get_day_names
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.common.money import format_cents
from sync.server import school_calendar
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import templating

router = APIRouter()
Reader = Annotated[Staff, office("calendar.read")]
Writer = Annotated[Staff, office("calendar.write")]
Text = Annotated[str, Form()]
LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_GB"}


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CentralError("invalid", "{name}: not a day (YYYY-MM-DD)", name=what) from None


def _month_of(text: str) -> tuple[int | None, int | None]:
    year, _, number = text.partition("-")
    if year.isdigit() and number.isdigit() and len(year) == 4 and len(number) == 2:
        return int(year), int(number)
    return None, None


def _page(request: Request, store: Store, staff: Staff, month: str = "", status: int = 200,
          **context: Any) -> Response:
    lang = templating.language(request)
    locale = LOCALES.get(lang, "fr_BE")
    year, number = _month_of(month)
    try:
        shown = school_calendar.month(store, staff.school_id, year, number)
    except CentralError:        # a month out of range in the address: this month instead
        shown = school_calendar.month(store, staff.school_id)
    days = shown["days"]
    first = days[0]["day"]
    weeks: list[list[dict | None]] = [[None] * (first.isoweekday() - 1)]
    for d in days:
        if len(weeks[-1]) == 7:
            weeks.append([])
        weeks[-1].append(d)
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    previous, following = first - timedelta(days=1), days[-1]["day"] + timedelta(days=1)
    names = get_day_names("wide", locale=locale)
    short = get_day_names("abbreviated", locale=locale)    # a phone's narrow columns
    return templating.render(request, "calendar/month.html", {
        "shown": shown, "weeks": weeks, "title": format_date(first, "LLLL yyyy", locale=locale),
        "day_names": [names[i] for i in range(7)],
        "short_names": [short[i] for i in range(7)],
        "previous": f"{previous:%Y-%m}", "next": f"{following:%Y-%m}",
        "settings": school_calendar.settings(store, staff.school_id),
        "may_write": staff.may("calendar.write"), "errors": {}, "values": {},
        "long_date": lambda d: format_date(d, "full", locale=locale), **context}, status)


@router.get("/calendar")
def calendar_page(request: Request, store: Store, staff: Reader, month: str = "") -> Response:
    return _page(request, store, staff, month)


@router.post("/calendar/closures")
def add_closure(request: Request, store: Store, staff: Writer, first_day: Text = "",
                last_day: Text = "", reason: Text = "", confirm: Text = "") -> Response:
    """Close days: when they hold reservations, first a page saying what will be refunded,
    whose button sends ``confirm``; then the closure and its refunds, at once."""
    _ = templating.gettext_of(request)
    lang = templating.language(request)
    values = {"first_day": first_day[:10], "last_day": (last_day or first_day)[:10],
              "reason": reason[:200]}
    try:
        first = _day(first_day, _("first day"))
        last = _day(last_day, _("last day")) if last_day.strip() else first
        school_calendar.clean_reason(reason)      # checked before asking to confirm
        preview = school_calendar.preview_closure(store, staff.school_id, first, last)
        if preview["count"] and confirm != "1":
            return templating.render(request, "calendar/confirm.html", {
                "preview": preview, "values": values,
                "total": format_cents(preview["amount_cents"])})
        done = school_calendar.add_closure(store, staff.school_id, first, last, reason,
                                           staff.name)
    except CentralError as e:
        return _page(request, store, staff, values["first_day"][:7], 422,
                     errors={"closure": e.say(lang)}, values=values)
    return templating.redirect(request, f"/calendar?month={first:%Y-%m}", _(
        "Closed: {count} reservation(s) cancelled and {amount} refunded.",
        count=done["refunded_count"], amount=format_cents(done["refunded_cents"])))


@router.post("/calendar/closures/{closure_id}/remove")
def remove_closure(request: Request, store: Store, staff: Writer, closure_id: str) -> Response:
    _ = templating.gettext_of(request)
    removed = school_calendar.remove_closure(store, staff.school_id, closure_id)
    return templating.redirect(request, f"/calendar?month={removed['first_day']:%Y-%m}", _(
        "Reopened. The reservations cancelled by the closure stay cancelled."))


@router.post("/calendar/settings")
def save_settings(request: Request, store: Store, staff: Writer,
                  weekday: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI's way)
                  year_first: Text = "", year_last: Text = "", cutoff: Text = "",
                  horizon_days: Text = "") -> Response:
    _ = templating.gettext_of(request)
    lang = templating.language(request)
    try:
        weekdays = [int(w) for w in weekday if w.isdigit() and len(w) == 1]
        if len(weekdays) != len(weekday):
            raise CentralError("invalid", "school days: at least one weekday, numbered 1"
                                          " (Monday) to 7 (Sunday)")
        horizon = horizon_days.strip()
        if not horizon.isdigit() or len(horizon) > 3:
            raise CentralError("invalid", "reservation horizon: 1 to {most} days",
                               most=school_calendar.MAX_HORIZON)
        school_calendar.set_settings(
            store, staff.school_id, weekdays=weekdays, horizon_days=int(horizon),
            year_first=_day(year_first, _("first day of the school year"))
            if year_first.strip() else None,
            year_last=_day(year_last, _("last day of the school year"))
            if year_last.strip() else None, cutoff=cutoff.strip()[:5])
    except CentralError as e:
        return _page(request, store, staff, status=422, errors={"settings": e.say(lang)})
    return templating.redirect(request, "/calendar", _("The calendar's settings are saved."))
