"""The school calendar's JSON API (``school_calendar``): paths, requests and answers. Each
route declares the office's permission it needs (``calendar.read``, ``calendar.write``).

    GET    /api/v1/admin/calendar/settings                    -> CalendarSettings
    PUT    /api/v1/admin/calendar/settings                    CalendarSettingsRequest -> CalendarSettings
    GET    /api/v1/admin/calendar/month?month=YYYY-MM         -> CalendarMonth
    GET    /api/v1/admin/calendar/open-days?first=&last=      -> OpenDays
    GET    /api/v1/admin/calendar/closures?first=&last=       -> ClosureList
    GET    /api/v1/admin/calendar/closures/preview?first=&last= -> ClosurePreview (what closing
                                                                 those days would refund)
    POST   /api/v1/admin/calendar/closures                    ClosureRequest -> ClosureAnswer
    DELETE /api/v1/admin/calendar/closures/{closure_id}       -> Closure (reopened; nothing
                                                                 is reserved again)

Every one takes ``?school=ID`` when the platform has several schools. Refusals are
``sync.protocol.ErrorBody`` (``invalid``, ``not_found``, ``forbidden``).
"""
from __future__ import annotations

from datetime import date

from pydantic import Field

from sync.protocol import API
from sync.server.api_model import ApiModel as _Msg

CALENDAR = f"{API}/admin/calendar"
SETTINGS = f"{CALENDAR}/settings"
MONTH = f"{CALENDAR}/month"
OPEN_DAYS = f"{CALENDAR}/open-days"
CLOSURES = f"{CALENDAR}/closures"
PREVIEW = f"{CALENDAR}/closures/preview"
CLOSURE = f"{CALENDAR}/closures/{{closure_id}}"


class CalendarSettingsRequest(_Msg):
    weekdays: list[int] = Field(min_length=1, max_length=7)    # ISO: Monday = 1 … Sunday = 7
    year_first: date | None = None      # the school year's first and last day (both or none)
    year_last: date | None = None
    horizon_days: int = Field(default=30, ge=1, le=365)        # reservations this far ahead
    cutoff: str = Field(default="08:30", min_length=4, max_length=5)   # HH:MM, local time


class CalendarSettings(CalendarSettingsRequest):
    timezone: str


class Closure(_Msg):
    id: str
    first_day: date
    last_day: date              # included
    reason: str                 # what people read: "Vacances de Noël"


class ClosureRequest(_Msg):
    first_day: date
    last_day: date
    reason: str = Field(max_length=500)


class ClosureList(_Msg):
    closures: list[Closure]


class Refunded(_Msg):
    id: str                     # the reservation, now cancelled
    day: date
    student_id: str
    article_code: str
    quantity: int
    amount_cents: int           # refunded (what it debited)
    wallet_id: str | None = None    # the wallet refunded (in a ClosureAnswer)


class ClosurePreview(_Msg):
    first_day: date
    last_day: date
    reservations: list[Refunded]    # still to hand over on those days: what closing refunds
    count: int
    amount_cents: int


class ClosureAnswer(_Msg):
    closure: Closure
    refunded: list[Refunded]
    refunded_count: int
    refunded_cents: int


class Day(_Msg):
    day: date
    open: bool
    why_closed: str | None      # "closed: Journée pédagogique", "not a school day", …
    closure_id: str | None
    today: bool
    reservable: bool            # open, not past, within the horizon
    reservations: int           # still to hand over


class CalendarMonth(_Msg):
    month: str                  # YYYY-MM
    today: date
    days: list[Day]
    closures: list[Closure]     # those touching the month


class OpenDays(_Msg):
    first: date
    last: date
    days: list[date]
